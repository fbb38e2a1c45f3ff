"""Text logs → Failures.

Reads what a user really saved: combined stdout/stderr of a tuner run with TensorFlow's log
noise, progress bars full of ``\\r`` and ANSI codes, keras-tuner's per-trial tables, the tracebacks
of failed trials, and the final ``RuntimeError: Number of consecutive failures exceeded the limit``
whose message carries the last trial's traceback as text. Also plain tracebacks copied from a
terminal, with chains, ``^^^^`` markers, Keras 3 ``Arguments received by`` blocks and TensorFlow's
``Detected at node`` blocks.

The reader is a single pass, keeping only the current traceback and per-trial facts, so a log
of any size streams through. This module says what each line means (`TextReader.feed`); the
tracebacks are read by `tracebacks.TracebackReading`, and blocks of raw bytes with the shortcuts
of a long log by `bulk.BulkReading`. Linking tracebacks to trials is done at the end (see
`trials.link_trials`): with stdout block-buffered and stderr not, the tables of a saved log can lag
behind the tracebacks they belong to. A log that holds several runs keeps each run's trials.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ktexplain.failure import ExceptionRecord, Failure, Frame, Origin, Trial
from ktexplain.sources.bulk import LOOSE_INPUT, BulkReading
from ktexplain.sources.renderings import Chain
from ktexplain.sources.skim import Skimmer, loss_values
from ktexplain.sources.terminal import clean_line
from ktexplain.sources.tracebacks import CHAIN_SEPARATORS, TRACEBACK, TracebackReading
from ktexplain.sources.trials import (
    SUMMARY_VALUE,
    Pending,
    Summary,
    TrialFacts,
    is_construction,
    link_trials,
    number_of,
    parse_value,
    silent_failures,
)

if TYPE_CHECKING:
    from ktexplain.sources import episodes

RUNNING_TRIAL = re.compile(r"^Search: Running Trial #(\d+)\s*$")
TABLE_HEADER = re.compile(r"^Value\s*\|Best Value So Far\s*\|Hyperparameter\s*$")
TRIAL_COMPLETE = re.compile(r"^Trial (\d+) Complete \[")
SUMMARY_TRIAL = re.compile(r"^Trial (\w+) summary$")
OBJECTIVE_LINE = re.compile(r"^(?P<name>[\w/.\-]+): (?P<value>\S+)\s*$")
ABORT_PREFIX = "terminate called after throwing an instance of"
TF_WARNING_PREFIX = "WARNING:tensorflow:"
TF_WARNING_LINE = re.compile(r"^WARNING:tensorflow:(?P<message>.+)$")
GLUED_WARNING = re.compile(r"(?:/|[A-Za-z]:\\)[^\s:]*\.py:\d+: [A-Z]\w*Warning: ")
WARNING_LINE = re.compile(
    r"^(?P<file>\S[^:]*\.py):(?P<line>\d+): (?P<type>[A-Z]\w*Warning): (?P<message>.+)$"
)
# An exception line with no traceback above it: a paste of the last lines, or a traceback whose
# frames were cut. ``InvalidArgumentError (see above for traceback): …`` is TF 1's wording.
BARE_EXCEPTION = re.compile(
    r"^(?P<type>(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Exception|Exit))"
    r"(?: \(see above for traceback\))?: (?P<msg>\S.*)$"
)
LOOSE_LINES = 2000  # lines of loose text kept for message mode: a paste, not a week-long log
# What any part of the reader acts on while it is idle: a line holding none of these is skipped
# in bulk by `bulk.BulkReading.feed_bytes` (the recognisers' own triggers are added per reader).
TRIGGERS = (
    "Traceback",
    "Error",
    "Exception",
    "Exit: ",
    "Warning",
    "WARNING:",
    "Running Trial #",
    "Best Value So Far",
    " Complete [",
    " summary",
    "Hyperparameters:",
    "terminate called",
    "what():",
    "This TensorFlow binary is optimized",
)
# TensorFlow says this once per process, when it loads: in a log that holds several runs
# (appended one after another), each run's trials are its own, however they are numbered.
PROCESS_START = "This TensorFlow binary is optimized"


_INFINITIES = (math.inf, -math.inf)


CONSTRUCTION = Trial(construction=True)  # the build at tuner construction: one record for all


class TextReader(BulkReading, TracebackReading):
    """Feed lines, then call `failures()`. Memory grows with trials and failures, not lines."""

    TRIGGERS = TRIGGERS

    def __init__(self, source: str = "<text>") -> None:
        self.source = source
        self.trials: dict[int, TrialFacts] = {}
        self.failures: list[tuple[Pending, int]] = []
        self.current_trial: TrialFacts | None = None
        self.block = None
        self.chain = None
        self.in_table = False
        self.expect_objective = False
        self.awaiting_chain = False
        self.separator_seen = False
        self.limit: int | None = None
        self.expect_embedded: int | None = None
        self.line_number = 0
        self._shared: dict[Any, Any] = {}
        self.abort: list[str] | None = None
        self.summary: Summary | None = None
        self.abort_line = 0
        self.abort_trial: int | None = None
        self.aborted = False
        self.loose: list[tuple[int, list[str]]] = []  # paragraphs of text no structure took
        self.loose_open = False
        self.loose_count = 0
        self._trial_records: dict[int, Trial] = {}
        self.earlier_runs: list[_Run] = []  # runs before the current one, in a log of several
        self.last_running = 0
        self.renderings = Chain()  # IPython, quoted, TF C++ log… → the plain rendering
        self._skim: Skimmer | None = None
        self._episodes: episodes.Episodes | None = None  # loaded for long inputs only
        self.passthrough = True
        self.skipped_lines = 0  # lines skimmed over in bulk, never decoded nor read
        self.blocks_read = 0  # keras-tuner's blocks read at once (`tunerblocks`)

    # -- feeding ---------------------------------------------------------------------------
    def _idle(self) -> bool:
        """Nothing half-read: no traceback, table, objective, summary values, abort or
        rendering waiting for its next line."""
        return (
            self.block is None
            and self.chain is None
            and not self.awaiting_chain
            and not self.in_table
            and not self.expect_objective
            and self.expect_embedded is None
            and self.abort is None
            and (self.summary is None or not self.summary.reading_values)
            and self.renderings.idle
        )

    def feed(self, raw: str) -> None:
        self.line_number += 1
        if self.current_trial is not None and "loss: " in raw:
            data = raw.encode("utf-8", "surrogatepass")
            for value, _ in loss_values(data, 0, len(data)):
                self._note_loss(value, self.line_number)
        line = clean_line(raw)
        plain = self.renderings.feed(line)
        if len(plain) != 1 or plain[0] != line:
            self.passthrough = False  # a rendering took or rewrote the line (see `episodes`)
        for each in plain:
            self._feed_line(each)

    def _feed_line(self, line: str) -> None:
        if TRACEBACK in line and not line.startswith(TRACEBACK):
            # stderr's traceback glued to the end of a progress bar that never got its newline
            head, _, _ = line.partition(TRACEBACK)
            self._feed_clean(head)
            line = TRACEBACK
        elif "Warning: " in line and (glued := GLUED_WARNING.search(line)) and glued.start() > 0:
            self._feed_clean(line[: glued.start()])  # the same, for a Python warning
            line = line[glued.start() :]
        elif (start := line.find(TF_WARNING_PREFIX)) > 0:
            self._feed_clean(line[:start])  # and for TensorFlow's logger
            line = line[start:]
        self._feed_clean(line)

    def _feed_clean(self, line: str) -> None:
        if self.block is not None and self._feed_block(line):
            return
        stripped = line.strip()
        if self.awaiting_chain:
            if not stripped:
                return
            if any(line.startswith(s) for s in CHAIN_SEPARATORS):
                self.separator_seen = True
                return
            if line.startswith(TRACEBACK) and self.separator_seen:
                self.awaiting_chain = self.separator_seen = False
                self._start_block(keep_chain=True)
                return
            self._close_chain()
        if line.startswith(TRACEBACK):
            self._close_chain()
            self._start_block(keep_chain=False)
            return
        if line[:1].isalpha() and (bare := BARE_EXCEPTION.match(line)):
            # The last line of a traceback whose frames were not pasted: read the same way.
            self._close_chain()
            self._start_block(keep_chain=False)
            assert self.block is not None
            self.block.type = bare.group("type")
            self.block.message = [bare.group("msg")]
            self.block.text.append(line)
            self.loose_open = False
            return
        if self.expect_embedded is not None and stripped:
            self.expect_embedded = None
        self._feed_structure(line, stripped)

    def _feed_structure(self, line: str, stripped: str) -> None:
        if self.in_table:
            if "|" in line and not TABLE_HEADER.match(line):
                self._table_row(line)
                return
            self.in_table = False
        if self.expect_objective:
            if not stripped:
                self.expect_objective = False
                return
            self.expect_objective = False
            found = OBJECTIVE_LINE.match(stripped)
            if found and self.current_trial is not None and not stripped.startswith("Best "):
                self.current_trial.objective = (found.group("name"), found.group("value"))
                return
        if not stripped:
            if self.summary is not None:
                self.summary.reading_values = False
            self.loose_open = False
            return
        first = stripped[0]
        if first == "T" and (summary := SUMMARY_TRIAL.match(stripped)):
            self.summary = Summary(summary.group(1))
            return
        if self.summary is not None:
            if stripped == "Hyperparameters:":
                self.summary.reading_values = True
                return
            value = SUMMARY_VALUE.match(stripped) if self.summary.reading_values else None
            if value:
                name = value.group("name")
                self.summary.note(name, value.group("value"))
                return
            self.summary.reading_values = False
        running = RUNNING_TRIAL.match(stripped) if first == "S" else None
        if running:
            self._running(int(running.group(1)))
            return
        if first == "V" and TABLE_HEADER.match(stripped):
            self.in_table = True
            return
        complete = TRIAL_COMPLETE.match(stripped) if first == "T" else None
        if complete:
            self._complete(int(complete.group(1)))
            return
        if "Warning: " in line and (warning := WARNING_LINE.match(line)):
            frame = Frame(warning.group("file"), int(warning.group("line")), "<warning>")
            self._warning(warning.group("type"), warning.group("message"), (frame,), line)
            return
        if first == "W" and (logged := TF_WARNING_LINE.match(stripped)):
            # Keras 2 says some things only through TensorFlow's logger (EarlyStopping on a
            # metric that is not logged): a warning candidate like the others.
            self._warning("TensorFlowWarning", logged.group("message"), (), line)
            return
        if first == "t" and stripped.startswith(ABORT_PREFIX):
            self.abort = [stripped]
            self.abort_line = self.line_number
            self.abort_trial = self.current_trial.number if self.current_trial else None
            return
        if self.abort is not None and len(self.abort) == 1:
            if stripped.startswith("what():"):
                self.abort.append(stripped)
            self._close_abort()
            return
        if self.current_trial is not None and "loss: " in line:
            return  # a progress line: its losses were noted as it came in (`feed`)
        if PROCESS_START in line and self.trials:
            self._new_run()
        self._loose(stripped)

    def _running(self, number: int) -> None:
        """``Search: Running Trial #N``: trial N starts."""
        if number < self.last_running:
            self._new_run()  # numbers went back: another search (a retry repeats its own)
        self.last_running = number
        facts = self.trials.get(number)
        if facts is None:
            facts = self.trials[number] = TrialFacts(number, self.line_number)
        self.current_trial = facts

    def _complete(self, number: int) -> None:
        """``Trial N Complete [time]``: its objective may follow."""
        facts = self.trials.get(number)
        if facts is None:
            facts = self.trials[number] = TrialFacts(number, self.line_number)
        facts.completed_line = self.line_number
        self.current_trial = facts
        self.expect_objective = True

    def _loose(self, stripped: str) -> None:
        """Text no structure took, in paragraphs: in a short input, a message pasted alone."""
        if self.loose_count >= LOOSE_LINES:
            return
        self.loose_count += 1
        if self.loose_open and self.loose:
            self.loose[-1][1].append(stripped)
        else:
            self.loose.append((self.line_number, [stripped]))
            self.loose_open = True

    def _candidates(self) -> Iterator[Failure]:
        """A short input with no traceback is read as a message: each paragraph a pattern
        knows is a failure. A long log's loose text is noise, never read that way."""
        if self.line_number > LOOSE_INPUT:
            return
        if len(self.loose) > 1:
            # The paste as one message first: a cause can span paragraphs (an op's error, then
            # the layer call that explains it), and the strongest pattern over all of it is the
            # best headline; each paragraph a pattern knows is explained after it.
            text = "\n\n".join("\n".join(paragraph) for _, paragraph in self.loose)
            yield Failure(
                chain=(ExceptionRecord("", text),),
                origin=Origin(self.source, self.loose[0][0]),
                traceback_text=text,
                candidate=True,
            )
        for line, paragraph in self.loose:
            text = "\n".join(paragraph)
            yield Failure(
                chain=(ExceptionRecord("", text),),
                origin=Origin(self.source, line),
                traceback_text=text,
                candidate=True,
            )

    def _warning(self, type_name: str, message: str, frames: tuple[Frame, ...], text: str) -> None:
        """A warning: kept as a candidate, reported only if a pattern knows it (a softmax over
        one unit trains without error and only says so here)."""
        record = ExceptionRecord(type_name, message, frames)
        pending = Pending(
            line=self.line_number,
            trial_number=self.current_trial.number if self.current_trial else None,
            warning=True,
        )
        pending.records.append(self._shared.setdefault(record, record))
        pending.text.append(text)
        self.failures.append((pending, len(self.failures)))

    def _close_abort(self) -> None:
        """The C++ runtime killed the process: no Python traceback, only these two lines."""
        if self.abort is None:
            return
        pending = Pending(line=self.abort_line, trial_number=self.abort_trial)
        pending.records.append(ExceptionRecord("ProcessAborted", "\n".join(self.abort)))
        pending.text.extend(self.abort)
        self.aborted = True
        self.failures.append((pending, len(self.failures)))
        self.abort = None

    def _table_row(self, line: str) -> None:
        parts = line.split("|", 2)
        facts = self.current_trial
        if len(parts) != 3 or facts is None:
            return
        name = parts[2].strip()
        if not name:
            return
        value = parse_value(parts[0])
        if value.__class__ is str and value.endswith("...") and len(value) >= 15:
            facts.truncated.add(name)
        facts.hyperparameters[name] = value

    def _note_loss(self, value: bytes, line: int) -> None:
        facts = self.current_trial
        if facts is None:
            return
        try:
            number = float(value)
        except ValueError:
            return
        if facts.first_loss is None:
            facts.first_loss = number
        facts.last_loss = number
        peak = facts.peak_loss
        if (
            number != number  # NaN
            or number in _INFINITIES
            or peak is None
            or (peak == peak and number > peak)
        ):
            facts.peak_loss = number  # the last NaN/inf, else the first largest value
            facts.loss_line = line

    # -- end -------------------------------------------------------------------------------
    def close(self) -> None:
        for plain in self.renderings.close():
            self._feed_line(plain)
        self._close_abort()
        if self.block is not None:
            if self.block.type is not None:
                self._end_exception()
            else:
                self._finish_block(None, "")
        self._close_chain()

    def _new_run(self) -> None:
        """Another run begins: what is known of the trials so far belongs to the one before."""
        self.earlier_runs.append(
            _Run(self.trials, self.failures, self.limit is not None or self.aborted)
        )
        self.trials, self.failures = {}, []
        self.limit, self.aborted = None, False
        self.current_trial = None
        self.last_running = 0

    def trials_seen(self) -> list[Trial]:
        """Every trial the log ran, failed or not, with the values its table printed: what
        attribution across trials compares the failures with. ``status`` is COMPLETED when
        keras-tuner printed an objective for it, else None (failed, or cut off). A log of
        several runs gives none: their trial numbers are not one set."""
        if self.earlier_runs:
            return []
        return [
            Trial(
                number=facts.number,
                hyperparameters=dict(facts.hyperparameters),
                values_truncated=frozenset(facts.truncated),
                status="COMPLETED"
                if facts.objective is not None
                and facts.objective[1].lower() not in ("nan", "-nan", "inf", "-inf", "none")
                else None,
            )
            for facts in self.trials.values()
        ]

    def objectives_printed(self) -> dict[int, str]:
        """Each trial's objective as keras-tuner printed it after ``Trial N Complete`` (none
        for a log of several runs, as `trials_seen`)."""
        if self.earlier_runs:
            return {}
        return {
            facts.number: facts.objective[1]
            for facts in self.trials.values()
            if facts.number is not None and facts.objective is not None
        }

    def failures_found(self) -> list[Failure]:
        self.close()
        runs = [
            *self.earlier_runs,
            _Run(self.trials, self.failures, self.limit is not None or self.aborted),
        ]
        out: list[Failure] = []
        anything_real = False
        for run in runs:
            self._trial_records = {}  # trial numbers are the run's own
            pendings = [p for p, _ in run.failures]
            numbers = link_trials(pendings, run.trials, run.stopped)
            for pending, number in zip(pendings, numbers, strict=True):
                out.append(
                    Failure(
                        chain=tuple(pending.records),
                        origin=Origin(self.source, pending.line),
                        trial=self._trial(number, pending, run.trials),
                        traceback_text=self._share("\n".join(pending.text)),
                        tripped_limit=pending.embedded_in_limit,
                        warning=pending.warning,
                    )
                )
            real = [n for p, n in zip(pendings, numbers, strict=True) if not p.warning]
            out.extend(silent_failures(run.trials, real, self.source))
            anything_real = anything_real or bool(real) or bool(run.trials)
        if not anything_real:
            out.extend(self._candidates())  # a paste: no traceback, no tuner output
        out.sort(key=lambda f: f.origin.line or 0)
        return out

    def _trial(
        self, number: int | None, pending: Pending, trials: dict[int, TrialFacts]
    ) -> Trial | None:
        if is_construction(pending.records):
            return CONSTRUCTION
        if pending.summary is not None:
            summary = pending.summary
            return Trial(
                number=number_of(summary.trial_id),
                trial_id=summary.trial_id,
                hyperparameters=dict(summary.hyperparameters),
                status="FAILED",
            )
        if number is None:
            return None
        # One record per trial, however many of its tracebacks a long log repeats.
        cached = self._trial_records.get(number)
        if cached is not None:
            return cached
        facts = trials.get(number)
        if facts is None:
            trial = Trial(number=number)
        else:
            trial = Trial(
                number=number,
                hyperparameters=dict(facts.hyperparameters),
                values_truncated=frozenset(facts.truncated),
                status="FAILED",
            )
        self._trial_records[number] = trial
        return trial


class _Run:
    """One run's trials and failures, in a log that holds several."""

    __slots__ = ("failures", "stopped", "trials")

    def __init__(
        self, trials: dict[int, TrialFacts], failures: list[tuple[Pending, int]], stopped: bool
    ) -> None:
        self.trials, self.failures, self.stopped = trials, failures, stopped


def failures_from_lines(lines: Iterable[str], source: str = "<text>") -> list[Failure]:
    reader = TextReader(source)
    for line in lines:
        reader.feed(line)
    return reader.failures_found()


def failures_from_text(text: str, source: str = "<text>") -> list[Failure]:
    return failures_from_lines(text.splitlines(), source)


def failures_from_path(path: Path, source: str | None = None) -> list[Failure]:
    with path.open("r", encoding="utf-8", errors="replace", newline="\n") as handle:
        return failures_from_lines(handle, source or str(path))
