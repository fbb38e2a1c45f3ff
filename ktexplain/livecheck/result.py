"""What a live check found: the configurations built, the causes, the narrowest change to the
space; printed as panels or as one JSON object."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from ktexplain.failure import Failure, HyperParameterSpec, Report

EXIT_CLEAN = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Build:
    """One configuration that was built. ``kind``: defaults, scope (activates a conditional
    scope), corner (one hyperparameter at an extreme), pair (pairwise extremes), boundary
    (bisection of a failing range)."""

    number: int
    kind: str
    values: Mapping[str, Any]
    failures: tuple[Failure, ...]
    seconds: float

    @property
    def failed(self) -> bool:
        return any(not f.warning for f in self.failures)


@dataclass(frozen=True)
class Change:
    """The narrowest change to the space that removes a cause."""

    name: str
    before: str | None
    after: str

    def line(self) -> str:
        return f"{self.before}  →  {self.after}" if self.before else self.after


@dataclass(frozen=True)
class CheckResult:
    target: str
    reports: tuple[Report, ...]
    builds: tuple[Build, ...]
    space: tuple[HyperParameterSpec, ...]
    changes: tuple[Change, ...]
    max_builds: int
    untried_corners: int
    untried_pairs: int
    interrupted: bool
    trained: bool
    seconds: float
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.reports

    @property
    def failed_builds(self) -> tuple[Build, ...]:
        return tuple(b for b in self.builds if b.failed)

    @property
    def budget_cut(self) -> bool:
        return len(self.builds) >= self.max_builds and bool(
            self.untried_corners or self.untried_pairs
        )

    @property
    def exit_code(self) -> int:
        if self.reports:
            return EXIT_FAILED
        return EXIT_INTERRUPTED if self.interrupted else EXIT_CLEAN

    def summary_lines(self) -> list[str]:
        kinds = _counts(b.kind for b in self.builds)
        made = ", ".join(f"{n} {k}" for k, n in kinds.items())
        data = "build, compile, a training step and a prediction" if self.trained else "build"
        lines = [
            f"ktexplain check: {self.target}: {_plural(len(self.space), 'hyperparameter')}, "
            f"{len(self.builds)} configurations ({made}; {data} each) in {self.seconds:.1f} s"
        ]
        if self.reports:
            failed = len(self.failed_builds)
            causes = len(self.reports)
            lines.append(
                f"✗ {failed} of {len(self.builds)} configurations failed, "
                f"{causes} cause{'s' if causes != 1 else ''} (configurations are numbered in "
                "build order, #1 = the defaults)"
            )
        elif not self.interrupted:
            lines.append(f"✓ every configuration passed ({len(self.builds)})")
        return lines

    def footer_lines(self) -> list[str]:
        lines = []
        if self.changes:
            lines.append("narrowest change to the space:")
            lines.extend(f"  {c.line()}" for c in self.changes)
        if self.budget_cut:
            lines.append(
                f"budget: stopped at max_builds={self.max_builds}; not tried: "
                f"{self.untried_corners} corner values, {self.untried_pairs} pairs of extremes "
                "(raise max_builds / --max-builds to cover them)"
            )
        if self.interrupted:
            lines.append(
                f"interrupted after {len(self.builds)} configurations: the above is what was "
                "found so far"
            )
        lines.extend(self.notes)
        return lines

    def render(self, file: IO[str] | None = None, color: bool | None = None) -> None:
        from ktexplain.render import make_console, render_reports

        stream = file if file is not None else sys.stdout
        console = make_console(stream, color)
        for line in self.summary_lines():
            console.print(line, style="bold")
        render_reports(self.reports, console=console)
        for line in self.footer_lines():
            console.print(line)

    def to_json(self) -> dict[str, Any]:
        from ktexplain.render import reports_to_json

        document = reports_to_json(self.reports)
        document.update(
            target=self.target,
            ok=self.ok,
            interrupted=self.interrupted,
            trained=self.trained,
            seconds=round(self.seconds, 3),
            max_builds=self.max_builds,
            budget_cut=self.budget_cut,
            untried={"corners": self.untried_corners, "pairs": self.untried_pairs},
            space=[s.describe() for s in self.space],
            configurations=[
                {
                    "number": b.number,
                    "kind": b.kind,
                    "values": {k: _jsonable(v) for k, v in b.values.items()},
                    "failed": b.failed,
                }
                for b in self.builds
            ],
            changes=[{"name": c.name, "before": c.before, "after": c.after} for c in self.changes],
        )
        return document


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _counts(items: Iterator[str] | Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


def _changes(
    reports: Sequence[Report], specs: Sequence[HyperParameterSpec], db: Any
) -> list[Change]:
    """Per cause: the region's patched definition, else the pattern's valid range applied to
    the blamed hyperparameter."""
    from ktexplain.validity import parse_valid, suggest

    by_name = {s.name: s for s in specs}
    changes: list[Change] = []
    for report in reports:
        region = report.region
        if region is not None and region.verdict == "separates" and region.patched:
            for condition, patched in zip(region.conditions, region.patched, strict=False):
                spec = by_name.get(condition.name)
                changes.append(Change(condition.name, spec.describe() if spec else None, patched))
            continue
        link = report.diagnosis.hyperparameter
        pattern = next((p for p in db.patterns if p.id == report.diagnosis.pattern_id), None)
        if link is None or link.spec is None or pattern is None or not pattern.valid:
            continue
        suggestion = suggest(link.spec, parse_valid(pattern.valid))
        if suggestion is not None:
            changes.append(Change(link.name, link.spec.describe(), suggestion))
    unique: list[Change] = []
    for change in changes:
        if change not in unique:
            unique.append(change)
    return unique
