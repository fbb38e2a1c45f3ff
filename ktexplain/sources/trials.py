"""What a log says about its trials, and what follows from it once the log is read.

The reader (`text.py`) collects each trial's facts (`TrialFacts`: its table, its objective, its
losses) and each traceback as `Pending`. At the end, `link_trials` says which traceback belongs
to which trial, and `silent_failures` finds the trials that failed without one: a NaN
objective, a loss that blew up, or a search whose every trial scored the same.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from ktexplain.failure import ExceptionRecord, Failure, Origin, Trial


def parse_value(text: str) -> Any:
    """A value as keras-tuner printed it: bool, None, int, float, else the text (stripped)."""
    found = _PARSED.get(text, _MISSING)
    if found is _MISSING:
        found = _parse(text)
        if len(_PARSED) < _MAX_PARSED:
            _PARSED[text] = found  # a search prints the same few values again and again
    return found


_PARSED: dict[str, Any] = {}
_MAX_PARSED = 1 << 16
_MISSING = object()


def _parse(text: str) -> Any:
    text = text.strip()
    if text in ("True", "False"):
        return text == "True"
    if text == "None":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


# A ``name: value`` line of a ``Trial … summary`` block.
SUMMARY_VALUE = re.compile(r"^(?P<name>[^\s:][^:]*): (?P<value>.*)$")


class _Record:
    """A small mutable record of the reader's: slots and a readable repr, without the cost of a
    dataclass at import (every CLI start pays it)."""

    __slots__: tuple[str, ...] = ()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


class TrialFacts(_Record):
    """What the log printed of one trial: its table, its objective, its losses."""

    __slots__ = (
        "completed_line",
        "first_loss",
        "hyperparameters",
        "last_loss",
        "line",
        "loss_line",
        "number",
        "objective",
        "peak_loss",
        "truncated",
    )

    def __init__(self, number: int, line: int) -> None:
        self.number = number
        self.line = line
        self.hyperparameters: dict[str, Any] = {}
        self.truncated: set[str] = set()
        self.completed_line: int | None = None
        self.objective: tuple[str, str] | None = None
        self.first_loss: float | None = None
        self.last_loss: float | None = None
        self.peak_loss: float | None = None
        self.loss_line: int | None = None

    @property
    def failed(self) -> bool:
        """keras-tuner prints the objective after ``Trial N Complete`` only when there is one."""
        return self.completed_line is not None and self.objective is None


class Pending(_Record):
    """Tracebacks of one chain, and whether it is the limit RuntimeError's embedded text."""

    __slots__ = (
        "embedded_in_limit",
        "line",
        "records",
        "summary",
        "text",
        "trial_number",
        "warning",
    )

    def __init__(
        self,
        line: int = 0,
        trial_number: int | None = None,
        embedded_in_limit: int | None = None,
        summary: Summary | None = None,
        warning: bool = False,
    ) -> None:
        self.records: list[ExceptionRecord] = []
        self.text: list[str] = []
        self.line = line
        self.trial_number = trial_number
        self.embedded_in_limit = embedded_in_limit
        self.summary = summary
        self.warning = warning


class Summary(_Record):
    """A ``Trial <id> summary`` block of ``tuner.results_summary()``: the saved trial, exact."""

    __slots__ = ("hyperparameters", "reading_values", "trial_id")

    def __init__(self, trial_id: str) -> None:
        self.trial_id = trial_id
        self.hyperparameters: dict[str, Any] = {}
        self.reading_values = False

    def note(self, name: str, text: str) -> None:
        """A ``name: value`` line of the block: a hyperparameter, except the trial's score."""
        if name != "Score":
            self.hyperparameters[name] = parse_value(text)


def silent_failures(
    trials: dict[int, TrialFacts], linked: list[int | None], source: str
) -> Iterator[Failure]:
    """Trials that ended without a traceback: a NaN objective, a loss that blew up, or a
    search whose every trial scored exactly the same whatever its hyperparameters."""
    with_traceback = {n for n in linked if n is not None}
    flagged: dict[int, ExceptionRecord] = {}
    for facts in trials.values():
        if facts.number in with_traceback:
            continue
        synthetic = silent_exception(facts)
        if synthetic is not None:
            flagged[facts.number] = synthetic
    constant = constant_objective([f for f in trials.values() if f.number not in flagged])
    for facts in trials.values():
        synthetic = flagged.get(facts.number)
        if synthetic is None and constant is not None and facts.objective is not None:
            synthetic = constant
        if synthetic is None or facts.number in with_traceback:
            continue
        yield Failure(
            weak=synthetic.type == "ConstantObjective",
            chain=(synthetic,),
            origin=Origin(source, facts.loss_line or facts.completed_line or facts.line),
            trial=Trial(
                number=facts.number,
                hyperparameters=dict(facts.hyperparameters),
                values_truncated=frozenset(facts.truncated),
                status="INVALID" if synthetic.type == "NaNObjective" else "COMPLETED",
            ),
            synthetic=True,
        )


DIVERGENCE_FACTOR = 1000.0
CONSTANT_MIN_TRIALS = 3


def constant_objective(trials: list[TrialFacts]) -> ExceptionRecord | None:
    """All completed trials with the same objective to the last digit, from different
    hyperparameters: the model's output does not depend on what is tuned."""
    scored = [
        t for t in trials if t.objective is not None and t.objective[1] not in ("nan", "None")
    ]
    if len(scored) < CONSTANT_MIN_TRIALS:
        return None
    if len({t.objective for t in scored}) != 1:
        return None
    try:
        if float(scored[0].objective[1]) in (0.0, 1.0):  # type: ignore[index]
            return None  # all wrong / all right: what a tiny validation set does by chance
    except ValueError:
        return None
    if len({tuple(sorted(map(str, t.hyperparameters.items()))) for t in scored}) < 2:
        return None
    name, value = scored[0].objective  # type: ignore[misc]
    return ExceptionRecord(
        "ConstantObjective",
        f"all {len(scored)} completed trials scored {name} = {value}, "
        "whatever their hyperparameters",
    )


def silent_exception(facts: TrialFacts) -> ExceptionRecord | None:
    if facts.objective is not None and facts.objective[1].lower() in ("nan", "-nan", "inf"):
        name, value = facts.objective
        return ExceptionRecord("NaNObjective", f"the objective {name} was {value.lower()}")
    first, peak = facts.first_loss, facts.peak_loss
    if first is None or peak is None:
        return None
    if math.isnan(peak) or math.isinf(peak):
        return ExceptionRecord("TrainingDiverged", f"training loss became {peak}")
    if first > 0 and peak / first >= DIVERGENCE_FACTOR:
        return ExceptionRecord(
            "TrainingDiverged", f"training loss rose from {first:.5g} to {peak:.5g}"
        )
    return None


def number_of(trial_id: str) -> int | None:
    """keras-tuner's ids are the 0-based creation order, zero-padded: ``02`` is ``Trial #3``."""
    return int(trial_id) + 1 if trial_id.isdigit() else None


def is_construction(records: list[ExceptionRecord]) -> bool:
    functions = {f.function for r in records for f in r.frames}
    return "_populate_initial_space" in functions and "_try_run_and_update_trial" not in functions


def link_trials(
    pendings: list[Pending], trials: dict[int, TrialFacts], stopped: bool
) -> list[int | None]:
    """Which trial each traceback belongs to.

    Tracebacks go to stderr as they happen; ``Running Trial #N`` and ``Trial N Complete`` go to
    stdout, which is block-buffered when saved to a file, so the two streams drift apart. The
    robust link is by order: the k-th trial traceback belongs to the k-th failed trial (a
    ``Complete`` without an objective line, or the last trial, which never completes when the
    limit stops the search or the process is aborted). When the counts disagree (retries, a
    cut log) fall back to position.
    """
    trial_tbs = [
        i
        for i, p in enumerate(pendings)
        if p.embedded_in_limit is None
        and p.summary is None
        and not p.warning
        and not is_construction(p.records)
        and _in_trial(p)
    ]
    failed = [n for n, facts in sorted(trials.items()) if facts.failed]
    if stopped and trials:
        last = max(trials)
        if trials[last].completed_line is None and last not in failed:
            failed.append(last)
    numbers: list[int | None] = [p.trial_number for p in pendings]
    if trial_tbs and len(trial_tbs) == len(failed):
        for index, number in zip(trial_tbs, failed, strict=True):
            numbers[index] = number
    last_failed = failed[-1] if failed else None
    for i, pending in enumerate(pendings):
        if pending.summary is not None:
            numbers[i] = number_of(pending.summary.trial_id)
        elif pending.embedded_in_limit is not None:
            numbers[i] = last_failed if last_failed is not None else pending.trial_number
        elif is_construction(pending.records):
            numbers[i] = None
        elif pending.warning:
            numbers[i] = pending.trial_number
    return numbers


def _in_trial(pending: Pending) -> bool:
    functions = {f.function for r in pending.records for f in r.frames}
    return (
        "_try_run_and_update_trial" in functions
        or "run_trial" in functions
        or (pending.trial_number is not None)
    )
