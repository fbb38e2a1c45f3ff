"""The one pipeline every front end uses: failures → diagnoses → reports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ktexplain.diagnose import diagnose, same_value
from ktexplain.failure import Diagnosis, Failure, Report, Trial
from ktexplain.patterns import Database, default_dirs, load_database
from ktexplain.runs import group


def database(extra: str | Path | Sequence[str | Path] | None = None) -> Database:
    """The shipped patterns, the user's config-dir patterns, then `extra` directories."""
    if extra is None:
        extras: list[Path] = []
    elif isinstance(extra, (str, Path)):
        extras = [Path(extra)]
    else:
        extras = [Path(p) for p in extra]
    return load_database(default_dirs(extras))


def reports(
    failures: Iterable[Failure], db: Database, trials: Sequence[Trial] = ()
) -> list[Report]:
    """`trials`: every trial of the run, failed or not, when the source knows them; each report
    then says which region of the search space its cause fails in."""
    found = _reports(failures, db)
    if trials:  # attribution is loaded only when there is a run to judge
        from ktexplain.attribution import with_regions

        found = with_regions(found, trials)
    if any(r.diagnosis.hyperparameter and r.diagnosis.hyperparameter.spec for r in found):
        from ktexplain.lint import with_risks  # only a known definition can carry a risk

        found = with_risks(found)
    return found


def _reports(failures: Iterable[Failure], db: Database) -> list[Report]:
    failures = list(failures)  # alive while the cache holds their records' ids
    cache: dict[Any, Any] = {}
    diagnoses = [diagnose(failure, db, cache) for failure in failures]
    suspect = _coincidences(diagnoses)
    diagnoses = [
        diagnose(d.failure, db, cache, link_by_value=False) if i in suspect else d
        for i, d in enumerate(diagnoses)
    ]
    # Warnings are everywhere in a TensorFlow log; only the ones a pattern knows are causes.
    kept = [
        d
        for d in diagnoses
        if not ((d.failure.warning or d.failure.candidate) and d.category == "unknown")
    ]
    if any(d.category != "unknown" and not d.failure.candidate for d in kept):
        # Loose text is read only for what the tracebacks did not explain.
        kept = [d for d in kept if not d.failure.candidate]
    # A paste is read whole and by paragraph: a pattern already explained once is not repeated.
    explained: set[str | None] = set()
    unique = []
    for d in kept:
        if d.failure.candidate:
            if d.pattern_id in explained:
                continue
            explained.add(d.pattern_id)
        unique.append(d)
    return group(unique)


def _coincidences(diagnoses: Sequence[Diagnosis]) -> set[int]:
    """Diagnoses that blame a hyperparameter only because its value equals the offending value,
    while the same failure with the same value happened in a trial where that hyperparameter
    had another value: the number came from elsewhere (the data's 32 columns, not units=32)."""
    buckets: dict[tuple[str | None, str | None], list[Diagnosis]] = {}
    for d in diagnoses:
        buckets.setdefault((d.pattern_id, d.offending_value), []).append(d)
    taken: dict[tuple[str | None, str | None, str], set[str]] = {}
    suspect: set[int] = set()
    for index, d in enumerate(diagnoses):
        link = d.hyperparameter
        if link is None or link.via != "value" or d.offending_value is None:
            continue
        key = (d.pattern_id, d.offending_value, link.name)
        if key not in taken:
            taken[key] = {
                str(other.failure.trial.hyperparameters[link.name])
                for other in buckets[(d.pattern_id, d.offending_value)]
                if other.failure.trial is not None
                and link.name in other.failure.trial.hyperparameters
                and not same_value(
                    other.failure.trial.hyperparameters[link.name], d.offending_value
                )
            }
        if taken[key]:
            suspect.add(index)
    return suspect
