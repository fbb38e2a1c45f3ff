"""The one pipeline every front end uses: failures → diagnoses → reports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from ktexplain.diagnose import Match, diagnose
from ktexplain.failure import Failure, Report
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


def reports(failures: Iterable[Failure], db: Database) -> list[Report]:
    failures = list(failures)  # alive while the cache holds their records' ids
    cache: dict[tuple[int, ...], Match | None] = {}
    diagnoses = (diagnose(failure, db, cache) for failure in failures)
    # Warnings are everywhere in a TensorFlow log; only the ones a pattern knows are causes.
    return group(d for d in diagnoses if not (d.failure.warning and d.category == "unknown"))
