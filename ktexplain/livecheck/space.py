"""The search space as a live check discovers it, and which of its extremes the builds so far
have covered.

The space grows as builds register hyperparameters; conditional scopes never seen active are
built next; then each hyperparameter alone at each of its extremes (a corner), then a greedy
pairwise covering set of the extremes. keras_tuner is passed in, never imported here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

from ktexplain.failure import HyperParameterSpec

PAIR_LEVELS = 3  # a Choice with more values pairs its first and last only
_FLOAT_BISECTIONS = 6

Pair = tuple[tuple[str, Any], tuple[str, Any]]


class Space:
    """Every hyperparameter seen so far (``known``, a ``keras_tuner.HyperParameters``), the
    configurations tried, and the corners and pairs of extremes they cover."""

    def __init__(self, keras_tuner: Any, known: Any) -> None:
        self.kt = keras_tuner
        self.known = known
        self.tried: set[tuple[Any, ...]] = set()
        self.scopes_once: list[Any] = []
        self.scopes_never: list[Any] = []
        self.attempted_corners: set[tuple[str, Any]] = set()
        self.impossible_pairs: set[Pair] = set()
        self.covered_corners: set[tuple[str, Any]] = set()
        self.covered_pairs: set[Pair] = set()

    def next(self) -> tuple[dict[str, Any], str] | None:
        """The next configuration to build and its kind, None when everything is covered."""
        for conditions in list(self.scopes_never):
            overrides = {c.name: c.values[0] for c in conditions}
            if self.key_of(overrides) not in self.tried:
                return overrides, "scope"
            self.scopes_never.remove(conditions)
        for parameter in self.known.space:
            for value in _levels(parameter):
                corner = (parameter.name, _hashable(value))
                if corner in self.covered_corners or corner in self.attempted_corners:
                    continue
                self.attempted_corners.add(corner)
                overrides = self.parents(parameter)
                overrides[parameter.name] = value
                if self.key_of(overrides) not in self.tried:
                    return overrides, "corner"
        while True:
            uncovered = self.uncovered_pairs()
            if not uncovered:
                return None
            overrides = self._pair_row(uncovered)
            if self.key_of(overrides) in self.tried:
                self.impossible_pairs.add(uncovered[0])
                continue
            return overrides, "pair"

    def _pair_levels(self) -> list[tuple[str, list[Any]]]:
        out = []
        seen: set[str] = set()
        for parameter in self.known.space:
            if parameter.name in seen or type(parameter).__name__ == "Fixed":
                continue
            seen.add(parameter.name)
            levels = _levels(parameter)
            if len(levels) > PAIR_LEVELS:
                levels = [levels[0], levels[-1]]
            if len(levels) > 1:
                out.append((parameter.name, levels))
        return out

    def _all_pairs(self) -> list[Pair]:
        pairs = []
        for (a, levels_a), (b, levels_b) in itertools.combinations(self._pair_levels(), 2):
            for va, vb in itertools.product(levels_a, levels_b):
                pairs.append(((a, _hashable(va)), (b, _hashable(vb))))
        return pairs

    def uncovered_pairs(self) -> list[Pair]:
        return [
            p
            for p in self._all_pairs()
            if p not in self.covered_pairs and p not in self.impossible_pairs
        ]

    def _pair_row(self, uncovered: list[Pair]) -> dict[str, Any]:
        """A greedy row of a pairwise covering set: the first uncovered pair, then for every
        other hyperparameter the extreme that covers most uncovered pairs (its default if none)."""
        remaining = set(uncovered)
        levels = dict(self._pair_levels())
        (a, va), (b, vb) = uncovered[0]
        raw = {name: {_hashable(v): v for v in values} for name, values in levels.items()}
        chosen: dict[str, Any] = {a: va, b: vb}
        for name, values in levels.items():
            if name in chosen:
                continue
            best, gain = None, 0
            for value in values:
                key = _hashable(value)
                count = sum(
                    1
                    for other, other_value in chosen.items()
                    if _ordered_pair(name, key, other, other_value, levels) in remaining
                )
                if count > gain:
                    best, gain = key, count
            if best is not None:
                chosen[name] = best
        overrides = {name: raw[name].get(value, value) for name, value in chosen.items()}
        for name in list(overrides):
            parameter = self.parameter(name)
            if parameter is not None:
                for parent, value in self.parents(parameter).items():
                    overrides.setdefault(parent, value)
        return overrides

    def hyperparameters(self, overrides: Mapping[str, Any]) -> Any:
        """A fresh HyperParameters carrying the space, values set where active (as the oracle
        fills a trial's values)."""
        hp = self.kt.HyperParameters()
        for parameter in self.known.space:
            hp.merge([parameter])
            if hp.is_active(parameter):
                hp.values[parameter.name] = overrides.get(parameter.name, parameter.default)
        for name, value in overrides.items():
            if name not in hp.values and self.parameter(name) is None:
                hp.values[name] = value  # a conditional parent not seen yet
        return hp

    def key_of(self, overrides: Mapping[str, Any]) -> tuple[Any, ...]:
        values = self.hyperparameters(overrides).values
        return tuple(sorted((k, _hashable(v)) for k, v in values.items()))

    def learn(self, hp: Any) -> None:
        self.known.merge(hp.space, overwrite=False)
        for conditions in hp.active_scopes:
            if conditions not in self.scopes_once:
                self.scopes_once.append(conditions)
            if conditions in self.scopes_never:
                self.scopes_never.remove(conditions)
        for conditions in hp.inactive_scopes:
            if conditions not in self.scopes_once and conditions not in self.scopes_never:
                self.scopes_never.append(conditions)

    def cover(self, values: Mapping[str, Any]) -> None:
        levels = dict(self._pair_levels())
        all_levels = {p.name: {_hashable(v) for v in _levels(p)} for p in self.known.space}
        present = [
            (name, _hashable(value))
            for name, value in values.items()
            if _hashable(value) in all_levels.get(name, ())
        ]
        self.covered_corners.update(present)
        paired = [(n, v) for n, v in present if n in levels]
        for first, second in itertools.combinations(paired, 2):
            self.covered_pairs.add(_ordered_pair(first[0], first[1], second[0], second[1], levels))

    def parameter(self, name: str) -> Any:
        return next((p for p in self.known.space if p.name == name), None)

    def parents(self, parameter: Any) -> dict[str, Any]:
        return {c.name: c.values[0] for c in getattr(parameter, "conditions", ()) or ()}

    def specs(self) -> tuple[HyperParameterSpec, ...]:
        from ktexplain.sources.live import hyperparameters_of

        return hyperparameters_of(self.known)[1]

    def untried_corners(self) -> set[tuple[str, Any]]:
        return {
            (p.name, _hashable(v)) for p in self.known.space for v in _levels(p)
        } - self.covered_corners


def _levels(parameter: Any) -> list[Any]:
    """The extremes of a hyperparameter: the values a corner sets it to."""
    kind = type(parameter).__name__
    if kind == "Boolean":
        return [False, True]
    if kind == "Choice":
        return list(parameter.values)
    if kind == "Fixed":
        return [parameter.value]
    if kind in ("Int", "Float"):
        low, high = _reach(parameter)
        cast = int if kind == "Int" else float
        return [cast(low)] if low == high else [cast(low), cast(high)]
    return [parameter.default]


def _reach(parameter: Any) -> tuple[Any, Any]:
    """The smallest and largest values the step really reaches (``hp.Int('f', 0, 60, step=16)``
    reaches 48, not 60)."""
    low, high, step = parameter.min_value, parameter.max_value, getattr(parameter, "step", None)
    if not step:
        return low, high
    try:
        count = parameter._get_n_values()
        ends = (parameter._get_value_by_index(0), parameter._get_value_by_index(count - 1))
        return min(ends), max(ends)
    except Exception:
        return low, high


def _grid(parameter: Any, start: Any, stop: Any) -> list[Any]:
    """Values between `start` and `stop` (both included) the hyperparameter can take, in order."""
    kind = type(parameter).__name__
    step = getattr(parameter, "step", None)
    if step:
        try:
            values = sorted(
                parameter._get_value_by_index(i) for i in range(parameter._get_n_values())
            )
            if kind == "Int":
                values = [int(v) for v in values]
            inside = [v for v in values if start <= v <= stop]
            if inside and len(inside) <= 100_000:
                return inside
        except Exception:
            pass
    if kind == "Int":
        return list(range(int(start), int(stop) + 1))
    # A continuous Float: a fixed number of points, geometric for log sampling.
    points = 2**_FLOAT_BISECTIONS
    if getattr(parameter, "sampling", "linear") == "log" and start > 0:
        ratio = (stop / start) ** (1 / points)
        return [_round(start * ratio**i) for i in range(points)] + [stop]
    width = (stop - start) / points
    return [_round(start + width * i) for i in range(points)] + [stop]


def _ordered_pair(
    a: str, va: Any, b: str, vb: Any, levels: Mapping[str, Any]
) -> tuple[tuple[str, Any], tuple[str, Any]]:
    order = list(levels)
    if order.index(a) > order.index(b):
        return (b, vb), (a, va)
    return (a, va), (b, vb)


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    if isinstance(value, bool):
        return ("bool", value)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _round(value: float) -> float:
    if value == 0:
        return 0.0
    return round(value, 3 - math.floor(math.log10(abs(value))))
