"""The search space, read from the user's own source code.

A log's table gives a trial's values but not the ranges they came from, and a fault at tuner
construction prints no table at all. The traceback names the user's files; when one can be found
(at its path, or by name next to the log or in ``--source`` directories) its ``hp.Int(...)``,
``hp.Float(...)``, ``hp.Choice(...)`` calls with literal arguments give the search space, and their
defaults give the values the tuner's constructor used. Nothing is executed: ``ast`` only.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ktexplain.failure import Failure, Frame, HyperParameterSpec, Trial
from ktexplain.record import Record, replace, set_field

HP_METHODS = ("Int", "Float", "Choice", "Boolean", "Fixed")
POSITIONAL = {
    "Int": ("name", "min_value", "max_value", "step", "sampling", "default"),
    "Float": ("name", "min_value", "max_value", "step", "sampling", "default"),
    "Choice": ("name", "values", "ordered", "default"),
    "Boolean": ("name", "default"),
    "Fixed": ("name", "value"),
}
MAX_SOURCE_BYTES = 2_000_000


def is_user_file(filename: str) -> bool:
    return Frame(filename, None, "").is_user_code


def locate(filename: str, search_dirs: Sequence[Path]) -> Path | None:
    path = Path(filename)
    try:
        if path.is_file():
            return path
    except OSError:
        return None
    for directory in search_dirs:
        candidate = directory / path.name
        try:
            if candidate.is_file():
                return candidate
        except OSError:
            continue
    return None


class SourceSpec(Record):
    """A definition found in source. ``name_pattern`` is set for an f-string name
    (``hp.Int(f"units_{i}", ...)``): it matches every name the loop produces, and ``spec.name``
    is the first one when the loop's start is known (``units_0``)."""

    __slots__ = ("spec", "name_pattern")
    spec: HyperParameterSpec
    name_pattern: re.Pattern[str] | None

    def __init__(
        self, spec: HyperParameterSpec, name_pattern: re.Pattern[str] | None = None
    ) -> None:
        set_field(self, "spec", spec)
        set_field(self, "name_pattern", name_pattern)


def source_specs(source: str) -> tuple[SourceSpec, ...]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return ()
    collector = _Collector()
    collector.visit(tree)
    return tuple(collector.specs.values())


class _Collector(ast.NodeVisitor):
    def __init__(self) -> None:
        self.specs: dict[str, SourceSpec] = {}
        self.loop_starts: dict[str, int] = {}

    def visit_For(self, node: ast.For) -> None:
        start = _range_start(node)
        name = node.target.id if isinstance(node.target, ast.Name) else None
        if name is not None and start is not None:
            previous = self.loop_starts.get(name)
            self.loop_starts[name] = start
            self.generic_visit(node)
            if previous is None:
                del self.loop_starts[name]
            else:
                self.loop_starts[name] = previous
        else:
            self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        spec = call_spec(node, self.loop_starts)
        if spec is not None:
            key = spec.name_pattern.pattern if spec.name_pattern else spec.spec.name
            self.specs.setdefault(key, spec)
        self.generic_visit(node)


def call_spec(node: ast.Call, loop_starts: dict[str, int] | None = None) -> SourceSpec | None:
    if not (isinstance(node.func, ast.Attribute) and node.func.attr in HP_METHODS):
        return None
    method = node.func.attr
    name_node = node.args[0] if node.args else _keyword(node, "name")
    if isinstance(name_node, ast.JoinedStr):
        template = _template(name_node, loop_starts or {})
        if template is None:
            return None
        first_name, pattern = template
        config = _literal_arguments(method, node, skip_name=True)
        if config is None:
            return None
        return SourceSpec(HyperParameterSpec(first_name, method, config), pattern)
    config = _literal_arguments(method, node)
    if config is None or not isinstance(config.get("name"), str):
        return None
    name = config.pop("name")
    return SourceSpec(HyperParameterSpec(name, method, config))


def _keyword(node: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


def _template(
    node: ast.JoinedStr, loop_starts: dict[str, int]
) -> tuple[str, re.Pattern[str]] | None:
    first: list[str] = []
    regex: list[str] = []
    for part in node.values:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            first.append(part.value)
            regex.append(re.escape(part.value))
        elif isinstance(part, ast.FormattedValue):
            regex.append(".+?")
            value = part.value
            if isinstance(value, ast.Name) and value.id in loop_starts:
                first.append(str(loop_starts[value.id]))
            else:
                first.append("{" + ast.unparse(value) + "}")
        else:
            return None
    return "".join(first), re.compile("".join(regex) + r"\Z")


def _range_start(node: ast.For) -> int | None:
    """0 for ``for i in range(n)``, ``a`` for ``range(a, n)`` with a literal ``a``."""
    call = node.iter
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
        return None
    if call.func.id == "enumerate":
        start = _keyword(call, "start")
        if start is None and len(call.args) < 2:
            return 0
        value = _literal(start if start is not None else call.args[1])
        return value if isinstance(value, int) else None
    if call.func.id != "range" or not call.args:
        return None
    if len(call.args) == 1:
        return 0
    value = _literal(call.args[0])
    return value if isinstance(value, int) else None


@functools.lru_cache(maxsize=4096)  # a long log repeats the same few lines
def spec_on_line(code_line: str) -> HyperParameterSpec | None:
    """The hyperparameter defined on one traceback line, e.g.
    ``keras.layers.Dropout(hp.Choice("dropout", [0, 0.25, 0.5])),``, when it holds exactly one."""
    found: list[HyperParameterSpec] = []
    for match in _HP_CALL.finditer(code_line):
        expression = _balanced(code_line, match.start())
        if expression is None:
            continue
        try:
            node = ast.parse(expression, mode="eval").body
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
        if isinstance(node, ast.Call):
            spec = call_spec(node)
            if spec is not None and spec.name_pattern is None:
                found.append(spec.spec)
    return found[0] if len(found) == 1 else None


_HP_CALL = re.compile(r"\b\w+\.(?:Int|Float|Choice|Boolean|Fixed)\(")


def _balanced(text: str, start: int) -> str | None:
    depth = 0
    quote: str | None = None
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            if char == quote and text[index - 1] != "\\":
                quote = None
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return text[start : index + 1]
    return None


def _literal_arguments(
    method: str, call: ast.Call, skip_name: bool = False
) -> dict[str, Any] | None:
    config: dict[str, Any] = {}
    names = POSITIONAL[method]
    for index, argument in enumerate(call.args):
        if index >= len(names):
            return None
        if index == 0 and skip_name:
            continue
        value = _literal(argument)
        if value is _MISSING:
            if index == 0:
                return None
            continue
        config[names[index]] = value
    for keyword in call.keywords:
        if keyword.arg is None or (skip_name and keyword.arg == "name"):
            continue
        value = _literal(keyword.value)
        if value is not _MISSING:
            config[keyword.arg] = value
    return config


_MISSING = object()


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _MISSING


class SourceSpaces:
    """Caches parsed files: a log with a thousand tracebacks names the same script each time."""

    def __init__(self, search_dirs: Iterable[Path] = ()) -> None:
        self.search_dirs = list(search_dirs)
        self._cache: dict[str, tuple[SourceSpec, ...]] = {}

    def for_frames(self, frames: Iterable[Frame]) -> tuple[SourceSpec, ...]:
        merged: dict[str, SourceSpec] = {}
        for frame in frames:
            if not is_user_file(frame.filename):
                continue
            for found in self._file(frame.filename):
                merged.setdefault(found.spec.name, found)
        return tuple(merged.values())

    def _file(self, filename: str) -> tuple[SourceSpec, ...]:
        if filename not in self._cache:
            path = locate(filename, self.search_dirs)
            specs: tuple[SourceSpec, ...] = ()
            if path is not None:
                try:
                    data = path.read_bytes()[:MAX_SOURCE_BYTES]
                    specs = source_specs(data.decode("utf-8", errors="replace"))
                except OSError:
                    specs = ()
            self._cache[filename] = specs
        return self._cache[filename]


def with_source_space(failures: list[Failure], spaces: SourceSpaces) -> list[Failure]:
    """Attach what the user's code says to each failure.

    - The hyperparameter defined on the line that raised (from the traceback text itself).
    - The search space found in the user's files, when they can be found. The files of any
      traceback in the input count: a fault during ``fit`` does not show ``build_model``'s
      frame, but a log usually names the script elsewhere (its ``<module>`` frame).
    """
    # A long log repeats the same records (shared by the reader): their frames once each.
    records = {id(r): r for failure in failures for r in failure.chain}
    every_frame = [f for r in records.values() for f in r.frames]
    return with_specs(failures, spaces.for_frames(every_frame))


def with_specs(failures: list[Failure], found: Sequence[SourceSpec]) -> list[Failure]:
    # Failures sharing a trial record share its enriched record too (and so the cache of
    # `diagnose`): a long log repeats the same trial's failures.
    enriched: dict[int, Failure] = {}
    return [_enrich(failure, tuple(found), enriched) for failure in failures]


def _enrich(
    failure: Failure, found: tuple[SourceSpec, ...], trials: dict[int, Failure] | None = None
) -> Failure:
    raising = raising_spec(failure)
    if raising is not None and failure.raising_spec is None:
        failure = replace(failure, raising_spec=raising)
    trial = failure.trial
    if trial is None or trial.space or not found:
        return failure
    if trials is not None:
        known = trials.get(id(trial))
        if known is not None and known.trial is not None:
            return replace(failure, trial=known.trial)
        done = _enrich_trial(failure, trial, found)
        trials[id(trial)] = done
        return done
    return _enrich_trial(failure, trial, found)


def _enrich_trial(failure: Failure, trial: Trial, found: tuple[SourceSpec, ...]) -> Failure:
    values = dict(trial.hyperparameters)
    space: dict[str, HyperParameterSpec] = {}
    for source_spec in found:
        if source_spec.name_pattern is None:
            space[source_spec.spec.name] = source_spec.spec
            continue
        names = [n for n in values if source_spec.name_pattern.match(n)]
        if not names and trial.construction and "{" not in source_spec.spec.name:
            names = [source_spec.spec.name]
        for name in names:
            space.setdefault(name, replace(source_spec.spec, name=name))
    if trial.construction and not values:
        values = {name: spec.default() for name, spec in space.items()}
    trial = replace(trial, space=tuple(space.values()), hyperparameters=values)
    return replace(failure, trial=trial)


def raising_spec(failure: Failure) -> HyperParameterSpec | None:
    """The hyperparameter defined on the innermost line of user code in the traceback."""
    frame = failure.user_frame()
    return spec_on_line(frame.line) if frame is not None and frame.line else None
