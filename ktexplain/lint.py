"""``ktexplain check``: a search space's risks, found before anything runs.

The space comes from a script's ``hp.*`` calls (read with ``ast``, nothing executed) or from a
project's ``oracle.json``. Each definition is judged against the argument it feeds: from the
script, the call it sits in (``Conv2D(hp.Int(...), 3)`` feeds ``filters``; ``Adam(learning_rate=
hp.Float(...))`` a learning rate of an adaptive optimizer); from a directory, only its name
(``units``, ``dropout``, ``lr``…). Each finding is a warning with its reason and the patched
definition — never a silent fix.
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from ktexplain.failure import HyperParameterSpec, Report
from ktexplain.record import replace
from ktexplain.sources.code import call_spec

POSITIVE_INT = ("filters", "units", "kernel_size", "output_dim", "num_heads", "pool_size")
RATE = ("rate", "dropout", "recurrent_dropout")
LEARNING_RATE = ("learning_rate", "lr")
ADAPTIVE = ("Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Adafactor")
# The positional arguments of the calls a hyperparameter usually feeds.
POSITIONAL_ARGUMENTS = {
    "Dense": ("units",),
    "Conv1D": ("filters", "kernel_size"),
    "Conv2D": ("filters", "kernel_size"),
    "Conv3D": ("filters", "kernel_size"),
    "SeparableConv2D": ("filters", "kernel_size"),
    "Conv2DTranspose": ("filters", "kernel_size"),
    "Dropout": ("rate",),
    "SpatialDropout1D": ("rate",),
    "SpatialDropout2D": ("rate",),
    "LSTM": ("units",),
    "GRU": ("units",),
    "SimpleRNN": ("units",),
    "Embedding": ("input_dim", "output_dim"),
    "MaxPooling1D": ("pool_size",),
    "MaxPooling2D": ("pool_size",),
    "AveragePooling2D": ("pool_size",),
    "MultiHeadAttention": ("num_heads", "key_dim"),
    **{name: ("learning_rate",) for name in (*ADAPTIVE, "SGD")},
}


@dataclass(frozen=True)
class Where:
    """What a definition feeds: the argument and the call (``Conv2D``), when known."""

    argument: str | None = None
    call: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Finding:
    name: str
    definition: str
    reason: str
    patched: str | None
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "definition": self.definition,
            "reason": self.reason,
            "patched": self.patched,
            "line": self.line,
        }


# -- reading a space -----------------------------------------------------------------------------
def space_from_source(source: str) -> list[tuple[HyperParameterSpec, Where]]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []
    parents: dict[int, tuple[ast.Call, str | None]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        callee = _callee(node)
        positional = POSITIONAL_ARGUMENTS.get(callee or "", ())
        for index, positional_argument in enumerate(node.args):
            fed = positional[index] if index < len(positional) else None
            parents[id(positional_argument)] = (node, fed)
        for keyword in node.keywords:
            parents[id(keyword.value)] = (node, keyword.arg)
    found: list[tuple[HyperParameterSpec, Where]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (spec := call_spec(node)) is not None:
            parent = parents.get(id(node))
            if parent is None:
                found.append((spec.spec, Where(line=node.lineno)))
            else:
                found.append((spec.spec, Where(parent[1], _callee(parent[0]), node.lineno)))
    return sorted(found, key=lambda item: item[1].line or 0)


def space_from_project(project: Path) -> list[tuple[HyperParameterSpec, Where]]:
    """``oracle.json``'s ``hyperparameters.space``: the names only say what each one feeds."""
    data = json.loads((project / "oracle.json").read_text(encoding="utf-8"))
    found = []
    for entry in (data.get("hyperparameters") or {}).get("space") or []:
        config = dict(entry.get("config") or {})
        name = config.pop("name", None)
        config.pop("conditions", None)
        if isinstance(name, str) and not name.startswith("tuner/"):
            found.append((HyperParameterSpec(name, str(entry.get("class_name")), config), Where()))
    return found


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return None


# -- judging it ----------------------------------------------------------------------------------
def lint(space: Iterable[tuple[HyperParameterSpec, Where]]) -> list[Finding]:
    findings: list[Finding] = []
    for spec, where in space:
        for reason, patched in _risks(spec, where):
            findings.append(Finding(spec.name, spec.describe(), reason, patched, where.line))
    return findings


def risks_of(spec: HyperParameterSpec, optimizer: str | None = None) -> list[Finding]:
    """The lint's findings for one definition known only by its name (and the optimizer a
    report named): what a failed run's report shows as its ``risk``."""
    call = next(
        (name for name in ADAPTIVE if optimizer and name.lower() == optimizer.lower()), None
    )
    if call is None and optimizer and optimizer.lower() in ("sgd", "ftrl"):
        call = "SGD"
    return lint([(spec, Where(call=call))])


def with_risks(reports: Sequence[Report]) -> list[Report]:
    """Each report whose blamed hyperparameter's definition the lint flags, with the findings:
    a failed run shows the same risk line ``ktexplain check`` would have shown before it."""
    out = []
    for report in reports:
        link = report.diagnosis.hyperparameter
        if link is None or link.spec is None:
            out.append(report)
            continue
        risks = tuple(risks_of(link.spec, report.diagnosis.optimizer))
        out.append(replace(report, risks=risks) if risks else report)
    return out


def _risks(spec: HyperParameterSpec, where: Where) -> Iterable[tuple[str, str | None]]:
    config = spec.config
    role = _role(spec.name, where)
    if spec.class_name in ("Int", "Float"):
        bounds, step, sampling = _bounds(config), config.get("step"), config.get("sampling")
        if bounds is None:
            return
        low, high = bounds
        if low > high:
            yield (
                f"min_value {low} is greater than max_value {high}",
                spec.describe(min_value=high, max_value=low),
            )
            return
        if _is_number(step) and step > 0 and high > low and step > high - low:
            yield (
                f"step {step} is larger than the range {low}..{high}: only {low} is ever tried",
                spec.describe(step=_round_step(high - low, spec.class_name == "Int")),
            )
        if sampling == "log" and low <= 0:
            fixed = 1 if spec.class_name == "Int" else high / 1000
            yield (f"sampling='log' needs min_value > 0, got {low}", spec.describe(min_value=fixed))
        default = config.get("default")
        if _is_number(default) and not low <= default <= high:
            yield (f"default {default} is outside {low}..{high}", spec.describe(default=None))
        if role == "positive" and low <= 0:
            first = step if spec.class_name == "Int" and _is_number(step) and step > 0 else 1
            first = low + math.ceil((1 - low) / first) * first if first != 1 else 1
            yield (
                f"{where.argument or spec.name} must be at least 1, and this range reaches {low}",
                spec.describe(min_value=first) if first <= high else None,
            )
        if role == "rate" and high >= 1:
            yield (
                f"a dropout rate must be below 1 (1 drops every unit), and this range reaches "
                f"{high}",
                _rate_patch(spec, low, high, step),
            )
        if role == "learning_rate" and high > 1:
            optimizer = where.call if where.call in ADAPTIVE else None
            if where.call is None or optimizer is not None:
                yield (
                    f"a learning rate of {high} makes {optimizer or 'an adaptive optimizer'} "
                    "diverge (Adam and RMSprop work around 1e-4..1e-2)",
                    f"hp.Float({spec.name!r}, min_value=0.0001, max_value=0.01, sampling='log')",
                )
    elif spec.class_name == "Choice":
        values = list(config.get("values") or [])
        kinds = {type(v).__name__ for v in values}
        if len(kinds) > 1:
            floats = [float(v) for v in values if _is_number(v)]
            patched = spec.describe(values=floats) if len(floats) == len(values) else None
            yield (
                f"values of mixed types ({', '.join(sorted(kinds))}): keras-tuner rejects it",
                patched,
            )
        default = config.get("default")
        if default is not None and default not in values:
            yield (f"default {default!r} is not one of the values", spec.describe(default=None))
        bad = [v for v in values if _is_number(v) and _bad_value(role, v)]
        if bad:
            kept = [v for v in values if v not in bad]
            yield (
                f"{where.argument or spec.name} cannot be {', '.join(map(repr, bad))}",
                spec.describe(values=kept) if kept else None,
            )


def _bounds(config: Mapping[str, Any]) -> tuple[float, float] | None:
    low, high = config.get("min_value"), config.get("max_value")
    if _is_number(low) and _is_number(high):
        return low, high
    return None


def _rate_patch(spec: HyperParameterSpec, low: float, high: float, step: Any) -> str:
    if spec.class_name == "Float" and high == 1 and _is_number(step) and 0 < step < 1 - low:
        return spec.describe(max_value=round(1 - step, 10))
    # a percentage (hp.Int('dropout', 0, 50)) or a range past 1: rates are fractions
    return f"hp.Float({spec.name!r}, min_value=0.0, max_value=0.5, step=0.1)"


def _role(name: str, where: Where) -> str | None:
    argument = (where.argument or name).lower()
    if argument in POSITIVE_INT or any(argument.startswith(p + "_") for p in POSITIVE_INT):
        return "positive"
    if argument in RATE or argument.startswith("dropout"):
        return "rate"
    if argument in LEARNING_RATE or argument.startswith("learning_rate"):
        return "learning_rate"
    return None


def _bad_value(role: str | None, value: float) -> bool:
    if role == "positive":
        return value <= 0
    if role == "rate":
        return value >= 1 or value < 0
    return role == "learning_rate" and value > 1


def _round_step(width: float, is_int: bool) -> int | float:
    return max(1, int(width)) if is_int else width


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# -- the command ---------------------------------------------------------------------------------
def check_path(path: Path) -> list[Finding]:
    """A script, or a project directory (its ``oracle.json``)."""
    if path.is_dir():
        oracle = path / "oracle.json"
        if not oracle.is_file():
            candidates = sorted(path.glob("*/oracle.json"))
            if not candidates:
                raise ValueError(f"{path}: no oracle.json (not a Keras Tuner project)")
            return [f for c in candidates for f in lint(space_from_project(c.parent))]
        return lint(space_from_project(path))
    return lint(space_from_source(path.read_text(encoding="utf-8", errors="replace")))


def format_findings(path: str, findings: Sequence[Finding]) -> list[str]:
    lines = []
    for finding in findings:
        where = f"{path}:{finding.line}" if finding.line else path
        lines.append(f"{where}: warning: {finding.definition}: {finding.reason}")
        if finding.patched:
            lines.append(f"    use: {finding.patched}")
    return lines
