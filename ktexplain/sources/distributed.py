"""A distributed search read as one run: the chief's log and project, and each worker's log.

In distributed tuning (``KERASTUNER_TUNER_ID=chief`` / ``tuner0``, ``tuner1``… sharing
``KERASTUNER_ORACLE_IP``/``PORT``) the chief's ``trial.json`` files carry no traceback: a FAILED
trial has ``message: null``. The tracebacks are only in the workers' logs, and a worker prints
neither a ``Running Trial #N`` table nor a trial id (checked on keras-tuner 1.4.8: the display
belongs to the chief): only its training progress and its tracebacks.

So each worker's log is cut into the trials it ran, in order — a trial ends at a traceback, at a
new ``Epoch 1/`` or, with one epoch, at the line that prints the objective — and linked to the
project's trials:

- a trial that trained printed its objective (``val_loss: 0.2989``): it is the project's
  COMPLETED trial with that score, in the worker's order (a worker starts its trials one after
  another, so the numbers it ran increase);
- a trial that failed is one of the project's FAILED trials between the worker's neighbours;
  when several fit, the one whose hyperparameter value the message names (``Received:
  rate=1.5``) is it; when nothing tells them apart, the failure stays unlinked and a note says
  which trials it may be.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ktexplain.failure import Failure, Trial
from ktexplain.record import replace
from ktexplain.sources.terminal import clean_line
from ktexplain.sources.tunerdir import ProjectReading, _load, _start_order

EPOCH_START = re.compile(r"^Epoch 1/\d+")
NUMBER = r"(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|nan|-?inf)"


def is_distributed(project: Path) -> bool:
    """The chief of a distributed search saves its own state as ``chief.json``."""
    return (project / "chief.json").is_file()


@dataclass
class _Segment:
    """One trial a worker ran: the objective values it printed, or the failure that ended it."""

    values: list[str] = field(default_factory=list)
    failure: Failure | None = None
    number: int | None = None


@dataclass(frozen=True)
class WorkerLog:
    """A worker's log: its path, its lines (for the objective values) and its failures."""

    path: Path
    lines: Sequence[str]
    failures: Sequence[Failure]


def link_workers(
    project: Path, reading: ProjectReading, workers: Sequence[WorkerLog]
) -> tuple[list[Failure], list[str]]:
    """Each worker's failures linked to the project's trials; notes on what could not be."""
    trials = {t.number: t for t in reading.trials if t.number is not None}
    scores, objective = _scores(project)
    notes: list[str] = []
    if objective is None:
        notes.append(f"project {project}: no completed trial says which metric is the objective")
    pattern = re.compile(rf"(?<![\w/]){re.escape(objective or 'val_loss')}: {NUMBER}")
    taken: set[int] = set()
    per_worker = [_segments(worker, pattern) for worker in workers]
    # Trials that trained: their score, in the worker's order.
    for segments in per_worker:
        last = 0
        for segment in segments:
            if segment.failure is not None:
                continue
            match = next(
                (
                    n
                    for n in sorted(scores)
                    if n > last
                    and n not in taken
                    and trials.get(n) is not None
                    and trials[n].status == "COMPLETED"
                    and any(_printed_equal(v, scores[n]) for v in segment.values)
                ),
                None,
            )
            if match is not None:
                segment.number, last = match, match
                taken.add(match)
    failed = {n for n, t in trials.items() if t.status in ("FAILED", "INVALID", "RUNNING")}
    # Trials that failed: between the worker's neighbours, then told apart by their values.
    changed = True
    while changed:
        changed = False
        for segments in per_worker:
            for index, segment in enumerate(segments):
                if segment.failure is None or segment.number is not None:
                    continue
                candidates = _candidates(segments, index, failed - taken)
                if len(candidates) > 1:
                    candidates = _named_in_message(segment.failure, candidates, trials)
                if len(candidates) == 1:
                    segment.number = candidates[0]
                    taken.add(candidates[0])
                    changed = True
    out: list[Failure] = []
    for worker, segments in zip(workers, per_worker, strict=True):
        for index, segment in enumerate(segments):
            if segment.failure is None:
                continue
            worker_name = worker.path.name
            if segment.number is not None:
                trial = trials[segment.number]
                out.append(replace(segment.failure, trial=trial, worker=worker_name))
                continue
            possible = _candidates(segments, index, failed - taken)
            where = f"{worker.path}:{segment.failure.origin.line}"
            which = ", ".join(trials[n].label for n in possible) or "none left"
            notes.append(
                f"{where}: the worker's traceback is one of trials {which} (its log prints no "
                "trial id, and nothing in the message tells them apart)"
            )
            out.append(replace(segment.failure, worker=worker_name))
    return out, notes


def _segments(worker: WorkerLog, objective: re.Pattern[str]) -> list[_Segment]:
    by_line = {f.origin.line: f for f in worker.failures if f.origin.line is not None}
    per_epoch = not any(EPOCH_START.match(clean_line(line)) for line in worker.lines)
    segments: list[_Segment] = []
    current: _Segment | None = None
    for number, raw in enumerate(worker.lines, start=1):
        failure = by_line.get(number)
        if failure is not None:
            segment = current or _Segment()
            segment.failure = failure
            segments.append(segment)
            current = None
            continue
        text = clean_line(raw)
        if EPOCH_START.match(text):
            if current is not None and current.values:
                segments.append(current)
            current = _Segment()
            continue
        # A progress bar rewrites itself: the last value on the line is the epoch's.
        found = objective.findall(raw if "\r" not in raw else text)
        if found:
            current = current or _Segment()
            current.values.append(found[-1])
            if per_epoch:  # one epoch per trial: the objective line ends it
                segments.append(current)
                current = None
    if current is not None and current.values:
        segments.append(current)
    # Failures the scan did not place (a traceback the reader found elsewhere) still count.
    placed = {id(s.failure) for s in segments if s.failure is not None}
    segments += [_Segment(failure=f) for f in worker.failures if id(f) not in placed]
    return segments


def _candidates(segments: list[_Segment], index: int, free: set[int]) -> list[int]:
    before = max((s.number for s in segments[:index] if s.number is not None), default=0)
    after = min((s.number for s in segments[index + 1 :] if s.number is not None), default=None)
    return sorted(n for n in free if n > before and (after is None or n < after))


def _named_in_message(
    failure: Failure, candidates: list[int], trials: dict[int, Trial]
) -> list[int]:
    """The candidates with a hyperparameter value the message names and no other candidate has."""
    message = " ".join(record.message for record in failure.chain)
    tokens = set(re.findall(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|\w+", message))
    named = []
    for number in candidates:
        own = {
            _token(v)
            for k, v in trials[number].hyperparameters.items()
            if not k.startswith("tuner/")
        }
        others = {
            _token(v)
            for other in candidates
            if other != number
            for k, v in trials[other].hyperparameters.items()
            if not k.startswith("tuner/")
        }
        if (own - others) & tokens:
            named.append(number)
    return named if len(named) == 1 else candidates


def _token(value: object) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _scores(project: Path) -> tuple[dict[int, float], str | None]:
    """Each trial's score by number, and the objective's metric: the one whose best
    observation is the score of a completed trial."""
    scores: dict[int, float] = {}
    objective: str | None = None
    for number, trial_id in enumerate(_start_order(project), start=1):
        try:
            data = _load(project / f"trial_{trial_id}" / "trial.json")
        except (OSError, ValueError):
            continue
        score = data.get("score")
        if not isinstance(score, (int, float)) or isinstance(score, bool):
            continue
        scores[number] = float(score)
        if objective is None:
            objective = _metric_with(data, float(score))
    return scores, objective


def _metric_with(data: dict[str, object], score: float) -> str | None:
    metrics = data.get("metrics")
    table = metrics.get("metrics") if isinstance(metrics, dict) else None
    if not isinstance(table, dict):
        return None
    for name, record in table.items():
        try:
            values = [o["value"] for o in record["observations"]]
        except (KeyError, TypeError):
            continue
        flat = [v[0] if isinstance(v, list) and v else v for v in values]
        if any(isinstance(v, (int, float)) and float(v) == score for v in flat):
            return str(name)
    return None


def _printed_equal(text: str, score: float) -> bool:
    """``0.2989`` (Keras prints 4 decimals) is 0.2989268898963928; ``1.2e-05`` to 2 digits."""
    try:
        value = float(text)
    except ValueError:
        return False
    if value != value or score != score:
        return False
    mantissa = text.lower().split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    if "e" in text.lower():
        exponent = int(text.lower().split("e")[1])
        return abs(value - score) <= 0.5 * 10.0 ** (exponent - decimals) * 1.001
    return abs(value - score) <= 0.5 * 10.0 ** (-decimals) * 1.001
