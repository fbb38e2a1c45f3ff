"""Property-based fuzzing of every source through the whole CLI (`ktexplain.cli.main`, in-process).

Whatever the input — random text or bytes, mutated real logs, cut or deeply chained tracebacks,
NUL bytes, invalid UTF-8, ANSI soup, a corrupt trial.json or .ipynb — no exception escapes (exit
code 70 is an internal error), `--json` always prints valid JSON, and a damaged log that still
holds an intact traceback is explained. Example counts are kept small: the file runs in about a
minute on two cores.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import CAPTURED, SCENARIOS
from damaging import STRUCTURAL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ktexplain.cli import EXIT_NOTHING, EXIT_OK, EXIT_USAGE, main

FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,  # no .hypothesis folder in the working tree; the seed comes from pytest
    derandomize=True,
)
LOGS = sorted(CAPTURED.glob("*/*/run.log"))
SEED_LOG = CAPTURED / "keras3" / "seed-conv-filters-zero" / "run.log"
PROJECTS = sorted({p.parent.parent for p in CAPTURED.glob("*/*/project/*/trial_*/trial.json")})
NOTEBOOKS = sorted(CAPTURED.glob("*/*/run.ipynb"))
TRACEBACK = "Traceback (most recent call last):"
ANSI_PIECES = [
    "\x1b[2K",
    "\x1b[1m",
    "\x1b[0m",
    "\x1b[31;1m",
    "\x1b]8;;http://x\x1b\\",
    "\x1b[",
    "\r",
]


@pytest.fixture(scope="module", autouse=True)
def _patterns_loaded_once():
    """Parsing the pattern TOML is most of a small input's time, and not what is fuzzed here."""
    from ktexplain import pipeline

    loaded = pipeline.database()
    original = pipeline.database
    pipeline.database = lambda extra=None: loaded if not extra else original(extra)
    yield
    pipeline.database = original


def run_cli(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BufferedReader(io.BytesIO(stdin)))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*args, "--source", str(SCENARIOS)])
    finally:
        sys.stdin = saved
    return code, out.getvalue(), err.getvalue()


def check_json(code: int, out: str, err: str) -> dict:
    assert code in (EXIT_OK, EXIT_USAGE, EXIT_NOTHING), err  # 70 would be an escaped exception
    assert "Traceback" not in err, err
    data = json.loads(out)
    assert set(data) >= {"version", "reports"}
    assert (code == EXIT_OK) == bool(data["reports"]) or code == EXIT_USAGE
    return data


def explain_bytes(data: bytes, suffix: str = ".log") -> tuple[int, str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        return run_cli(str(path), "--json")


# -- random input ----------------------------------------------------------------------------
@FUZZ
@given(st.text(max_size=3000))
def test_random_text(text):
    check_json(*explain_bytes(text.encode("utf-8", "surrogatepass")))


@FUZZ
@given(st.binary(max_size=5000))
def test_random_bytes_from_a_file_and_from_stdin(data):
    check_json(*explain_bytes(data))
    check_json(*run_cli("-", "--json", stdin=data))


# -- real logs, mutated ----------------------------------------------------------------------
noise = st.one_of(
    st.binary(min_size=1, max_size=64),
    st.sampled_from([b"\x00", b"\x00" * 100, b"\xff\xfe", b"\xc3", b"\r", b"\n", b"\x1b[2K"]),
    st.sampled_from(ANSI_PIECES).map(str.encode),
    st.just(TRACEBACK.encode() + b"\n"),
    st.just(b"During handling of the above exception, another exception occurred:\n"),
)
edits = st.lists(
    st.tuples(st.floats(0, 1), st.integers(0, 50), noise),  # where, bytes removed, bytes put in
    min_size=1,
    max_size=12,
)


@FUZZ
@given(st.sampled_from(LOGS), edits)
def test_mutated_real_logs(log, changes):
    data = log.read_bytes()
    for where, removed, inserted in changes:
        at = int(where * len(data))
        data = data[:at] + inserted + data[at + removed :]
    check_json(*explain_bytes(data))


@FUZZ
@given(st.sampled_from(LOGS), st.floats(0, 1))
def test_truncated_logs_and_tracebacks(log, where):
    data = log.read_bytes()
    start = data.find(TRACEBACK.encode())
    start = 0 if start < 0 else start
    cut = start + int(where * (len(data) - start))  # most cuts land inside a traceback
    check_json(*explain_bytes(data[:cut]))


@FUZZ
@given(
    st.integers(1, 120),
    st.integers(0, 80),
    st.sampled_from(
        [
            "During handling of the above exception, another exception occurred:",
            "The above exception was the direct cause of the following exception:",
        ]
    ),
)
def test_deeply_nested_chains_and_deep_stacks(depth, frames, separator):
    block = [TRACEBACK]
    for index in range(frames):
        block += [f'  File "/work/model_{index}.py", line {index + 1}, in f{index}', "    f()"]
    text = ""
    for level in range(depth):
        text += "\n".join([*block, f"ValueError: level {level} units=0"]) + "\n\n"
        if level < depth - 1:
            text += separator + "\n\n"
    data = check_json(*explain_bytes(text.encode()))
    assert data["reports"], "a whole traceback chain must give a report"


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(ANSI_PIECES), st.text(max_size=20)), max_size=300))
def test_ansi_soup_around_a_real_log(pieces):
    soup = "".join(pieces).encode("utf-8", "surrogatepass")
    log = SEED_LOG.read_bytes()
    middle = log.find(b"\n", len(log) // 2) + 1
    check_json(*explain_bytes(soup + log[:middle] + soup + b"\n" + log[middle:] + soup))


# -- damaged logs whose traceback is intact are explained --------------------------------------
DAMAGE_SCENARIOS = ("seed-conv-filters-zero", "seed-input-shape-mismatch", "hp-dense-units-zero")
WITH_TRACEBACK = [
    p for p in LOGS if p.parent.name in DAMAGE_SCENARIOS and TRACEBACK.encode() in p.read_bytes()
]


@FUZZ
@given(
    st.sampled_from(WITH_TRACEBACK),
    st.binary(min_size=16, max_size=4096),
    st.integers(0, 10_000),
    st.sampled_from(["file", "stdin"]),
)
def test_a_damaged_log_with_an_intact_traceback_is_explained(log, junk, pick, how):
    intact = check_json(*explain_bytes(log.read_bytes()))
    assert intact["reports"]
    lines = log.read_bytes().splitlines(keepends=True)
    boundaries = [i for i, line in enumerate(lines) if line.startswith(STRUCTURAL)]
    at = boundaries[pick % len(boundaries)]
    # ESC could start an ANSI sequence that swallows the next line's first letter: not damage
    # a real crash leaves, and not what this property is about.
    junk = junk.replace(b"\x1b", b"\x00")
    damaged = b"".join(lines[:at]) + junk + b"".join(lines[at:])
    result = run_cli("-", "--json", stdin=damaged) if how == "stdin" else explain_bytes(damaged)
    data = check_json(*result)
    assert data["reports"], result[2]
    assert data["reports"][0]["category"] == intact["reports"][0]["category"]


# -- project directories and notebooks -------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=30,
)


@FUZZ
@given(st.sampled_from(PROJECTS), st.data())
def test_corrupt_trial_json(project, data):
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(project, copy)
        trials = sorted(copy.glob("trial_*/trial.json"))
        target = data.draw(st.sampled_from(trials))
        original = target.read_bytes()
        kind = data.draw(st.sampled_from(["cut", "value", "replace-key", "bytes"]))
        if kind == "cut":
            target.write_bytes(original[: data.draw(st.integers(0, len(original)))])
        elif kind == "value":
            target.write_text(json.dumps(data.draw(json_values)))
        elif kind == "replace-key":
            loaded = json.loads(original)
            if isinstance(loaded, dict) and loaded:
                key = data.draw(st.sampled_from(sorted(loaded)))
                loaded[key] = data.draw(json_values)
            target.write_text(json.dumps(loaded))
        else:
            at = data.draw(st.integers(0, len(original)))
            target.write_bytes(original[:at] + data.draw(st.binary(max_size=40)) + original[at:])
        check_json(*run_cli(str(copy), "--json"))


@FUZZ
@given(st.sampled_from(NOTEBOOKS), st.data())
def test_corrupt_notebooks(notebook, data):
    original = notebook.read_bytes()
    kind = data.draw(st.sampled_from(["cut", "value", "replace-key", "bytes"]))
    if kind == "cut":
        damaged = original[: data.draw(st.integers(0, len(original)))]
    elif kind == "value":
        damaged = json.dumps(data.draw(json_values)).encode()
    elif kind == "replace-key":
        loaded = json.loads(original)
        cells = loaded.get("cells") or [{}]
        cell = data.draw(st.sampled_from(cells))
        if isinstance(cell, dict) and cell:
            cell[data.draw(st.sampled_from(sorted(cell)))] = data.draw(json_values)
        damaged = json.dumps(loaded).encode()
    else:
        at = data.draw(st.integers(0, len(original)))
        damaged = original[:at] + data.draw(st.binary(max_size=40)) + original[at:]
    check_json(*explain_bytes(damaged, suffix=".ipynb"))


# -- one huge line (once, not per example) ----------------------------------------------------
def test_a_50_mb_single_line_then_a_traceback(tmp_path):
    segment = b"\x1b[2K 12/500 \x1b[32m" + "━".encode() * 20 + b"\x1b[0m - loss: 0.5312\r"
    path = tmp_path / "huge.log"
    with path.open("wb") as handle:
        handle.write(b"Search: Running Trial #1\n")
        handle.write(segment * (50_000_000 // len(segment)))
        handle.write(SEED_LOG.read_bytes())
    data = check_json(*run_cli(str(path), "--json"))
    assert data["reports"][0]["category"] == "hyperparameter-value"


@pytest.mark.parametrize("size", [0, 1, 7])
def test_tiny_inputs(size, tmp_path):
    check_json(*explain_bytes(b"\x00" * size))


# -- every key of a real trial.json / notebook given a value of the wrong type ---------------
WRONG_TYPES = [None, True, 7, "text", [1, {"a": None}], {"x": [None]}]


@pytest.mark.parametrize("wrong", WRONG_TYPES, ids=lambda v: type(v).__name__)
def test_each_trial_json_key_with_a_wrong_type(wrong, tmp_path):
    project = PROJECTS[0]
    failures = []
    for key in sorted(json.loads(next(project.glob("trial_*/trial.json")).read_text())):
        copy = tmp_path / key
        shutil.copytree(project, copy)
        for path in copy.glob("trial_*/trial.json"):
            data = json.loads(path.read_text())
            data[key] = wrong
            path.write_text(json.dumps(data))
        code, out, err = run_cli(str(copy), "--json")
        if code not in (EXIT_OK, EXIT_USAGE, EXIT_NOTHING):
            failures.append(f"{key}: {err.strip()}")
        else:
            check_json(code, out, err)
    assert not failures, failures


@pytest.mark.parametrize("wrong", WRONG_TYPES, ids=lambda v: type(v).__name__)
def test_each_notebook_key_with_a_wrong_type(wrong, tmp_path):
    original = json.loads(NOTEBOOKS[0].read_text())
    # the cell with the error output: stream and error outputs both get a wrong value
    cell = next(
        c
        for c in original["cells"]
        if any(o.get("output_type") == "error" for o in c.get("outputs", []))
    )
    places = [("notebook", k) for k in sorted(original)] + [("cell", k) for k in sorted(cell)]
    for index, output in enumerate(cell["outputs"]):
        places += [(f"output{index}", k) for k in sorted(output)]
    failures = []
    for where, key in places:
        data = json.loads(NOTEBOOKS[0].read_text())
        found = next(c for c in data["cells"] if c.get("outputs") == cell["outputs"])
        if where == "notebook":
            target = data
        elif where == "cell":
            target = found
        else:
            target = found["outputs"][int(where.removeprefix("output"))]
        target[key] = wrong
        code, out, err = explain_bytes(json.dumps(data).encode(), suffix=".ipynb")
        if code not in (EXIT_OK, EXIT_USAGE, EXIT_NOTHING):
            failures.append(f"{where}.{key}: {err.strip()}")
        else:
            check_json(code, out, err)
    assert not failures, failures
