"""A Keras Tuner project directory → Failures.

``<directory>/<project_name>/trial_<id>/trial.json`` holds each trial's hyperparameter values, the
search space, its status and, for a FAILED or INVALID trial, the traceback text. Two things are not
there, and the reader says so instead of guessing: the trial that tripped the consecutive-failure
limit (or was running when the run was killed) stays RUNNING with no message — its traceback exists
only in the log's final RuntimeError — and a NaN objective leaves ``message: null``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ktexplain.failure import ExceptionRecord, Failure, HyperParameterSpec, Origin, Trial
from ktexplain.sources.text import failures_from_text

MAX_TRIAL_JSON = 50_000_000


@dataclass(frozen=True)
class ProjectReading:
    failures: list[Failure]
    notes: list[str]


def find_projects(path: Path) -> list[Path]:
    """The project folders at or right below `path` (a project, or a tuner's `directory`)."""
    if any(path.glob("trial_*/trial.json")):
        return [path]
    return sorted(p for p in path.iterdir() if p.is_dir() and any(p.glob("trial_*/trial.json")))


def read_project(project: Path) -> ProjectReading:
    order = _start_order(project)
    trial_dirs = sorted(project.glob("trial_*"), key=lambda p: _order_key(p, order))
    failures: list[Failure] = []
    notes: list[str] = []
    for number, trial_dir in enumerate(trial_dirs, start=1):
        path = trial_dir / "trial.json"
        try:
            data = _load(path)
        except (OSError, ValueError) as exc:
            notes.append(f"{path}: skipped ({exc})")
            continue
        trial = _trial(data, number)
        status, message = data.get("status"), data.get("message")
        origin = Origin(str(path))
        if isinstance(message, str) and message.strip():
            parsed = failures_from_text(message, str(path))
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
        elif status == "RUNNING":
            notes.append(
                f"trial {trial.trial_id} ({path.parent.name}) was still RUNNING when the search "
                "stopped: it tripped the consecutive-failure limit or the run was killed; its "
                "traceback is only in the run's log (its final RuntimeError)"
            )
    return ProjectReading(failures, notes)


def _load(path: Path) -> dict[str, Any]:
    if path.stat().st_size > MAX_TRIAL_JSON:
        raise ValueError("trial.json too large")
    data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    if not isinstance(data, dict):
        raise ValueError("not a trial.json object")
    return data


def _trial(data: dict[str, Any], number: int) -> Trial:
    hyperparameters = data.get("hyperparameters") or {}
    values = hyperparameters.get("values") or {}
    space = []
    for entry in hyperparameters.get("space") or []:
        config = dict(entry.get("config") or {})
        name = config.pop("name", None)
        config.pop("conditions", None)
        if isinstance(name, str):
            space.append(HyperParameterSpec(name, str(entry.get("class_name")), config))
    return Trial(
        number=number,
        trial_id=str(data.get("trial_id")) if data.get("trial_id") is not None else None,
        hyperparameters=dict(values) if isinstance(values, dict) else {},
        space=tuple(space),
        status=data.get("status"),
    )


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


def _order_key(trial_dir: Path, order: list[str]) -> tuple[int, str]:
    trial_id = trial_dir.name.removeprefix("trial_")
    return (order.index(trial_id) if trial_id in order else len(order), trial_id)


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


def with_project_trials(failures: list[Failure], projects: list[Path]) -> list[Failure]:
    """Complete each log trial from the project's ``trial.json``: every value (the log's table
    is cut at 15 characters and misses hyperparameters registered after it was printed), the
    search space with its ranges, and the trial id. A project is used only if its trials agree
    with every value the log printed for them."""
    logged = [f.trial for f in failures if f.trial is not None and f.trial.number is not None]
    if not logged:
        return failures
    for project in projects:
        trials = _trials_by_number(project)
        if trials and all(_agrees(t, trials.get(t.number or 0)) for t in logged):
            return [_merged(f, trials) for f in failures]
    return failures


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


def _agrees(logged: Trial | None, saved: Trial | None) -> bool:
    if logged is None or saved is None:
        return False
    for name, value in logged.hyperparameters.items():
        if name in logged.values_truncated or name not in saved.hyperparameters:
            continue
        if not _same(value, saved.hyperparameters[name]):
            return False
    return True


def _same(logged: Any, saved: Any) -> bool:
    if isinstance(saved, float) and isinstance(logged, (int, float)):
        return f"{saved:.5g}" == f"{logged:.5g}"  # the table prints numbers with .5g
    return bool(logged == saved) or str(logged) == str(saved)


def _merged(failure: Failure, trials: dict[int, Trial]) -> Failure:
    logged = failure.trial
    if logged is None or logged.number is None or logged.number not in trials:
        return failure
    saved = trials[logged.number]
    values = {**logged.hyperparameters, **saved.hyperparameters}
    trial = replace(
        logged,
        trial_id=saved.trial_id,
        hyperparameters=values,
        space=saved.space or logged.space,
        values_truncated=frozenset(),
    )
    return replace(failure, trial=trial)
