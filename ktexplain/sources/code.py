"""The search space, read from the user's own source code.

A log's table gives a trial's values but not the ranges they came from, and a fault at tuner
construction prints no table at all. The traceback names the user's files; when one can be found
(at its path, or by name next to the log or in ``--source`` directories) its ``hp.Int(...)``,
``hp.Float(...)``, ``hp.Choice(...)`` calls with literal arguments give the search space, and their
defaults give the values the tuner's constructor used. Nothing is executed: ``ast`` only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ktexplain.failure import Failure, Frame, HyperParameterSpec

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
    lowered = filename.replace("\\", "/")
    return not (
        "site-packages/" in lowered
        or "dist-packages/" in lowered
        or "/lib/python3" in lowered
        or lowered.startswith("<")
        or "__autograph_generated" in lowered
    )


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


def space_from_source(source: str) -> tuple[HyperParameterSpec, ...]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ()
    specs: dict[str, HyperParameterSpec] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        if method not in HP_METHODS:
            continue
        config = _literal_arguments(method, node)
        if config is None or not isinstance(config.get("name"), str):
            continue
        name = config.pop("name")
        specs.setdefault(name, HyperParameterSpec(name, method, config))
    return tuple(specs.values())


def _literal_arguments(method: str, call: ast.Call) -> dict[str, Any] | None:
    config: dict[str, Any] = {}
    names = POSITIONAL[method]
    for index, argument in enumerate(call.args):
        if index >= len(names):
            return None
        value = _literal(argument)
        if value is _MISSING:
            if index == 0:
                return None
            continue
        config[names[index]] = value
    for keyword in call.keywords:
        if keyword.arg is None:
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


def default_value(spec: HyperParameterSpec) -> Any:
    """The value keras-tuner uses when building once at construction."""
    config = spec.config
    if config.get("default") is not None:
        return config["default"]
    if spec.class_name in ("Int", "Float"):
        return config.get("min_value")
    if spec.class_name == "Choice":
        values = config.get("values") or [None]
        return values[0]
    if spec.class_name == "Boolean":
        return False
    if spec.class_name == "Fixed":
        return config.get("value")
    return None


class SourceSpaces:
    """Caches parsed files: a log with a thousand tracebacks names the same script each time."""

    def __init__(self, search_dirs: Iterable[Path] = ()) -> None:
        self.search_dirs = list(search_dirs)
        self._cache: dict[str, tuple[HyperParameterSpec, ...]] = {}

    def for_frames(self, frames: Iterable[Frame]) -> tuple[HyperParameterSpec, ...]:
        merged: dict[str, HyperParameterSpec] = {}
        for frame in frames:
            if not is_user_file(frame.filename):
                continue
            for spec in self._file(frame.filename):
                merged.setdefault(spec.name, spec)
        return tuple(merged.values())

    def _file(self, filename: str) -> tuple[HyperParameterSpec, ...]:
        if filename not in self._cache:
            path = locate(filename, self.search_dirs)
            specs: tuple[HyperParameterSpec, ...] = ()
            if path is not None:
                try:
                    data = path.read_bytes()[:MAX_SOURCE_BYTES]
                    specs = space_from_source(data.decode("utf-8", errors="replace"))
                except OSError:
                    specs = ()
            self._cache[filename] = specs
        return self._cache[filename]


def with_source_space(failures: list[Failure], spaces: SourceSpaces) -> list[Failure]:
    """Attach the search space found in the user's files to every failure's trial.

    The files of any traceback in the input count: a fault during ``fit`` does not show
    ``build_model``'s frame, but a log usually names the script elsewhere (its ``<module>``
    frame in the final traceback).
    """
    every_frame = [f for failure in failures for r in failure.chain for f in r.frames]
    space = spaces.for_frames(every_frame)
    if not space:
        return failures
    out = []
    for failure in failures:
        trial = failure.trial
        if trial is None or trial.space:
            out.append(failure)
            continue
        values = dict(trial.hyperparameters)
        if trial.construction and not values:
            values = {s.name: default_value(s) for s in space}
        trial = replace(trial, space=space, hyperparameters=values)
        out.append(replace(failure, trial=trial))
    return out
