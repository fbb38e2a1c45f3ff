"""Skimming, episodes and row runs are shortcuts: whatever the input, reading with them must give
exactly what feeding every line gives (failures, trial facts, line numbers).

The inputs are real captured logs cut into runs of lines and shuffled together (so tracebacks
meet closing lines, tables and progress bars they never met in the run), plus a few hand-written
lines for the parser's edge cases, named as such below."""

from __future__ import annotations

import math
import random

from conftest import CAPTURED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ktexplain.sources.skim import loss_values
from ktexplain.sources.text import TextReader

REAL_LOGS = [
    CAPTURED / "keras3" / "long-run-some-trials-fail" / "run.log",
    CAPTURED / "keras2" / "long-run-some-trials-fail" / "run.log",
    CAPTURED / "keras3" / "seed-conv-filters-zero" / "run.log",
    CAPTURED / "keras2" / "seed-adam-huge-learning-rate" / "run.log",
    CAPTURED / "keras3" / "seed-input-shape-mismatch-quiet" / "run.log",
    CAPTURED / "keras2" / "opt-sgd-nan-loss" / "run.log",
]
# ... and every seventh capture of every dialect (jax, torch, TF's own log lines, ...)
REAL_LOGS += sorted(CAPTURED.glob("*/*/run.log"))[::7]
REAL_LINES = [
    line for path in REAL_LOGS for line in path.read_bytes().split(b"\n") if len(line) < 20_000
]
# Hand-written lines for the parser's edge cases (not real output): a traceback glued to a
# progress bar, a trigger in a progress bar's hidden segment, metrics named like the loss, a
# NaN, a blank last segment, an OSC escape holding \r, a table row that is also a quote.
EDGE_LINES = [
    b"\r1/5 - loss: 0.5\r5/5 - loss: 0.25Traceback (most recent call last):",
    b"\rTraceback (most recent call last):\r2/5 - loss: 0.4 - val_loss: 9.0",
    b"\r3/5 - kl_loss: 7.0 - loss: 1e3 - train/loss: 2.0\r   ",
    b"\r4/5 - loss: nan - val_loss: nan",
    b"\x1b]0;title\rwith cr\x07 ValueError: x",
    b"> quoted |value |units",
    b"",
    b"Search: Running Trial #2",
    b"Value             |Best Value So Far |Hyperparameter",
    b"Trial 2 Complete [00h 00m 01s]",
    b"val_loss: 0.5",
    b"Hyperparameters:",
    b"units: 32",
]
# Hand-written keras-tuner blocks for the parser's edge cases (not real output), where reading a
# block at once (`tunerblocks`) must fall back to line by line, or do exactly what it does: an
# objective that is a loss, or named like one, or not a name, or a "Best ... So Far" line, or an
# exception, or a blank of spaces, tabs or U+00A0 after "Complete"; a "Complete" line with
# trailing spaces, ANSI clears, a \r\n end or a traceback header in its brackets; a trial start
# without a table, or followed by a header with trailing spaces, by rows the renderings act on
# (ending in "_", starting with ">") or holding "Error"; summary values cut by a traceback, a
# summary with no "Hyperparameters:", a trial number going down (another search), and the plain
# layout itself. Several lines each, so that a block meets the lines it is not made of.
TUNER_EDGE_LINES = [
    b"Trial 3 Complete [00h 00m 01s]\nloss: 0.5",
    b"Trial 3 Complete [00h 00m 01s]\nval_loss: 0.25",
    b"Trial 3 Complete [00h 00m 01s]\nBest val_accuracy So Far: 0.9",
    b"Trial 3 Complete [00h 00m 01s]\nValueError: x",
    b"Trial 3 Complete [00h 00m 01s]\nval_accuracy: 0.5_",
    b"Trial 3 Complete [00h 00m 01s]\nacc+top5: 0.5",
    b"Trial 3 Complete [00h 00m 01s]\nSearch: Running Trial #4",
    b"Trial 3 Complete [00h 00m 01s]   \t\nval_accuracy: 0.5   ",
    b"Trial 3 Complete [00h 00m 01s]\r\nval_accuracy: 0.5\r",
    b"Trial 3 Complete [Traceback (most recent call last):]\n",
    b"\x1b[2K\rTrial 3 Complete [00h 00m 01s]\nval_accuracy: 0.75",
    b"\x1b[2K\r\x1b[2K\rTrial 4 Complete [00h 00m 02s]\n \t \nTotal elapsed time: 00h 00m 03s",
    b"\rTrial 4 Complete [00h 00m 02s]\n\xc2\xa0\n\r5/5 - loss: 0.125",
    b"Search: Running Trial #3\n32                |16                |units",
    b"Search: Running Trial #3\ndefault configuration",
    b"Search: Running Trial #3 \n\n \t\nValue             |Best Value So Far |Hyperparameter   "
    b"\nrelu              |tanh              |activation\n\t",
    b"Search: Running Trial #5\n\nValue             |Best Value So Far |Hyperparameter"
    b"\nfoo_              |bar_              |name_\n> 32              |16                |units",
    b"Search: Running Trial #6\n\nValue             |Best Value So Far |Hyperparameter"
    b"\nValueError: x     |Error             |units\n",
    b"  Search: Running Trial #6\n\n  Value             |Best Value So Far |Hyperparameter",
    b"Trial 7 summary\nHyperparameters:\nunits: 32\nTraceback (most recent call last):",
    b"Trial 7 summary\nunits: 32\nScore: 0.5",
    b"Trial 0a1b summary\nHyperparameters:\nunits: 64\nScore: 0.25\nTrial 8 summary",
    b"Search: Running Trial #9\n\nValue             |Best Value So Far |Hyperparameter"
    b"\n8                 |8                 |units\n\nSearch: Running Trial #1\n",
    b"Search: Running Trial #2\n\nValue             |Best Value So Far |Hyperparameter"
    b"\n32                |16                |units\n\n\r1/1 - loss: 0.5\n"
    b"\x1b[2K\rTrial 2 Complete [00h 00m 01s]\nval_accuracy: 0.5\n\n"
    b"Trial 2 summary\nHyperparameters:\nunits: 32\nScore: 0.5\n",
]
# Hand-written (not real output): a warning stderr wrote into the middle of stdout's "Complete"
# line, before its "]". Fed line by line, the line is cut at the warning, which is reported.
GLUED_IN_COMPLETE = [
    b"Trial 3 Complete [00h 0WARNING:tensorflow:Callback method `on_train_batch_end` is slow"
    b" compared to the batch time. Check your callbacks.]",
    b"Trial 3 Complete [00h 0/venv/lib/python3.11/site-packages/keras/src/trainers/"
    b"epoch_iterator.py:107: UserWarning: Your input ran out of data; interrupting training.]",
]
EDGE_LINES += TUNER_EDGE_LINES + GLUED_IN_COMPLETE


def _read(data: bytes, bulk: bool):
    reader = TextReader("<test>")
    if bulk:
        reader.feed_bytes(data, bulk_after=0)
    else:
        text = data.decode("utf-8", "replace")
        for line in text.removesuffix("\n").split("\n") if text else ():  # empty: no line
            reader.feed(line)
    failures = [
        (f.exception.type, f.exception.message, f.trial, f.origin.line, f.traceback_text)
        for f in reader.failures_found()
        if not f.candidate  # a short paste's loose text, which the product never skims
    ]
    return failures, repr(list(reader.trials.values())), reader.line_number, reader.limit


def runs_of_real_lines(most: int) -> st.SearchStrategy[list[tuple[int, int]]]:
    """Runs of real lines: (first line, how many)."""
    return st.lists(
        st.tuples(st.integers(0, len(REAL_LINES) - 1), st.integers(1, 80)),
        min_size=1,
        max_size=most,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    runs_of_real_lines(12),
    st.lists(st.integers(0, len(EDGE_LINES) - 1), max_size=8),
    st.integers(0, 2),
    st.booleans(),
)
def test_shortcuts_read_any_mix_of_real_runs_as_line_by_line(runs, edges, repeat, cut_short):
    pieces = [b"\n".join(REAL_LINES[start : start + length]) for start, length in runs]
    for index, edge in enumerate(edges):
        pieces.insert((index * 7) % (len(pieces) + 1), EDGE_LINES[edge])
    data = b"\n".join(pieces) + b"\n"
    data = data * (repeat + 1)  # repeated: tracebacks already read come back
    if cut_short:
        data = data[:-1]  # a log cut off mid-line: its last line has no newline
    assert _read(data, bulk=True) == _read(data, bulk=False)


def test_repeated_real_tracebacks_are_replayed_and_give_the_same_failures():
    data = REAL_LOGS[0].read_bytes() * 3
    reader = TextReader("<test>")
    reader.feed_bytes(data, bulk_after=0)
    assert reader.replayed >= 8  # 4 failed trials in each copy after the first
    assert _read(data, bulk=True) == _read(data, bulk=False)


def test_a_known_traceback_whose_message_goes_on_is_read_again():
    """Parser edge case (hand-written): the same bytes, but the next line continues the
    message instead of closing it, so replaying would lose that line."""
    traceback = (
        b"Traceback (most recent call last):\n"
        b'  File "x.py", line 1, in <module>\n'
        b"ValueError: first part\n"
    )
    data = (
        b"Search: Running Trial #1\n" + traceback + b"Trial 1 Complete [00h 00m 01s]\n"
        b"Search: Running Trial #2\n" + traceback + b"second part of the message\n"
        b"Trial 2 Complete [00h 00m 01s]\n"
    )
    bulk = _read(data, bulk=True)
    assert bulk == _read(data, bulk=False)
    messages = [failure[1] for failure in bulk[0]]
    assert messages == ["first part", "first part\nsecond part of the message"]


def test_loss_values_are_each_lines_first_and_last_training_loss():
    line = b"\r1/5 - loss: 2.5 - val_loss: 1.0\r5/5 - loss: 0.5 - val_loss: 0.1"
    assert [(v, line[at : at + 6]) for v, at in loss_values(line, 0, len(line))] == [
        (b"2.5", b"loss: "),
        (b"0.5", b"loss: "),
    ]
    two = b"epoch 1 - kl_loss: 9 - loss: 3\nval_loss: 4\nloss: nan\n"
    assert [v for v, _ in loss_values(two, 0, len(two))] == [b"3", b"nan"]
    assert list(loss_values(b"val_loss: 1 - my/loss: 2", 0, 24)) == []
    assert math.isnan(float(next(iter(loss_values(b"loss: NaN", 0, 9)))[0]))


def test_progress_bar_verdicts_are_shared_by_shape_only_when_no_phrase_has_a_digit():
    from ktexplain.sources.skim import Skimmer

    bar = b"\r1/9 \x1b[32m==\x1b[0m - loss: 0.5\r9/9 \x1b[32m==\x1b[0m - loss: 0.25\n"
    plain = Skimmer(["Traceback"], [], [])
    assert not plain._must_read(bar, 0, len(bar))
    assert len(plain._verdicts) == 1  # one shape, whatever the numbers
    other = bar.replace(b"0.25", b"0.75")
    assert not plain._must_read(other, 0, len(other)) and len(plain._verdicts) == 1
    digits = Skimmer(["9/9"], [], [])  # a phrase with a digit: judged segment by segment
    assert digits._must_read(bar, 0, len(bar))
    assert not digits._must_read(bar.replace(b"9/9", b"8/9"), 0, len(bar))
    assert digits._verdicts == {}


# Hand-written (not real output): keras-tuner's plain layout of a trial, as `tunerblocks` reads
# it at once (the start and its table, the end after an ANSI clear and its objective), and the
# summary `results_summary()` prints.
PLAIN_TRIAL = (
    b"Search: Running Trial #%d\n"
    b"\n"
    b"Value             |Best Value So Far |Hyperparameter\n"
    b"relu              |tanh              |activation\n"
    b"32                |16                |units\n"
    b"\n"
    b"Epoch 1/1\n"
    b"\r1/4 - loss: 2.5\r4/4 - loss: 1.25 - val_accuracy: 0.875\n"
    b"\x1b[2K\rTrial %d Complete [00h 00m 01s]\n"
    b"val_accuracy: 0.875\n"
    b"\n"
    b"Best val_accuracy So Far: 0.875\n"
    b"Total elapsed time: 00h 00m 01s\n"
)
PLAIN_SUMMARY = b"Trial %d summary\nHyperparameters:\nactivation: relu\nunits: 32\nScore: 0.875\n\n"


def _blocks_read(data: bytes) -> int:
    reader = TextReader("<test>")
    reader.feed_bytes(data, bulk_after=0)
    return reader.blocks_read


def test_handwritten_tuner_blocks_in_any_order_are_read_in_bulk_as_line_by_line():
    """Parser edge cases (hand-written): keras-tuner's blocks read at once, and the lines that
    make a block fall back to line by line, met before and after the plain layout, in several
    orders."""
    plain = b"".join(PLAIN_TRIAL % (n, n) for n in (1, 2, 3)) + PLAIN_SUMMARY % 2
    assert _blocks_read(plain) == 7  # three starts with their tables, three ends, a summary
    bulk = _read(plain, bulk=True)
    assert bulk == _read(plain, bulk=False)
    reader = TextReader("<test>")
    reader.feed_bytes(plain, bulk_after=0)
    facts = reader.trials[2]
    assert facts.objective == ("val_accuracy", "0.875")
    assert facts.hyperparameters == {"activation": "relu", "units": 32}
    assert (facts.first_loss, facts.last_loss) == (2.5, 1.25)

    for piece in TUNER_EDGE_LINES:  # each edge between two plain trials
        data = PLAIN_TRIAL % (3, 3) + piece + b"\n" + PLAIN_TRIAL % (4, 4) + PLAIN_SUMMARY % 4
        assert _read(data, bulk=True) == _read(data, bulk=False), piece
        assert _blocks_read(data) >= 2, piece  # at least the first trial's start and end
    rng = random.Random(7)
    pieces = list(TUNER_EDGE_LINES)
    for _ in range(25):  # all of them, shuffled, with plain trials among them
        rng.shuffle(pieces)
        cut = rng.randrange(len(pieces) + 1)
        data = b"\n".join([plain, *pieces[:cut], PLAIN_TRIAL % (5, 5), *pieces[cut:]]) + b"\n"
        assert _read(data, bulk=True) == _read(data, bulk=False), data
        assert _blocks_read(data) >= 7


def test_a_warning_glued_inside_a_complete_line_is_read_as_line_by_line():
    """Parser edge case (hand-written): the "Complete" line's brackets hold a warning. `feed`
    cuts the line at it (`TextReader._feed_line`) and reports the warning; reading the block at
    once must not lose it."""
    for glued, kind in zip(GLUED_IN_COMPLETE, ("TensorFlowWarning", "UserWarning"), strict=True):
        data = PLAIN_TRIAL % (1, 1) + PLAIN_TRIAL % (2, 2) + glued + b"\nval_accuracy: 0.5\n"
        by_line = _read(data, bulk=False)
        assert [failure[0] for failure in by_line[0]] == [kind]
        assert _read(data, bulk=True) == by_line, kind


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    runs_of_real_lines(8),
    st.binary(max_size=40),
    st.binary(max_size=40).map(lambda tail: tail.replace(b"\n", b"")),
)
def test_lines_inside_a_bigger_block_are_read_as_that_slice(runs, before, after):
    """The CLI hands the reader ``data[start:end]`` of a block it read, never copied: the
    bytes before `start` and the cut-off line after `end` are never read."""
    lines = b"\n".join(b"\n".join(REAL_LINES[a : a + n]) for a, n in runs) + b"\n"
    alone = TextReader("<test>")
    alone.feed_bytes(lines, bulk_after=0)
    inside = TextReader("<test>")
    block = before + b"\n" + lines + after
    inside.feed_bytes(block, bulk_after=0, start=len(before) + 1, end=len(block) - len(after))

    def seen(reader):
        failures = [
            (f.exception.type, f.exception.message, f.trial, f.origin.line)
            for f in reader.failures_found()
        ]
        return failures, repr(list(reader.trials.values())), reader.line_number

    assert seen(inside) == seen(alone)
