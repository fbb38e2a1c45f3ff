"""Skimming, episodes and row runs are shortcuts: whatever the input, reading with them must give
exactly what feeding every line gives (failures, trial facts, line numbers).

The inputs are real captured logs cut into runs of lines and shuffled together (so tracebacks
meet closing lines, tables and progress bars they never met in the run), plus a few hand-written
lines for the parser's edge cases, named as such below."""

from __future__ import annotations

import math

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


def _read(data: bytes, bulk: bool):
    reader = TextReader("<test>")
    if bulk:
        reader.feed_bytes(data, bulk_after=0)
    else:
        text = data.decode("utf-8", "replace")
        for line in text.removesuffix("\n").split("\n"):
            reader.feed(line)
    failures = [
        (f.exception.type, f.exception.message, f.trial, f.origin.line, f.traceback_text)
        for f in reader.failures_found()
        if not f.candidate  # a short paste's loose text, which the product never skims
    ]
    return failures, repr(list(reader.trials.values())), reader.line_number, reader.limit


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, len(REAL_LINES) - 1), st.integers(1, 80)),
        min_size=1,
        max_size=12,
    ),
    st.lists(st.integers(0, len(EDGE_LINES) - 1), max_size=6),
    st.integers(0, 2),
)
def test_shortcuts_read_any_mix_of_real_runs_as_line_by_line(runs, edges, repeat):
    pieces = [b"\n".join(REAL_LINES[start : start + length]) for start, length in runs]
    for index, edge in enumerate(edges):
        pieces.insert((index * 7) % (len(pieces) + 1), EDGE_LINES[edge])
    data = b"\n".join(pieces) + b"\n"
    data = data * (repeat + 1)  # repeated: tracebacks already read come back
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
