"""`ktexplain.install()`: the exception hooks, the per-trial observer, and never losing the
original traceback. Real runs of real searches happen in subprocesses (marked slow)."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
import threading

import pytest
from live_scripts._support import (
    TRACEBACK,
    environment,
    from_traceback,
    interpreter,
    run_python,
    run_script,
)

import ktexplain
from ktexplain import hook

FILTERS_SPACE = "hp.Int('filters', min_value=0, max_value=64, step=16)"
DIALECTS = [
    pytest.param("keras3", marks=pytest.mark.slow),
    pytest.param("keras2", marks=[pytest.mark.slow, pytest.mark.keras2]),
]


@pytest.fixture(autouse=True)
def _always_uninstalled(monkeypatch):
    monkeypatch.delenv("KTEXPLAIN", raising=False)
    hook.uninstall()
    yield
    hook.uninstall()


# -- the hooks themselves (in-process, no TensorFlow) ------------------------------------------
def test_uninstall_restores_the_exact_previous_hooks(monkeypatch):
    def theirs(*args):
        pass

    def their_thread_hook(args):
        pass

    monkeypatch.setattr(sys, "excepthook", theirs)
    monkeypatch.setattr(threading, "excepthook", their_thread_hook)
    meta_path = list(sys.meta_path)
    ktexplain.install()
    ktexplain.install(per_trial=True)  # idempotent: no second layer
    assert sys.excepthook is not theirs
    assert threading.excepthook is not their_thread_hook
    assert len(sys.meta_path) == len(meta_path) + 1
    ktexplain.uninstall()
    assert sys.excepthook is theirs
    assert threading.excepthook is their_thread_hook
    assert sys.meta_path == meta_path
    ktexplain.uninstall()  # a second uninstall is harmless
    assert sys.excepthook is theirs


def test_the_previous_hook_prints_first_and_an_unrelated_error_gets_nothing_else(
    monkeypatch, capsys
):
    calls = []
    monkeypatch.setattr(sys, "excepthook", lambda t, e, tb: calls.append(e))
    ktexplain.install()
    try:
        raise ZeroDivisionError("nothing to do with Keras")
    except ZeroDivisionError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
        caught = exc
    assert calls == [caught]
    assert capsys.readouterr().err == ""


def test_thread_errors_go_through_the_previous_threading_hook(monkeypatch, capsys):
    seen = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append(args.exc_type))
    ktexplain.install()

    def work():
        raise LookupError("in a thread")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [LookupError]


def test_ktexplain_0_disables_install(monkeypatch):
    monkeypatch.setenv("KTEXPLAIN", "0")
    before = sys.excepthook
    ktexplain.install()
    assert sys.excepthook is before
    assert not hook.installed()


def test_an_uninstalled_hook_left_under_another_passes_through(monkeypatch, capsys):
    """Someone chained over ours: uninstall cannot remove ours, so ours becomes inert."""
    calls = []
    monkeypatch.setattr(sys, "excepthook", lambda t, e, tb: calls.append("original"))
    ktexplain.install()
    ours = sys.excepthook

    def theirs(t, e, tb):
        calls.append("theirs")
        ours(t, e, tb)

    sys.excepthook = theirs
    ktexplain.uninstall()
    assert sys.excepthook is theirs
    sys.excepthook(ValueError, ValueError("x"), None)
    assert calls == ["theirs", "original"]


def test_a_keras_error_is_explained_after_the_traceback_with_locals_on_request(capsys):
    class KerasError(ValueError):
        pass

    KerasError.__module__ = "keras.src.layers.core.dense"  # what makes it "ours" to explain

    def build_model():
        units = -3
        raise KerasError(f"Received an invalid value for `units`. Received: units={units}")

    try:
        build_model()
    except KerasError as exc:
        caught = exc
    stream = io.StringIO()
    ktexplain.install(show_locals=True, file=stream)
    sys.excepthook(type(caught), caught, caught.__traceback__)
    err = capsys.readouterr().err
    assert err.startswith(TRACEBACK) and "units=-3" in err  # Python's own, on stderr
    explanation = stream.getvalue()
    assert explanation.startswith("╭") and "units=-3" in explanation
    assert "ktexplain: locals of build_model()" in explanation
    assert "  units = -3" in explanation


def test_import_and_install_load_nothing_heavy(tmp_path):
    code = (
        "import sys, ktexplain\n"
        "ktexplain.install()\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'tensorflow', 'keras', 'keras_tuner', 'kerastuner', 'IPython', 'rich'})\n"
        "print(repr(heavy))\n"
        "ktexplain.uninstall()\n"
    )
    done = run_python(sys.executable, ["-c", code], tmp_path)
    assert done.returncode == 0, done.stderr
    assert ast.literal_eval(done.stdout.strip()) == []


def test_install_loads_only_threading_beyond_what_python_starts_with(tmp_path):
    """Startup cost is a matter of modules: typing, dataclasses, inspect, importlib.resources,
    tempfile… load on the first exception, not at install() (timings are in bench/run.py)."""
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import ktexplain\n"
        "ktexplain.install()\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    done = run_python(sys.executable, ["-c", code], tmp_path)
    assert done.returncode == 0, done.stderr
    loaded = set(ast.literal_eval(done.stdout.strip()))
    assert loaded <= {"ktexplain", "ktexplain.hook", "threading", "_weakrefset"}, loaded


def test_keyboard_interrupt_is_untouched(tmp_path):
    body = "def stop():\n    raise KeyboardInterrupt\nstop()\n"
    plain = run_python(sys.executable, ["-c", body], tmp_path)
    hooked = run_python(
        sys.executable, ["-c", "import ktexplain\nktexplain.install()\n" + body], tmp_path
    )
    assert "KeyboardInterrupt" in plain.stderr
    assert hooked.returncode == plain.returncode
    # Same traceback apart from the line numbers shifted by the two extra lines.
    assert hooked.stderr.replace("line 5", "line 3").replace("line 4", "line 2") == plain.stderr
    assert "ktexplain" not in hooked.stderr


def test_system_exit_is_untouched(tmp_path):
    code = "import ktexplain, sys\nktexplain.install()\nsys.exit('bye')\n"
    done = run_python(sys.executable, ["-c", code], tmp_path)
    assert done.returncode == 1
    assert done.stderr == "bye\n"


# -- real searches (subprocesses) --------------------------------------------------------------
@pytest.mark.parametrize("dialect", DIALECTS)
def test_seed_1_limit_error_is_explained_with_every_failed_trial(dialect, tmp_path):
    done = run_script(dialect, "seed_input_shape.py", tmp_path)
    assert done.returncode == 1
    original = from_traceback(done.stderr)
    limit_line = "RuntimeError: Number of consecutive failures exceeded the limit of 3."
    assert limit_line in original
    assert "in assert_input_compatibility" in original  # the embedded trial traceback
    explanation = original[original.index(limit_line) :]
    explanation = explanation[explanation.index("╭") :]
    # The values came from the oracle's trials, not from the printed table.
    assert "#1, #2, #3" in explanation
    # every failing trial's value, each from its own trial (not only #1's)
    values = [line for line in explanation.splitlines() if "units=" in line]
    shown = {line.split("#", 1)[1].split(":")[0] for line in values}
    assert shown == {"1", "2", "3"}, values
    assert len({line.split("units=")[1].split()[0] for line in values}) == 3, values
    assert "stopped the search: 3 consecutive failures" in explanation
    assert "20" in explanation and "10" in explanation


@pytest.mark.parametrize("dialect", DIALECTS)
def test_seed_2_construction_error_names_filters_and_its_search_space(dialect, tmp_path):
    done = run_script(dialect, "seed_conv_filters.py", tmp_path)
    assert done.returncode == 1
    text = from_traceback(done.stderr)
    error_line = "ValueError: Invalid value for argument `filters`"
    assert error_line in text
    assert 'seed_conv_filters.py", line' in text and "in build_model" in text
    explanation = text[text.index(error_line) :]
    assert "tuner construction (default values)" in explanation
    assert "filters = 0" in explanation or "filters=0" in explanation
    assert FILTERS_SPACE in explanation


@pytest.mark.slow
def test_seed_2_traceback_is_byte_for_byte_what_python_prints(tmp_path):
    """KTEXPLAIN=0 gives Python's own output: with ktexplain it must be a strict prefix."""
    interpreter("keras3")
    plain = run_script("keras3", "seed_conv_filters.py", tmp_path, KTEXPLAIN="0")
    hooked = run_script("keras3", "seed_conv_filters.py", tmp_path)
    assert plain.returncode == hooked.returncode == 1
    reference = from_traceback(plain.stderr)
    assert "ktexplain" not in reference and "╭" not in reference
    assert from_traceback(hooked.stderr).startswith(reference)
    assert len(hooked.stderr) > len(plain.stderr) + 200  # and then the explanation


@pytest.mark.slow
def test_a_traceback_through_tuner_search_has_no_ktexplain_frame(tmp_path):
    """The limit RuntimeError leaves `tuner.search`: with ktexplain installed its traceback (and
    the trial traceback inside its message) is byte for byte Python's own, then the explanation."""
    interpreter("keras3")
    plain = run_script("keras3", "seed_input_shape.py", tmp_path, KTEXPLAIN="0")
    hooked = run_script("keras3", "seed_input_shape.py", tmp_path)
    assert plain.returncode == hooked.returncode == 1
    reference = _uncaught(plain.stderr, "seed_input_shape.py")
    assert "in search" in reference and "in on_trial_end" in reference  # through keras-tuner
    assert "ktexplain" not in reference
    ours = _uncaught(hooked.stderr, "seed_input_shape.py")
    assert ours.startswith(reference)
    assert len(ours) > len(reference) + 20  # and then ktexplain's explanation


def _uncaught(stderr: str, script: str) -> str:
    """From the header of the traceback Python printed for the uncaught exception on."""
    lines = stderr.splitlines(keepends=True)
    for index in range(len(lines) - 1):
        following = lines[index + 1]
        if lines[index].rstrip() == TRACEBACK and script in following and "<module>" in following:
            return "".join(lines[index:])
    raise AssertionError(f"no uncaught traceback from {script} in:\n{stderr[-3000:]}")


@pytest.mark.parametrize(
    ("dialect", "order"),
    [
        pytest.param("keras3", "before", marks=pytest.mark.slow),
        pytest.param("keras2", "after", marks=[pytest.mark.slow, pytest.mark.keras2]),
    ],
)
def test_each_failed_trial_is_explained_and_summarised(dialect, order, tmp_path):
    done = run_script(dialect, "survive.py", tmp_path, order)
    assert done.returncode == 0, done.stderr[-3000:]
    explained_err, plain_err = done.stderr.split("=== SEARCH AFTER UNINSTALL")
    explained_out, plain_out = done.stdout.split("=== SEARCH AFTER UNINSTALL")
    per_trial = [line for line in explained_err.splitlines() if line.startswith("ktexplain: trial")]
    assert [line.split(":")[1].strip() for line in per_trial] == ["trial #3", "trial #4"]
    # The first trial with a cause gets the explanation; a repeat of it points back to it.
    assert "sigmoidd" in per_trial[0] and "fix:" in per_trial[0]
    assert per_trial[1] == "ktexplain: trial #4: same cause as trial #3"
    # Each compact line comes right after keras-tuner's own traceback of that trial.
    blocks = explained_err.split(TRACEBACK)[1:]
    assert len(blocks) == 2
    for block in blocks:
        assert "sigmoidd" in block.split("ktexplain: trial")[0]
        assert "ktexplain: trial" in block
    summary = explained_err[explained_err.index("ktexplain: 2 of 4 trials failed") :]
    assert "#3, #4" in summary and "activation=sigmoidd" in summary
    # After uninstall(): keras-tuner's tracebacks only, and the same search results.
    assert plain_err.count(TRACEBACK) == 2
    assert "ktexplain" not in plain_err
    assert _outcome(explained_out) == _outcome(plain_out)
    assert "PATCHED AFTER UNINSTALL []" in done.stdout


@pytest.mark.slow
def test_a_nan_objective_is_explained_though_keras_tuner_prints_no_traceback(tmp_path):
    done = run_script("keras3", "nan_objective.py", tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "STATUSES ['COMPLETED', 'FAILED']" in done.stdout
    assert TRACEBACK not in done.stderr
    per_trial = [line for line in done.stderr.splitlines() if line.startswith("ktexplain: trial")]
    assert len(per_trial) == 1 and per_trial[0].startswith("ktexplain: trial #2: ")
    summary = done.stderr[done.stderr.index("ktexplain: 1 of 2 trials failed") :]
    assert "NaNObjective: the objective val_loss was nan" in summary
    assert "learning_rate" in summary


def _outcome(stdout: str) -> tuple[list, dict]:
    lines = stdout.splitlines()
    outcome = next(line for line in lines if line.startswith("OUTCOME "))
    best = next(line for line in lines if line.startswith("BEST "))
    trials = ast.literal_eval(outcome.removeprefix("OUTCOME ").replace("nan", "None"))
    # Scores are compared to 4 digits: the same seed gives the same search.
    rounded = [(i, s, v, None if c is None else round(c, 4)) for i, s, v, c in trials]
    return rounded, ast.literal_eval(best.removeprefix("BEST "))


@pytest.mark.slow
def test_when_ktexplain_breaks_the_original_traceback_is_still_whole(tmp_path):
    done = run_script("keras3", "faults.py", tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    cases = {
        "broken-pattern-file": "ktexplain: pattern file skipped: broken-patterns/mine.toml",
        "render-error": "ktexplain: could not explain this error (RuntimeError: render exploded)",
        "closed-stream": "ktexplain: could not explain this error (ValueError: I/O operation on "
        "closed file",
        "unprintable-exception": "<exception str() failed>",
        "database-error": "ktexplain: could not explain this error (OSError: patterns unreadable)",
    }
    for name, expected in cases.items():
        section = done.stderr.split(f"=== {name} REFERENCE\n")[1].split(f"=== {name} END")[0]
        reference, hooked = section.split(f"=== {name} HOOKED\n")
        assert reference.startswith(TRACEBACK), name
        assert hooked.startswith(reference), name  # the whole original, first, unchanged
        added = hooked[len(reference) :]
        assert expected in added, (name, added)
        if "could not explain" in expected:
            assert added.count("\n") == 1, (name, added)  # one line, nothing half-rendered
    # A broken user file does not take the shipped patterns down: the explanation is there.
    broken = done.stderr.split("=== broken-pattern-file HOOKED")[1].split("=== broken")[0]
    assert "╭" in broken and "filters" in broken


def test_install_inside_a_subprocess_with_python_dash_c_works(tmp_path):
    """An uncaught error with no Keras frames, after install(): Python's output alone."""
    code = "import ktexplain\nktexplain.install()\n1/0\n"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.rstrip().endswith("ZeroDivisionError: division by zero")
    assert "ktexplain" not in done.stderr


@pytest.mark.slow
def test_the_end_of_search_summary_says_which_region_of_the_space_fails(tmp_path):
    """A real search that survives: num_blocks ≥ 4 shrinks the image to nothing. The summary
    is judged against every trial of the oracle, completed ones included."""
    done = run_script("keras3", "region_summary.py", tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "STATUSES [(1, 'COMPLETED'), (2, 'COMPLETED'), (3, 'COMPLETED'), (4, 'FAILED')" in (
        done.stdout
    )
    summary = done.stderr[done.stderr.index("ktexplain: 2 of 5 trials failed") :]
    assert (
        "every trial with num_blocks ≥ 4 failed with this cause (2 of 2), none of the 3 with "
        "num_blocks ≤ 3 did" in summary
    )
    assert "hp.Int('num_blocks', min_value=1, max_value=3)" in summary


def test_a_ktexplain_frame_is_left_out_of_the_printed_traceback_not_the_exception(capsys):
    """keras-tuner failing to import runs through the import watcher's loader: Python's
    printout leaves that frame out, the exception keeps its whole traceback."""

    class FailingLoader:
        def exec_module(self, module):
            raise ImportError("No module named 'tensorflow'")

    ktexplain.install()
    loader = hook._PatchingLoader(FailingLoader())
    try:
        loader.exec_module(type(sys)("keras_tuner.src.engine.base_tuner"))
    except ImportError as exc:
        caught = exc
    files = []
    tb = caught.__traceback__
    while tb is not None:
        files.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    assert hook.__file__ in files
    sys.excepthook(type(caught), caught, caught.__traceback__)
    err = capsys.readouterr().err
    assert err.startswith(TRACEBACK) and "No module named 'tensorflow'" in err
    assert "test_hook.py" in err and "in exec_module" in err  # the test's own frames stay
    assert "ktexplain/hook.py" not in err
    after = []
    tb = caught.__traceback__
    while tb is not None:
        after.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    assert after == files  # the exception object is untouched
