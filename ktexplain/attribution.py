"""Across the trials of a run: which region of the search space fails with a cause.

Pure functions over plain values; no TensorFlow, no I/O. Given every trial of a run whose outcome
is known — failed with the cause, or completed — find the hyperparameter condition that holds in
every failing trial and in no completed one: a numeric threshold (``num_blocks ≥ 4``), a set of
values (``optimizer = 'sgd'``), or, when no single hyperparameter separates them, the conjunction
of two. A value that appears in the failures and in completed trials too merely co-occurs and is
never blamed: a region must contain every failure and no success.

Below ``MIN_FAILED`` failures or ``MIN_SUCCEEDED`` completed trials nothing is claimed: with one
failure every value of that trial "separates" it, which proves nothing. The counts are always
given so the reader can judge.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ktexplain.failure import HyperParameterSpec, Report, Trial
from ktexplain.record import replace

MIN_FAILED = 2
MIN_SUCCEEDED = 2
MAX_BINS = 12
INACTIVE = object()  # the hyperparameter has no value in that trial


@dataclass(frozen=True)
class Outcome:
    """One trial: its values and whether it failed with the cause (else it completed)."""

    label: str
    values: Mapping[str, Any]
    failed: bool


@dataclass(frozen=True)
class Condition:
    """``name op value``: op is ``>=``, ``<=`` (numeric) or ``in`` (a tuple of values)."""

    name: str
    op: str
    value: Any

    def holds(self, values: Mapping[str, Any]) -> bool:
        value = values.get(self.name, INACTIVE)
        if value is INACTIVE:
            return False
        if self.op == "in":
            return any(_equal(value, v) for v in self.value)
        if not _is_number(value):
            return False
        return bool(value >= self.value if self.op == ">=" else value <= self.value)

    def describe(self) -> str:
        if self.op == "in":
            shown = [_show(v) for v in self.value]
            if len(shown) == 1:
                return f"{self.name} = {shown[0]}"
            return f"{self.name} ∈ {{{', '.join(shown)}}}"
        return f"{self.name} {'≥' if self.op == '>=' else '≤'} {_show(self.value)}"


@dataclass(frozen=True)
class Bin:
    """Trials whose value of the charted hyperparameter falls in [low, high]."""

    low: float
    high: float
    failed: int
    succeeded: int

    def label(self) -> str:
        return _show(self.low) if self.low == self.high else f"{_show(self.low)}–{_show(self.high)}"


@dataclass(frozen=True)
class Region:
    """The part of the search space that fails with a cause, and how sure that is.

    ``verdict`` is ``separates`` (every failure inside, no completed trial inside), ``too-few``
    (below the minimum counts), ``everywhere`` (no trial completed: the cause does not depend on
    the values) or ``none`` (no single hyperparameter nor pair separates).
    ``safe`` is what held in every completed trial on the same hyperparameter (``num_blocks ≤ 3``)
    and ``patched`` the space definition restricted to it.
    """

    verdict: str
    failed: int
    succeeded: int
    conditions: tuple[Condition, ...] = ()
    safe: tuple[Condition, ...] = ()
    patched: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    chart_name: str | None = None
    chart: tuple[Bin, ...] = ()

    def sentence(self) -> str:
        counts = f"{self.failed} failed, {self.succeeded} completed"
        if self.verdict == "too-few":
            return (
                f"too few trials to tell which region fails ({counts}; at least {MIN_FAILED} "
                f"failed and {MIN_SUCCEEDED} completed are needed)"
            )
        if self.verdict == "everywhere":
            return (
                f"every trial failed with this cause ({self.failed} of {self.failed}), whatever "
                "its values: not a region of the search space"
            )
        if self.verdict == "none":
            return (
                f"no hyperparameter, alone or paired, separates the failures from the completed "
                f"trials ({counts}): the cause is not a region of the space"
            )
        inside = " and ".join(c.describe() for c in self.conditions)
        text = f"every trial with {inside} failed with this cause ({self.failed} of {self.failed})"
        if self.safe:
            outside = " or ".join(c.describe() for c in self.safe)
            text += f", none of the {self.succeeded} with {outside} did"
        else:
            text += f", none of the {self.succeeded} others did"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "failed": self.failed,
            "succeeded": self.succeeded,
            "conditions": [
                {"name": c.name, "op": c.op, "value": _jsonable(c.value)} for c in self.conditions
            ],
            "safe": [{"name": c.name, "op": c.op, "value": _jsonable(c.value)} for c in self.safe],
            "statement": self.sentence(),
            "patched": list(self.patched),
            "also_separating": list(self.also),
            "chart": None
            if self.chart_name is None
            else {
                "name": self.chart_name,
                "bins": [
                    {"low": b.low, "high": b.high, "failed": b.failed, "succeeded": b.succeeded}
                    for b in self.chart
                ],
            },
        }


def attribute(
    outcomes: Sequence[Outcome],
    specs: Mapping[str, HyperParameterSpec] | None = None,
    prefer: str | None = None,
) -> Region:
    """The region of the space where the cause happens. `prefer` (the hyperparameter the
    diagnosis blamed) wins ties between equally good separations."""
    specs = specs or {}
    failed = [o for o in outcomes if o.failed]
    succeeded = [o for o in outcomes if not o.failed]
    names = _names(outcomes)
    chart_name = prefer if prefer in names and _numeric(outcomes, prefer) else None
    if len(failed) < MIN_FAILED or len(succeeded) < MIN_SUCCEEDED:
        return Region(
            "everywhere" if len(failed) >= MIN_FAILED and not succeeded else "too-few",
            len(failed),
            len(succeeded),
            chart_name=chart_name,
            chart=_chart(outcomes, chart_name, specs.get(chart_name)) if chart_name else (),
        )
    candidates = {name: _covering(failed, name, outcomes) for name in names}
    singles = [
        (cond,)
        for name in names
        for cond in candidates[name]
        if not any(cond.holds(o.values) for o in succeeded)
    ]
    found = _best(singles, prefer)
    if found is None:
        # Which completed trials each condition holds in, as a bit mask: a pair separates
        # when the masks do not meet (one pass per condition, not one per pair).
        masks = {
            id(cond): int(
                "".join("1" if cond.holds(o.values) else "0" for o in succeeded) or "0", 2
            )
            for name in names
            for cond in candidates[name]
        }
        pairs = [
            (a, b)
            for i, first in enumerate(names)
            for second in names[i + 1 :]
            for a in candidates[first]
            for b in candidates[second]
            if not masks[id(a)] & masks[id(b)]
        ]
        found = _best(pairs, prefer)
    if found is None:
        return Region(
            "none",
            len(failed),
            len(succeeded),
            chart_name=chart_name,
            chart=_chart(outcomes, chart_name, specs.get(chart_name)) if chart_name else (),
        )
    conditions, others = found
    safe = tuple(s for s in (_safe(c, succeeded) for c in conditions) if s is not None)
    numeric = next((c.name for c in conditions if c.op != "in"), None)
    return Region(
        "separates",
        len(failed),
        len(succeeded),
        conditions=conditions,
        safe=safe,
        patched=tuple(p for p in (_patch(c, s, specs) for c, s in _paired(conditions, safe)) if p),
        also=others,
        chart_name=numeric,
        chart=_chart(outcomes, numeric, specs.get(numeric)) if numeric else (),
    )


# -- finding conditions ----------------------------------------------------------------------
def _names(outcomes: Iterable[Outcome]) -> list[str]:
    seen: dict[str, None] = {}
    for outcome in outcomes:
        for name in outcome.values:
            if not name.startswith("tuner/"):  # Hyperband's bookkeeping, not the user's space
                seen.setdefault(name, None)
    return list(seen)


def _numeric(outcomes: Iterable[Outcome], name: str) -> bool:
    present = [o.values[name] for o in outcomes if name in o.values]
    return bool(present) and all(_is_number(v) for v in present)


def _covering(failed: Sequence[Outcome], name: str, outcomes: Sequence[Outcome]) -> list[Condition]:
    """The tightest conditions on `name` that hold in every failed trial: at most a lower
    bound, an upper bound and the set of values the failures had."""
    values = [o.values.get(name, INACTIVE) for o in failed]
    if any(v is INACTIVE for v in values):
        return []  # the hyperparameter is missing from a failure: it cannot be the region
    conditions: list[Condition] = []
    if _numeric(outcomes, name):
        low, high = min(values), max(values)
        everything = [o.values[name] for o in outcomes if name in o.values]
        if low > min(everything):
            conditions.append(Condition(name, ">=", low))
        if high < max(everything):
            conditions.append(Condition(name, "<=", high))
    distinct = _distinct(values)
    if len(distinct) < len(values):
        # A set of values is evidence only when a failing value came back and failed again:
        # with every value seen once (a continuous Float), any set "separates".
        conditions.append(Condition(name, "in", tuple(distinct)))
    return conditions


def _best(
    found: Sequence[tuple[Condition, ...]], prefer: str | None
) -> tuple[tuple[Condition, ...], tuple[str, ...]] | None:
    """The separation to state, and the other hyperparameters that separate as well."""
    if not found:
        return None

    def rank(conditions: tuple[Condition, ...]) -> tuple[int, int, int]:
        blamed = any(c.name == prefer for c in conditions)
        thresholds = sum(c.op != "in" for c in conditions)
        values = sum(len(c.value) for c in conditions if c.op == "in")
        return (0 if blamed else 1, -thresholds, values)

    ordered = sorted(found, key=rank)
    best = ordered[0]
    chosen = {c.name for c in best}
    others: dict[str, None] = {}
    for conditions in ordered[1:]:
        names = " and ".join(c.describe() for c in conditions)
        if {c.name for c in conditions} != chosen and len(conditions) == len(best):
            others.setdefault(names, None)
    return best, tuple(others)[:3]


def _safe(condition: Condition, succeeded: Sequence[Outcome]) -> Condition | None:
    """What the completed trials had on the same hyperparameter: the side that trained."""
    values = [o.values[condition.name] for o in succeeded if condition.name in o.values]
    if not values:
        return None
    if condition.op in (">=", "<="):
        below = condition.op == ">="
        side = [v for v in values if (v < condition.value if below else v > condition.value)]
        if not side:
            return None
        return Condition(condition.name, "<=" if below else ">=", max(side) if below else min(side))
    return Condition(condition.name, "in", tuple(_distinct(values)))


def _paired(
    conditions: tuple[Condition, ...], safe: tuple[Condition, ...]
) -> Iterable[tuple[Condition, Condition | None]]:
    for condition in conditions:
        yield condition, next((s for s in safe if s.name == condition.name), None)


def _patch(
    condition: Condition, safe: Condition | None, specs: Mapping[str, HyperParameterSpec]
) -> str | None:
    """The definition without the failing region, in the space's own terms."""
    spec = specs.get(condition.name)
    if spec is None:
        return None
    config = spec.config
    if spec.class_name in ("Int", "Float") and condition.op in (">=", "<="):
        low, high = config.get("min_value"), config.get("max_value")
        if not (_is_number(low) and _is_number(high)):
            return None
        if condition.op == ">=":
            bound = _on_grid(spec, condition.value, below=True)
            if bound is None or bound < low:
                return None
            return spec.describe(max_value=bound)
        bound = _on_grid(spec, condition.value, below=False)
        if bound is None or bound > high:
            return None
        return spec.describe(min_value=bound)
    if spec.class_name == "Choice":  # a set of values, or a threshold on numeric choices
        kept = [v for v in config.get("values") or [] if not condition.holds({condition.name: v})]
        if not kept:
            return None
        if len(kept) == 1:
            return f"hp.Fixed({spec.name!r}, {kept[0]!r})"
        default = config.get("default")
        overrides: dict[str, Any] = {"values": kept}
        if default is not None and not any(_equal(default, v) for v in kept):
            overrides["default"] = kept[0]
        return spec.describe(**overrides)
    if spec.class_name == "Boolean" and condition.op == "in" and len(condition.value) == 1:
        return f"hp.Fixed({spec.name!r}, {not condition.value[0]!r})"
    return None


def _on_grid(spec: HyperParameterSpec, value: Any, below: bool) -> Any:
    """The nearest value the space can produce strictly below (or above) `value`."""
    low, high = spec.config["min_value"], spec.config["max_value"]
    step = spec.config.get("step")
    if spec.class_name == "Int":
        step = int(step or 1)
        if spec.config.get("sampling") == "log" and spec.config.get("step") in (None, 1):
            return value - 1 if below else value + 1
        k = math.ceil((value - low) / step) - 1 if below else math.floor((value - low) / step) + 1
        return int(low + k * step)
    if step and spec.config.get("sampling") in (None, "linear"):
        k = math.ceil((value - low) / step) - 1 if below else math.floor((value - low) / step) + 1
        return float(low + k * step)
    # A continuous Float: the last value short of the failing one is not a number anyone would
    # write; use a round value a tenth of the way back towards the other end.
    if below:
        return _round(value - (value - low) / 10) if value > low else None
    return _round(value + (high - value) / 10) if value < high else None


# -- the chart ---------------------------------------------------------------------------------
def _chart(
    outcomes: Sequence[Outcome], name: str, spec: HyperParameterSpec | None = None
) -> tuple[Bin, ...]:
    pairs = sorted((o.values[name], o.failed) for o in outcomes if name in o.values)
    if not pairs:
        return ()
    distinct = sorted({v for v, _ in pairs})
    grid = _int_grid(spec)
    if grid and len(grid) <= MAX_BINS and set(distinct) <= set(grid):
        edges = [(v, v) for v in grid]  # every value the space can produce, tried or not
    elif len(distinct) <= MAX_BINS:
        edges = [(v, v) for v in distinct]
    else:
        low, high = distinct[0], distinct[-1]
        width = (high - low) / MAX_BINS
        edges = [(low + i * width, low + (i + 1) * width) for i in range(MAX_BINS)]
    bins = []
    for index, (low, high) in enumerate(edges):
        last = index == len(edges) - 1
        closed = low == high or last
        inside = [
            failed
            for value, failed in pairs
            if low <= value and (value <= high if closed else value < high)
        ]
        bins.append(Bin(low, high, sum(inside), len(inside) - sum(inside)))
    return tuple(bins)


def _int_grid(spec: HyperParameterSpec | None) -> list[int]:
    if spec is None or spec.class_name != "Int" or spec.config.get("sampling") == "log":
        return []
    low, high, step = (spec.config.get(k) for k in ("min_value", "max_value", "step"))
    if not (isinstance(low, int) and isinstance(high, int)) or high - low > 10_000:
        return []
    return list(range(low, high + 1, int(step or 1)))


# -- values ------------------------------------------------------------------------------------
def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _distinct(values: Iterable[Any]) -> list[Any]:
    """The values without repeats (by `_equal`), in order: hashed, since a 10,000-trial run's
    Float has as many values as trials."""
    seen: set[Any] = set()
    unhashable: list[Any] = []
    out: list[Any] = []
    for value in values:
        key = ("number", value) if _is_number(value) else ("other", type(value), value)
        try:
            if key in seen:
                continue
            seen.add(key)
        except TypeError:  # a list value: compared one by one
            if any(_equal(value, other) for other in unhashable):
                continue
            unhashable.append(value)
        out.append(value)
    return out


def _equal(a: Any, b: Any) -> bool:
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    return type(a) is type(b) and bool(a == b)


def _round(value: float) -> float:
    if value == 0:
        return 0.0
    digits = 2 - math.floor(math.log10(abs(value)))
    return round(value, digits)


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.5g}"
    return repr(value) if isinstance(value, str) else str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


# -- reports -----------------------------------------------------------------------------------
def with_regions(reports: Sequence[Report], trials: Sequence[Trial]) -> list[Report]:
    """Each report with the region of the space its cause fails in, judged against every trial
    of the run. A trial that failed with another cause is left out of that judgement (whether
    this cause would have struck it is unknown), and so is a trial whose outcome is unknown."""
    if not trials:
        return list(reports)
    failed_any = {
        key
        for report in reports
        for failure in report.failures
        if not failure.weak and failure.trial is not None
        for key in [_key(failure.trial)]
        if key is not None
    }
    completed = {
        key: trial
        for trial in trials
        for key in [_key(trial)]
        if key is not None and trial.status == "COMPLETED" and key not in failed_any
    }
    known = {key: trial for trial in trials for key in [_key(trial)] if key is not None}
    out = []
    for report in reports:
        if all(f.weak for f in report.failures) or report.diagnosis.category == "unknown":
            out.append(report)
            continue
        failing: dict[tuple[str, Any], Trial] = {}
        for failure in report.failures:
            key = _key(failure.trial) if failure.trial is not None else None
            if key is not None and failure.trial is not None and not failure.trial.construction:
                failing.setdefault(key, _fuller(failure.trial, known.get(key)))
        if not failing:
            out.append(report)
            continue
        outcomes = [Outcome(t.label, t.hyperparameters, True) for t in failing.values()]
        outcomes += [Outcome(t.label, t.hyperparameters, False) for t in completed.values()]
        link = report.diagnosis.hyperparameter
        specs = _specs([*failing.values(), *completed.values()])
        if link is not None and link.spec is not None:
            specs.setdefault(link.name, link.spec)
        region = attribute(outcomes, specs, prefer=link.name if link else None)
        out.append(replace(report, region=region))
    return out


def _key(trial: Trial) -> tuple[str, Any] | None:
    if trial.construction:
        return None
    if trial.number is not None:
        return ("number", trial.number)
    if trial.trial_id is not None:
        return ("id", trial.trial_id)
    return None


def _fuller(failed: Trial, seen: Trial | None) -> Trial:
    if seen is None:
        return failed
    return replace(failed, hyperparameters={**seen.hyperparameters, **failed.hyperparameters})


def _specs(trials: Iterable[Trial]) -> dict[str, HyperParameterSpec]:
    specs: dict[str, HyperParameterSpec] = {}
    for trial in trials:
        for spec in trial.space:
            specs.setdefault(spec.name, spec)
    return specs
