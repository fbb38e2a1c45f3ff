"""The log reader, on real captured logs of both Keras dialects and on parser edge cases."""

from __future__ import annotations

from conftest import CAPTURED
from hypothesis import given
from hypothesis import strategies as st

from ktexplain.pipeline import reports
from ktexplain.sources import text
from ktexplain.sources.terminal import ANSI, clean_line
from ktexplain.sources.text import failures_from_text


def failures_from_path(path):
    """The reader's failures, without Python warnings (candidates the pipeline filters)."""
    return [f for f in text.failures_from_path(path) if not f.warning]


SEED1 = "seed-input-shape-mismatch"


def test_keras3_log_gives_one_failure_per_trial_and_the_limit_copy():
    failures = failures_from_path(CAPTURED / "keras3" / SEED1 / "run.log")
    numbers = [f.trial.number for f in failures]
    assert numbers == [1, 2, 3, 3]
    assert [f.tripped_limit for f in failures] == [None, None, None, 3]
    assert [f.trial.hyperparameters["units"] for f in failures] == [96, 512, 128, 128]
    first = failures[0]
    assert first.exception.type == "ValueError"
    # ANSI bold codes are gone, the Keras 3 "Arguments received" block is kept
    assert "\x1b" not in first.exception.message
    assert "expected axis -1 of input shape to have value 10" in first.exception.message
    assert "Arguments received by Sequential.call():" in first.exception.message
    assert "Trial 1 Complete" not in first.exception.message
    assert first.exception.frames[-1].function == "assert_input_compatibility"
    assert (
        first.exception.frames[0].line
        == "self._run_and_update_trial(trial, *fit_args, **fit_kwargs)"
    )


def test_keras2_in_user_code_message_keeps_the_inner_error():
    failures = failures_from_path(CAPTURED / "keras2" / SEED1 / "run.log")
    assert [f.trial.number for f in failures] == [1, 2, 3, 3]
    message = failures[0].exception.message
    assert message.startswith("in user code:")
    assert "expected shape=(None, 10), found shape=(None, 20)" in message


def test_construction_failure_is_not_a_trial():
    failures = failures_from_path(CAPTURED / "keras3" / "seed-conv-filters-zero" / "run.log")
    assert len(failures) == 1
    assert failures[0].trial is not None and failures[0].trial.construction
    assert failures[0].exception.message.endswith("Received filters=0.")


def test_out_of_order_log_links_tracebacks_by_order_of_failure():
    # Real capture: stdout (tables) lags one trial behind stderr (tracebacks).
    for dialect in ("keras3", "keras2"):
        path = CAPTURED / dialect / "seed-input-shape-mismatch-quiet" / "run.log"
        failures = [f for f in failures_from_path(path) if not f.tripped_limit]
        assert [f.trial.number for f in failures] == [1, 2, 3], dialect
        assert [f.trial.hyperparameters["units"] for f in failures] == [96, 512, 128]


def test_silent_divergence_becomes_a_synthetic_failure_per_trial():
    path = CAPTURED / "keras3" / "seed-adam-huge-learning-rate" / "run.log"
    failures = failures_from_path(path)
    assert failures and all(f.synthetic for f in failures)
    assert {f.exception.type for f in failures} == {"TrainingDiverged"}
    assert failures[0].trial.hyperparameters["learning_rate"] == 200
    # the first batch's loss is ≈ ln(10) for 10 classes; the last is astronomically larger
    assert failures[0].exception.message.startswith("training loss rose from 2.")


def test_clean_line_keeps_what_the_terminal_finally_shows():
    assert clean_line("\x1b[2K\r\x1b[2K\rTrial 1 Complete [00h 00m 00s]\n") == (
        "Trial 1 Complete [00h 00m 00s]"
    )
    assert clean_line("1/7 \x1b[32m━━\x1b[0m\r7/7 done\r\n") == "7/7 done"


def _clean_whole_line(raw: str) -> str:
    """What `clean_line` means, done the slow way: every ANSI code of the whole line removed,
    then the last \\r segment that is not blank."""
    text = raw.rstrip("\n").rstrip("\r")
    text = ANSI.sub("", text)
    segments = [s for s in text.split("\r") if s.strip()]
    return segments[-1] if segments else "" if "\r" in text else text


_TERMINAL_PIECES = ["\r", "\x1b[0K", "\x1b[1m", "a", " ", "\x1b]0;t\x07", "\x1b", "[", "\x1bX"]
_TERMINAL_PIECES += ["b\r", " \r", "\x1b]x\r\x1b\\", "\n", "━"]


@given(st.lists(st.sampled_from(_TERMINAL_PIECES), max_size=14))
def test_clean_line_looks_at_the_last_segments_only_and_means_the_same(pieces):
    """`clean_line` cleans only the last segments of a progress bar (its ANSI codes cannot hold
    a \\r, an OSC string can, and then the whole line is cleaned): the same as cleaning it all."""
    raw = "".join(pieces)
    assert clean_line(raw) == _clean_whole_line(raw)


def test_clean_line_means_the_same_on_every_captured_line():
    for log in sorted(CAPTURED.glob("*/*/run.log"))[::3]:
        for raw in log.read_text(encoding="utf-8", errors="replace").split("\n"):
            assert clean_line(raw) == _clean_whole_line(raw), (log, raw[:200])


# -- hand-written parser edge cases (named as such: not captured output) -------------------

HANDWRITTEN_CHAIN = """\
Traceback (most recent call last):
  File "train.py", line 3, in build_model
    units = hp.Int("units", 0, 10)
KeyError: 'units'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "train.py", line 9, in <module>
    build_model(hp)
ValueError: Received an invalid value for `units`, expected a positive integer. Received: units=0
"""

HANDWRITTEN_CAUSE = """\
Traceback (most recent call last):
  File "a.py", line 1, in <module>
ZeroDivisionError: division by zero

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "a.py", line 3, in <module>
RuntimeError: wrapped
Traceback (most recent call last):
  File "b.py", line 1, in <module>
TypeError: unrelated second error
"""


def test_handwritten_chain_keeps_both_exceptions_in_print_order():
    (failure,) = failures_from_text(HANDWRITTEN_CHAIN)
    assert [r.type for r in failure.chain] == ["KeyError", "ValueError"]
    assert failure.exception.message.endswith("Received: units=0")


def test_handwritten_direct_cause_then_an_unrelated_traceback():
    failures = failures_from_text(HANDWRITTEN_CAUSE)
    assert [[r.type for r in f.chain] for f in failures] == [
        ["ZeroDivisionError", "RuntimeError"],
        ["TypeError"],
    ]


def test_handwritten_traceback_glued_to_a_progress_bar_and_crlf():
    text = (
        "Epoch 1/2\r\n"
        " 3/7 \x1b[32m━━━━\x1b[0m 0s - loss: 2.3Traceback (most recent call last):\r\n"
        '  File "x.py", line 1, in <module>\r\n'
        "tensorflow.python.framework.errors_impl.InvalidArgumentError: Graph execution error:\r\n"
        "\r\n"
        "Matrix size-incompatible: In[0]: [32,20], In[1]: [10,64]\r\n"
        "\t [[{{node sequential_1/dense_1/MatMul}}]] [Op:__inference_one_step_on_iterator_1]\r\n"
    )
    (failure,) = failures_from_text(text)
    assert failure.exception.short_type == "InvalidArgumentError"
    assert "Matrix size-incompatible: In[0]: [32,20]" in failure.exception.message
    assert "[[{{node sequential_1/dense_1/MatMul}}]]" in failure.exception.message


def test_handwritten_truncated_and_bare_tracebacks_are_safe():
    assert failures_from_text('Traceback (most recent call last):\n  File "x.py", line 1') == []
    (bare,) = failures_from_text(
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in <module>\n'
        "KeyboardInterrupt\n"
    )
    assert bare.exception.type == "KeyboardInterrupt" and bare.exception.message == ""


def test_handwritten_limit_runtime_error_alone_yields_the_embedded_trial_error():
    text = (
        "Traceback (most recent call last):\n"
        '  File "s.py", line 9, in <module>\n'
        "RuntimeError: Number of consecutive failures exceeded the limit of 3.\n"
        "Traceback (most recent call last):\n"
        '  File "kt.py", line 274, in _try_run_and_update_trial\n'
        "ValueError: Invalid value for argument `filters`. Expected a strictly positive value. "
        "Received filters=-16.\n"
    )
    (failure,) = failures_from_text(text)
    assert failure.tripped_limit == 3
    assert failure.exception.message.endswith("filters=-16.")


def test_no_traceback_means_no_failure(database):
    # A short input's loose text is only a candidate: a failure if a pattern knows it.
    found = failures_from_text("Epoch 1/2\nall good\n")
    assert found and all(f.candidate for f in found)
    assert reports(found, database) == []
    assert failures_from_text("") == []


def test_results_summary_copy_is_linked_by_its_trial_id_not_by_position():
    # Real capture: stdout lags, and results_summary() prints the failed trial's traceback again.
    failures = failures_from_path(CAPTURED / "keras3" / "layer-pool-size-too-large" / "run.log")
    assert [f.trial.number for f in failures] == [3, 3]
    summary_copy = failures[1]
    assert summary_copy.trial.trial_id == "2"
    assert summary_copy.trial.hyperparameters == {"pool_size": 8}


def test_a_process_abort_is_a_failure_of_the_running_trial():
    (failure,) = failures_from_path(CAPTURED / "keras2" / "hp-dense-units-zero" / "run.log")
    assert failure.exception.type == "ProcessAborted"
    assert "dnnl::error" in failure.exception.message
    assert failure.trial.number == 3


def test_warnings_are_candidates_and_constant_objective_is_detected():
    path = CAPTURED / "keras3" / "act-softmax-single-unit" / "run.log"
    everything = text.failures_from_path(path)
    warnings = [f for f in everything if f.warning]
    assert any("softmax over axis -1" in f.exception.message for f in warnings)
    constant = [f for f in everything if f.exception.type == "ConstantObjective"]
    assert len(constant) == 3 and {f.trial.number for f in constant} == {1, 2, 3}


def test_unknown_warnings_never_become_reports(database):
    from ktexplain import pipeline

    path = CAPTURED / "keras3" / "seed-conv-filters-zero" / "run.log"
    failures = text.failures_from_path(path)
    assert any(f.warning for f in failures)  # "Do not pass an `input_shape`..."
    reports = pipeline.reports(failures, database)
    assert [r.diagnosis.exception.type for r in reports] == ["ValueError"]


def test_handwritten_warning_glued_to_a_progress_bar_is_read():
    text = (
        "Search: Running Trial #1\n\n"
        "Value             |Best Value So Far |Hyperparameter\n"
        "32                |32                |units\n\n"
        "\r1/2 ━━━━━━━━━━ 0s 2ms/step - loss: 0.69/venv/lib/python3.11/site-packages/keras/src/"
        "callbacks/early_stopping.py:99: UserWarning: Early stopping conditioned on metric "
        "`val_acc` which is not available.\n"
    )
    (warning,) = [f for f in failures_from_text(text) if f.warning]
    assert warning.exception.type == "UserWarning"
    assert warning.exception.message.startswith("Early stopping conditioned on metric `val_acc`")
    assert warning.trial.number == 1


def test_bulk_skipping_reads_every_captured_log_as_line_by_line_does():
    """`feed_text` skims, replays and reads rows in runs; on every real capture it must find the
    same failures, trials, losses and line numbers as feeding each line."""
    from ktexplain.sources.text import TextReader

    def seen(reader):
        failures = [
            (f.exception.type, f.exception.message, f.trial, f.origin.line)
            for f in reader.failures_found()
            if not f.candidate
        ]
        return failures, repr(list(reader.trials.values())), reader.line_number  # NaN != NaN

    logs = sorted(CAPTURED.glob("*/*/run.log"))
    assert len(logs) > 100
    skipped = total = replayed = blocks = 0
    for log in logs:
        text = log.read_text(encoding="utf-8", errors="replace")
        by_line = TextReader(str(log))
        for line in text.removesuffix("\n").split("\n"):
            by_line.feed(line)
        in_bulk = TextReader(str(log))
        in_bulk.feed_text(text, bulk_after=0)
        assert seen(in_bulk) == seen(by_line), log
        skipped += in_bulk.skipped_lines
        total += by_line.line_number
        replayed += in_bulk.replayed
        blocks += in_bulk.blocks_read
    # the equality above is not vacuous: lines were skipped, tracebacks replayed, and
    # keras-tuner's own blocks (trial start and table, trial end and objective, summary) read
    # at once by `tunerblocks` (measured: 809 blocks, of about 1010 in the 196 captures)
    assert skipped > total / 4, (skipped, total)
    assert replayed > 20, replayed
    assert blocks > 500, blocks


def test_a_log_of_runs_appended_one_after_another_keeps_each_runs_trials_apart():
    """`python search.py >> run.log` twice: trial numbers restart, and a failure of the second
    run must never get the first run's values (nor a summary the first run printed)."""
    pairs = [
        ("keras3/layer-pool-size-too-large", "keras3/seed-input-shape-mismatch-quiet"),
        ("keras2/seed-input-shape-mismatch-quiet", "keras2/seed-conv-filters-zero"),
        ("keras3/long-run-some-trials-fail", "keras3/long-run-some-trials-fail"),
    ]

    def seen(text, offset=0):
        return [
            (
                f.exception.type,
                f.trial.number if f.trial else None,
                dict(f.trial.hyperparameters) if f.trial else None,
                (f.origin.line or 0) + offset,
            )
            for f in failures_from_text(text)
            if not f.candidate
        ]

    for first, second in pairs:
        a = (CAPTURED / first / "run.log").read_text(encoding="utf-8")
        b = (CAPTURED / second / "run.log").read_text(encoding="utf-8")
        assert a.endswith("\n")
        together = seen(a + b)
        assert together == seen(a) + seen(b, offset=a.count("\n")), (first, second)
