"""A Keras Tuner project directory → Failures.

``<directory>/<project_name>/trial_<id>/trial.json`` holds each trial's hyperparameter values, the
search space, its status and, for a FAILED or INVALID trial, the traceback text. Two things are not
there, and the reader says so instead of guessing: the trial that tripped the consecutive-failure
limit (or was running when the run was killed) stays RUNNING with no message — its traceback exists
only in the log's final RuntimeError — and a NaN objective leaves ``message: null``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ktexplain.failure import ExceptionRecord, Failure, HyperParameterSpec, Origin, Trial
from ktexplain.record import Record, replace, set_field
from ktexplain.sources.text import failures_from_text
from ktexplain.sources.trials import parse_value

MAX_TRIAL_JSON = 50_000_000


class ProjectReading(Record):
    """The failures, notes for the reader, and every trial of the run (failed or not)."""

    __slots__ = ("failures", "notes", "trials")
    failures: list[Failure]
    notes: list[str]
    trials: list[Trial]

    def __init__(
        self, failures: list[Failure], notes: list[str], trials: list[Trial] | None = None
    ) -> None:
        set_field(self, "failures", failures)
        set_field(self, "notes", notes)
        set_field(self, "trials", [] if trials is None else trials)


def find_projects(path: Path) -> list[Path]:
    """The project folders at or right below `path` (a project, or a tuner's `directory`)."""
    if any(path.glob("trial_*/trial.json")):
        return [path]
    return sorted(p for p in path.iterdir() if p.is_dir() and any(p.glob("trial_*/trial.json")))


def read_project(project: Path) -> ProjectReading:
    order = _positions(_start_order(project))
    trial_dirs = sorted(project.glob("trial_*"), key=lambda p: _order_key(p, order))
    failures: list[Failure] = []
    notes: list[str] = []
    trials: list[Trial] = []
    # The same traceback in many trials is read once; its records are then shared, which is
    # what lets diagnosis match it once (a 10,000-trial run repeats one error thousands of times).
    parsed_texts: dict[str, list[Failure]] = {}
    spaces: dict[str, tuple[HyperParameterSpec, ...]] = {}
    for number, trial_dir in enumerate(trial_dirs, start=1):
        path = trial_dir / "trial.json"
        try:
            data = _load(path)
        except (OSError, ValueError) as exc:
            notes.append(f"{path}: skipped ({exc})")
            continue
        trial = _trial(data, number, spaces)
        trials.append(trial)
        status, message = data.get("status"), data.get("message")
        origin = Origin(str(path))
        if isinstance(message, str) and message.strip():
            if message not in parsed_texts:
                parsed_texts[message] = failures_from_text(message, str(path))
            parsed = parsed_texts[message]
            for failure in parsed or [_unparsed(message, origin)]:
                failures.append(replace(failure, trial=trial, origin=origin))
        elif status in ("FAILED", "INVALID") and _is_nan(data.get("score")):
            failures.append(
                Failure(
                    (ExceptionRecord("NaNObjective", "the objective was nan"),),
                    origin,
                    trial,
                    synthetic=True,
                )
            )
        elif status == "COMPLETED" and (judged := judge_metrics(_last_metrics(data))):
            failures.append(Failure((judged,), origin, trial, synthetic=True))
        elif status == "RUNNING":
            notes.append(
                f"trial {trial.trial_id} ({path.parent.name}) was still RUNNING when the search "
                "stopped: it tripped the consecutive-failure limit or the run was killed; its "
                "traceback is only in the run's log (its final RuntimeError)"
            )
    return ProjectReading(failures, notes, trials)


# -- silent failures: what a completed trial's metrics can be --------------------------------
LOSS_FACTOR = 100.0
UNKNOWN_CLASSES = 1000
_ACCURACY = ("accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy")
_BINARY = ("binary_accuracy",)


def judge_metrics(metrics: dict[str, float]) -> ExceptionRecord | None:
    """A COMPLETED trial that trained into nonsense, judged from the last value of each metric
    (all a directory keeps): a NaN/inf loss, or a classification loss far above what a model
    that guesses uniformly scores.

    A model that predicts every one of k classes with probability 1/k has a cross-entropy of
    ln k (ln 2 for a binary one); training only lowers it. So for a run with an accuracy metric
    (that is what says the loss is a cross-entropy; an MSE has no such bound without the
    targets), a loss above ``LOSS_FACTOR`` × ln k is a divergence. k is what the accuracy says
    when it is at chance or below (1/accuracy, rounded: a model that learned nothing scores
    1/k), 2 for ``binary_accuracy``, else ``UNKNOWN_CLASSES`` (a generous bound: ln 1000 ≈ 6.9).
    The output layer's units would be better, but a directory does not keep the model.
    """
    for name in ("loss", "val_loss"):
        value = metrics.get(name)
        if value is not None and not math.isfinite(value):
            prefix = "training" if name == "loss" else "validation"
            return ExceptionRecord("TrainingDiverged", f"{prefix} loss became {value}")
    loss = metrics.get("loss")
    if loss is None:
        return None
    if any(name in metrics for name in _BINARY):
        classes, accuracy = 2, metrics[next(n for n in _BINARY if n in metrics)]
    else:
        metric = next((n for n in _ACCURACY if n in metrics), None)
        if metric is None:
            return None
        accuracy = metrics[metric]
        classes = round(1 / accuracy) if 0 < accuracy <= 0.5 else UNKNOWN_CLASSES
        classes = max(classes, 2)
    start = math.log(classes)
    if loss <= LOSS_FACTOR * start:
        return None
    if classes == 2:
        bound = f"a binary cross-entropy starts near ln 2 = {start:.3g}"
    elif classes == UNKNOWN_CLASSES:
        bound = f"a cross-entropy over k classes starts near ln k (≤ {start:.3g} up to {classes})"
    else:
        bound = (
            f"a cross-entropy over k classes starts near ln k ({start:.3g} for the {classes} "
            f"classes that accuracy {accuracy:.3g} is chance for: nothing was learned)"
        )
    return ExceptionRecord("TrainingDiverged", f"training loss became {loss:.5g} where {bound}")


def _last_metrics(data: dict[str, Any]) -> dict[str, float]:
    """Each metric's last observed value: ``metrics.metrics[name].observations[-1].value[0]``."""
    out: dict[str, float] = {}
    outer = data.get("metrics")
    metrics = outer.get("metrics") if isinstance(outer, dict) else None
    if not isinstance(metrics, dict):
        return out
    for name, record in metrics.items():
        try:
            value = record["observations"][-1]["value"]
            value = value[0] if isinstance(value, list) else value
            out[str(name)] = float(value)
        except (KeyError, IndexError, TypeError, ValueError):
            continue
    return out


def _load(path: Path) -> dict[str, Any]:
    # One open, an fstat and one read per file: a 10,000-trial project is 10,000 of them.
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size > MAX_TRIAL_JSON:
            raise ValueError("trial.json too large")
        raw = handle.read()
    data = json.loads(raw.decode("utf-8", errors="replace"))
    if not isinstance(data, dict):
        raise ValueError("not a trial.json object")
    return data


def _trial(
    data: dict[str, Any],
    number: int,
    spaces: dict[str, tuple[HyperParameterSpec, ...]] | None = None,
) -> Trial:
    """`spaces` caches the space by its names: every trial of a run repeats the same one, and
    within one project a name keeps its first definition (keras-tuner returns it)."""
    hyperparameters = data.get("hyperparameters")
    if not isinstance(hyperparameters, dict):
        hyperparameters = {}  # a damaged trial.json: no values rather than a crash
    values = hyperparameters.get("values") or {}
    raw_space = hyperparameters.get("space") or []
    if not isinstance(raw_space, list):
        raw_space = []
    key = _space_key(raw_space) if spaces is not None else ""
    space = spaces.get(key) if spaces is not None else None
    if space is None:
        space = _space(raw_space)
        if spaces is not None:
            spaces[key] = space
    return Trial(
        number=number,
        trial_id=str(data.get("trial_id")) if data.get("trial_id") is not None else None,
        hyperparameters=dict(values) if isinstance(values, dict) else {},
        space=space,
        status=data.get("status"),
    )


def _space_key(entries: Any) -> str:
    try:
        return "\x00".join(f"{e['class_name']}\x01{e['config']['name']}" for e in entries)
    except (KeyError, TypeError):
        return repr(entries)


def _space(entries: Any) -> tuple[HyperParameterSpec, ...]:
    space = []
    for entry in entries if isinstance(entries, list) else []:
        config = dict(entry.get("config") or {})
        name = config.pop("name", None)
        config.pop("conditions", None)
        if isinstance(name, str):
            space.append(HyperParameterSpec(name, str(entry.get("class_name")), config))
    return tuple(space)


def _unparsed(message: str, origin: Origin) -> Failure:
    last = message.strip().splitlines()[-1]
    kind, _, text = last.partition(": ")
    return Failure((ExceptionRecord(kind or "Error", text),), origin, traceback_text=message)


def _start_order(project: Path) -> list[str]:
    try:
        oracle = json.loads((project / "oracle.json").read_text(encoding="utf-8"))
        return [str(t) for t in oracle.get("start_order", [])]
    except (OSError, ValueError, AttributeError):
        return []


def _positions(order: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, trial_id in enumerate(order):
        positions.setdefault(trial_id, index)
    return positions


def _order_key(trial_dir: Path, order: dict[str, int]) -> tuple[int, str]:
    trial_id = trial_dir.name.removeprefix("trial_")
    return (order.get(trial_id, len(order)), trial_id)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def nearby_projects(log: Path, max_depth: int = 3, budget: int = 2000) -> list[Path]:
    """Keras Tuner projects in the log's folder and below: users save the log where they ran
    the search, and the tuner's ``directory`` is usually right there. Breadth first, at most
    `budget` folders looked at: a log saved in a home directory must not start a crawl."""
    found: list[Path] = []
    frontier = [log.resolve().parent]
    for _ in range(max_depth + 1):
        following: list[Path] = []
        for folder in frontier:
            budget -= 1
            if budget < 0:
                return found
            if (folder / "oracle.json").is_file():
                if any(folder.glob("trial_*/trial.json")):
                    found.append(folder)
                continue
            try:
                following.extend(
                    sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
                )
            except OSError:
                continue
        frontier = following
    return found


def complete_from_projects(
    failures: list[Failure], projects: list[Path], trials: Sequence[Trial] = ()
) -> ProjectReading:
    """Complete each log trial from the project's ``trial.json``: every value (the log's table
    is cut at 15 characters and misses hyperparameters registered after it was printed), the
    search space with its ranges, and the trial id.

    A project is used only when it is provably the same run: every hyperparameter name the log
    printed is in the project's space (and at least one is), and every value the log printed
    equals the saved one as the table prints it. A directory from another run that merely shares
    no name with the log is left out; the notes say why, one line per project. `trials`, the
    log's every trial, are completed the same way."""
    logged = [f.trial for f in failures if f.trial is not None and f.trial.number is not None]
    logged += [t for t in trials if t.number is not None]
    if not logged:
        return ProjectReading(failures, [], list(trials))
    notes: list[str] = []
    for project in projects:
        saved = _trials_by_number(project)
        reason = _not_same_run(logged, saved)
        if reason is None:
            return ProjectReading(
                [_merged(f, saved) for f in failures],
                [],
                [_merged_trial(t, saved) for t in trials],
            )
        notes.append(f"project {project} not used to complete the log's trials: {reason}")
    return ProjectReading(failures, notes, list(trials))


def project_of_notebook(
    projects: Sequence[Path], objectives: dict[int, str], best: str | None = None
) -> tuple[Path | None, list[str]]:
    """The project a notebook's search wrote, among `projects`, and notes on the others.

    A notebook keeps only its last trial's output (keras-tuner clears each trial's), so there
    is no table of values to compare as for a log: a project is this run's when every objective
    the notebook printed (``Trial 2 Complete`` then ``val_accuracy: 0.1875``) is the score of
    the project's trial with that number, and the last ``Best … So Far`` it printed is the
    best score of the project's trials up to the last one printed (a score alone can repeat
    between runs). None printed: nothing proves it, none is used."""
    if not objectives:
        return None, []
    notes: list[str] = []
    for project in projects:
        saved = _scores_by_number(project)
        reason = None
        for number, printed in sorted(objectives.items()):
            score = saved.get(number)
            if score is None:
                reason = f"it has no scored trial #{number}"
                break
            if not _same_score(printed, score):
                reason = f"trial #{number} printed {printed}, its score is {score!r}"
                break
        if reason is None and best is not None:
            last = max(objectives)
            scores = [score for number, score in saved.items() if number <= last]
            if not any(_same_score(best, score) for score in scores):
                reason = f"the notebook's best so far is {best}, no trial up to #{last} scored it"
        if reason is None:
            return project, notes
        notes.append(f"project {project} not used for the notebook's run: {reason}")
    return None, notes


def _scores_by_number(project: Path) -> dict[int, float]:
    out: dict[int, float] = {}
    for number, trial_id in enumerate(_start_order(project), start=1):
        try:
            score = _load(project / f"trial_{trial_id}" / "trial.json").get("score")
        except (OSError, ValueError):
            continue
        if isinstance(score, (int, float)) and not isinstance(score, bool):
            out[number] = float(score)
    return out


def _same_score(printed: str, score: float) -> bool:
    try:
        value = float(printed)
    except ValueError:
        return False
    return math.isclose(value, score, rel_tol=1e-6, abs_tol=1e-12)


def _trials_by_number(project: Path) -> dict[int, Trial]:
    order = _start_order(project)
    out: dict[int, Trial] = {}
    for number, trial_id in enumerate(order, start=1):
        try:
            data = _load(project / f"trial_{trial_id}" / "trial.json")
        except (OSError, ValueError):
            continue
        out[number] = _trial(data, number)
    return out


def _not_same_run(logged: list[Trial], saved: dict[int, Trial]) -> str | None:
    """Why these saved trials are not the log's run, or None when they provably are."""
    if not saved:
        return "it has no readable trial in its start order"
    names = set().union(
        *(set(t.hyperparameters) | {s.name for s in t.space} for t in saved.values())
    )
    printed = set().union(*(set(t.hyperparameters) for t in logged))
    if not printed:
        return "the log printed no hyperparameter value to compare"
    foreign = sorted(printed - names)
    if foreign:
        return (
            f"the log's hyperparameter(s) {', '.join(foreign)} are not in its search space "
            f"({', '.join(sorted(names)) or 'empty'})"
        )
    for trial in logged:
        twin = saved.get(trial.number or 0)
        if twin is None:
            return f"it has no trial for the log's trial {trial.label}"
        for name, value in trial.hyperparameters.items():
            if name not in twin.hyperparameters:
                continue  # not active in that trial: nothing to compare
            if not _same(value, twin.hyperparameters[name], name in trial.values_truncated):
                return (
                    f"trial {trial.label} printed {name}={value}, its trial_{twin.trial_id} "
                    f"has {name}={twin.hyperparameters[name]!r}"
                )
    return None


def _same(logged: Any, saved: Any, truncated: bool = False) -> bool:
    """Is `saved` what keras-tuner's table prints as `logged`?"""
    if truncated:  # the table cut the value to 15 characters plus "..."
        return len(str(saved)) > 15 and str(saved)[:15] == str(logged).removesuffix("...")[:15]
    if isinstance(saved, str) and not isinstance(logged, str):
        saved = parse_value(saved)  # "0003" (Hyperband's tuner/trial_id) is printed as is
    if isinstance(saved, bool) or isinstance(logged, bool):
        return str(logged) == str(saved)
    if isinstance(saved, (int, float)) and isinstance(logged, (int, float)):
        return f"{saved:.5g}" == f"{logged:.5g}"  # the table prints numbers with .5g
    return bool(logged == saved) or str(logged) == str(saved)


def _merged(failure: Failure, trials: dict[int, Trial]) -> Failure:
    if failure.trial is None:
        return failure
    return replace(failure, trial=_merged_trial(failure.trial, trials))


def _merged_trial(logged: Trial, trials: dict[int, Trial]) -> Trial:
    if logged.number is None or logged.number not in trials:
        return logged
    saved = trials[logged.number]
    values = {**logged.hyperparameters, **saved.hyperparameters}
    return replace(
        logged,
        trial_id=saved.trial_id,
        hyperparameters=values,
        space=saved.space or logged.space,
        values_truncated=frozenset(),
        status=logged.status or (saved.status if saved.status == "COMPLETED" else None),
    )
