"""keras-tuner's own blocks in a long log, each read with one regex.

Between the progress bars of a search, keras-tuner prints the same few blocks for every trial
(``keras_tuner/src/engine/tuner_utils.py``, ``Display.on_trial_begin`` / ``on_trial_end``, and
``Trial.summary`` for ``results_summary()``; the same in every 1.x release)::

    Search: Running Trial #7
                                                        (blank lines)
    Value             |Best Value So Far |Hyperparameter
    relu              |tanh              |activation    (the rows: `BulkReading._rows`)

    …progress bars…
    ␛[2K␍Trial 7 Complete [00h 00m 11s]                 (after an ANSI clear)
    val_accuracy: 0.8700000047683716                    (only when the trial has a score)

    Trial 07 summary
    Hyperparameters:
    activation: relu                                    (the values: `BulkReading._rows`)
    Score: 0.87

Fed line by line, each of these lines goes through the whole reader (the renderings, the
traceback checks, the structure) to have one small effect. `read` matches a block's fixed lines
with one regex at the start of a line the skimmer stopped at, and makes the calls the reader
would make for them (`TextReader._running`, `_complete`, the summary's start), then leaves its
rows to `_rows`. A block that is not exactly as keras-tuner prints it (another rendering, a
line glued to it, a phrase another part of the reader acts on) is not matched and is read line
by line. The test suite checks that both readings agree (``tests/test_skim.py``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ktexplain.sources.text import OBJECTIVE_LINE
from ktexplain.sources.trials import Summary

if TYPE_CHECKING:
    from ktexplain.sources.skim import Skimmer
    from ktexplain.sources.text import TextReader

_BLANKS = rb"((?:[ \t]*\n)*)"
RUNNING = re.compile(
    rb"Search: Running Trial #(\d+)[ \t]*\n"
    + _BLANKS
    + rb"(Value[ \t]*\|Best Value So Far[ \t]*\|Hyperparameter[ \t]*\n)?"
)
# The end of a trial, after the ANSI codes and carriage returns of the progress bar's clearing,
# its duration as `Display.format_duration` writes it (``1d 02h 03m 04s``; no phrase the
# reader acts on is made of these characters: a warning glued inside is read line by line).
COMPLETE = re.compile(
    rb"(?:\x1b\[[0-?]*[ -/]*[@-~]|\r)*(Trial (\d+) Complete \[[0-9dhms:. ]*\][ \t]*\n)"
)
OBJECTIVE = re.compile(rb"[^\s:]+: \S+[ \t]*\n")  # a first look: `text.OBJECTIVE_LINE` decides
SUMMARY = re.compile(rb"Trial (\w+) summary[ \t]*\nHyperparameters:[ \t]*\n")
BLANK = re.compile(rb"[ \t]*\n")


def read(reader: TextReader, data: bytes, pos: int, skimmer: Skimmer, end: int) -> int:
    """Read the block of keras-tuner's at `pos` (the start of a line; the reader is idle), if
    there is one there, as feeding its lines would. Returns where reading goes on (`pos` when
    no block was read). Nothing at or after `end` is read."""
    first = data[pos : pos + 1]
    if first == b"S":
        return _running(reader, data, pos, skimmer, end)
    if first == b"T":
        found = _summary(reader, data, pos, skimmer, end)
        return found if found > pos else _complete(reader, data, pos, skimmer, end)
    if first in (b"\x1b", b"\r"):
        return _complete(reader, data, pos, skimmer, end)
    return pos


def blank_after_rows(reader: TextReader, data: bytes, pos: int, skimmer: Skimmer, end: int) -> int:
    """The blank line that ends a trial's table or a summary's values, read as `feed` would
    (`_feed_structure`: the table and the values end, and so does a paragraph)."""
    found = BLANK.match(data, pos, end)
    if found is None or not skimmer.quiet(found.group()):
        return pos
    reader.line_number += 1
    reader.in_table = False
    if reader.summary is not None:
        reader.summary.reading_values = False
    reader.loose_open = False
    return found.end()


def _running(reader: TextReader, data: bytes, pos: int, skimmer: Skimmer, end: int) -> int:
    found = RUNNING.match(data, pos, end)
    if found is None or not skimmer.quiet(found.group()):
        return pos
    reader.line_number += 1
    reader._running(int(found.group(1)))
    blanks = found.group(2).count(b"\n")
    if blanks:
        reader.line_number += blanks
        if reader.summary is not None:
            reader.summary.reading_values = False
        reader.loose_open = False
    if found.group(3) is not None:
        reader.line_number += 1
        reader.in_table = True
    return found.end()


def _complete(reader: TextReader, data: bytes, pos: int, skimmer: Skimmer, end: int) -> int:
    found = COMPLETE.match(data, pos, end)
    if found is None or not skimmer.quiet(found.group(1)):
        return pos
    reader.line_number += 1
    reader._complete(int(found.group(2)))
    after = found.end()
    # The next line: a blank one (no score), or the objective; else it is read line by line.
    blank = BLANK.match(data, after, end)
    if blank is not None:
        if not skimmer.quiet(blank.group()):
            return after
        reader.line_number += 1
        reader.expect_objective = False
        return blank.end()
    line = OBJECTIVE.match(data, after, end)
    if line is None or not skimmer.plain(line.group()):
        return after  # something else acts on it (or a loss, which `feed` notes)
    try:
        stripped = line.group().decode("utf-8").strip()
    except UnicodeDecodeError:
        return after
    objective = OBJECTIVE_LINE.match(stripped)
    if objective is None or stripped.startswith("Best "):
        return after
    reader.line_number += 1
    reader.expect_objective = False
    if reader.current_trial is not None:
        reader.current_trial.objective = (objective.group("name"), objective.group("value"))
    return line.end()


def _summary(reader: TextReader, data: bytes, pos: int, skimmer: Skimmer, end: int) -> int:
    found = SUMMARY.match(data, pos, end)
    if found is None or not skimmer.quiet(found.group()):
        return pos
    reader.line_number += 1
    reader.summary = Summary(found.group(1).decode("ascii"))
    reader.line_number += 1
    reader.summary.reading_values = True
    return found.end()
