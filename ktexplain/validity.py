"""The `valid` field of a pattern: what values are allowed, and how to fix a search space.

Grammar (clauses joined by ``and``): ``>= N``, ``> N``, ``<= N``, ``< N``, ``in [a, b)`` (any
bracket mix), ``int``. With it and a hyperparameter's search space, ktexplain can say which
definition would never produce a bad value: ``hp.Int('filters', 0, 64, step=16)`` with
``>= 1`` becomes ``hp.Int('filters', min_value=16, max_value=64, step=16)``.
"""

from __future__ import annotations

import math
import re
from typing import Any, TypeGuard

from ktexplain.failure import HyperParameterSpec
from ktexplain.record import Record, set_field

_CMP = re.compile(r"^(>=|>|<=|<)\s*(-?[0-9.eE+-]+)$")
_INTERVAL = re.compile(r"^in\s*([\[(])\s*(-?[0-9.eE+-]+)\s*,\s*(-?[0-9.eE+-]+)\s*([\])])$")


class Bound(Record):
    __slots__ = ("value", "inclusive")
    value: float
    inclusive: bool

    def __init__(self, value: float, inclusive: bool) -> None:
        set_field(self, "value", value)
        set_field(self, "inclusive", inclusive)


class Validity(Record):
    __slots__ = ("lower", "upper", "integer")
    lower: Bound | None
    upper: Bound | None
    integer: bool

    def __init__(
        self, lower: Bound | None = None, upper: Bound | None = None, integer: bool = False
    ) -> None:
        set_field(self, "lower", lower)
        set_field(self, "upper", upper)
        set_field(self, "integer", integer)

    def allows(self, value: float) -> bool:
        if self.integer and not float(value).is_integer():
            return False
        if self.lower and (
            value < self.lower.value or (value == self.lower.value and not self.lower.inclusive)
        ):
            return False
        return not (
            self.upper
            and (
                value > self.upper.value or (value == self.upper.value and not self.upper.inclusive)
            )
        )


def parse_valid(text: str) -> Validity:
    if not isinstance(text, str) or not text.strip():
        raise ValueError("must be text such as '>= 1' or 'in [0, 1)'")
    lower: Bound | None = None
    upper: Bound | None = None
    integer = False
    for clause in (c.strip() for c in text.split(" and ")):
        if clause == "int":
            integer = True
            continue
        compare = _CMP.match(clause)
        interval = _INTERVAL.match(clause)
        try:
            if compare:
                op, number = compare.group(1), float(compare.group(2))
                if op.startswith(">"):
                    lower = Bound(number, op == ">=")
                else:
                    upper = Bound(number, op == "<=")
            elif interval:
                lower = Bound(float(interval.group(2)), interval.group(1) == "[")
                upper = Bound(float(interval.group(3)), interval.group(4) == "]")
            else:
                raise ValueError
        except ValueError:
            raise ValueError(f"cannot read clause {clause!r}") from None
    return Validity(lower, upper, integer)


def suggest(spec: HyperParameterSpec, validity: Validity) -> str | None:
    """A corrected definition of `spec` whose every value is valid, or None if there is none."""
    config = dict(spec.config)
    if spec.class_name == "Choice":
        values = config.get("values") or []
        kept = [v for v in values if _is_number(v) and validity.allows(float(v))]
        if not kept or len(kept) == len(values):
            return None
        return spec.describe(values=kept)
    if spec.class_name not in ("Int", "Float"):
        return None
    raw_low, raw_high, raw_step = (
        config.get("min_value"),
        config.get("max_value"),
        config.get("step"),
    )
    if not (_is_number(raw_low) and _is_number(raw_high)):
        return None
    low, high = float(raw_low), float(raw_high)
    step = float(raw_step) if _is_number(raw_step) and raw_step else None
    is_int = spec.class_name == "Int"
    if validity.integer and not is_int:
        # A Float where an int is needed: the definition itself must change.
        as_int = HyperParameterSpec(
            spec.name,
            "Int",
            {
                "min_value": math.ceil(low),
                "max_value": math.floor(high),
                "step": int(step) if step and step.is_integer() else None,
            },
        )
        return suggest(as_int, Validity(validity.lower, validity.upper)) or as_int.describe()
    new_low, new_high = low, high
    if validity.lower and not validity.allows(new_low):
        new_low = _first_at_or_above(low, step, validity.lower, is_int)
    if validity.upper and not validity.allows(new_high):
        new_high = _last_at_or_below(low, high, step, validity.upper, is_int)
    if new_low > new_high or (new_low, new_high) == (low, high):
        return None
    return spec.describe(min_value=_num(new_low, is_int), max_value=_num(new_high, is_int))


def _first_at_or_above(low: float, step: float | None, bound: Bound, is_int: bool) -> float:
    if step:
        k = math.ceil((bound.value - low) / step)
        candidate = low + k * step
        if candidate == bound.value and not bound.inclusive:
            candidate += step
        return candidate
    if bound.inclusive:
        return float(math.ceil(bound.value)) if is_int else bound.value
    return float(math.floor(bound.value) + 1) if is_int else bound.value + _nudge(bound.value)


def _last_at_or_below(
    low: float, high: float, step: float | None, bound: Bound, is_int: bool
) -> float:
    if step:
        k = math.floor((bound.value - low) / step)
        candidate = low + k * step
        if candidate == bound.value and not bound.inclusive:
            candidate -= step
        return min(candidate, high)
    if bound.inclusive:
        return float(math.floor(bound.value)) if is_int else bound.value
    return float(math.ceil(bound.value) - 1) if is_int else bound.value - _nudge(bound.value)


def _nudge(value: float) -> float:
    return max(abs(value) * 0.01, 1e-3)


def _num(value: float, is_int: bool) -> int | float:
    return int(value) if is_int else round(value, 10)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
