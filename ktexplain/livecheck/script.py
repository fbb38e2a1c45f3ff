"""``ktexplain check FILE:FUNCTION``: a function of the user's script, loaded without running the
search the script would start, and the training sample ``--data`` names."""

from __future__ import annotations

import ast
import importlib.util
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any


def is_live_target(argument: str) -> bool:
    """``train.py:build_model`` (a function in a script), as opposed to a path to lint."""
    path, colon, function = argument.rpartition(":")
    return bool(colon and path and function.isidentifier() and not Path(argument).exists())


# Calls that construct or run a tuner: never run when a script is loaded for a check.
_TUNER_CALL = ("Search", "Hyperband", "Optimization", "Tuner", "Oracle")
_RUNNING_METHODS = frozenset(
    {"search", "fit", "results_summary", "get_best_models", "get_best_hyperparameters"}
)


class ScriptError(Exception):
    """The script or its function cannot be loaded: exit code 2."""


def load_function(path: Path, function: str) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The function of a script, loaded as a module (not ``__main__``) whose top level runs its
    imports, definitions and assignments only: statements that construct or run a tuner, bare
    expression statements (``tuner.search(...)``, ``main()``), loops and ``with`` blocks are
    skipped, as is the ``if __name__ == "__main__":`` block. The script's folder is on
    ``sys.path`` as when Python runs it."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScriptError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        tree = ast.parse(source, str(path))
    except SyntaxError as exc:
        raise ScriptError(f"{path}: syntax error at line {exc.lineno}: {exc.msg}") from None
    tree.body = _definitions(tree.body)
    module_name = "__ktexplain_check__"
    spec = importlib.util.spec_from_loader(module_name, loader=None, origin=str(path))
    if spec is None:  # pragma: no cover
        raise ScriptError(f"{path}: cannot be loaded")
    module = importlib.util.module_from_spec(spec)
    module.__file__ = str(path)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    sys.modules[module_name] = module
    try:
        exec(compile(tree, str(path), "exec"), module.__dict__)
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    found = module.__dict__.get(function)
    if not callable(found):
        defined = sorted(
            n
            for n, v in module.__dict__.items()
            if callable(v) and getattr(v, "__module__", None) == module_name
        )
        raise ScriptError(
            f"{path}: no function {function!r} (defined there: {', '.join(defined) or 'none'})"
        )
    return found, module.__dict__


_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _definitions(body: list[ast.stmt]) -> list[ast.stmt]:
    kept: list[ast.stmt] = []
    for index, statement in enumerate(body):
        if isinstance(statement, _DEFINITIONS):
            kept.append(statement)
        elif isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            if not _runs_a_tuner(statement):
                kept.append(statement)
        elif isinstance(statement, ast.Expr):
            if index == 0 and isinstance(statement.value, ast.Constant):
                kept.append(statement)  # the docstring
        elif isinstance(statement, ast.If):
            if not _is_main_guard(statement.test) and not _runs_a_tuner(statement):
                statement.body = _definitions(statement.body) or [ast.Pass()]
                statement.orelse = _definitions(statement.orelse)
                kept.append(statement)
        elif isinstance(statement, ast.Try) and not _runs_a_tuner(statement):
            statement.body = _definitions(statement.body) or [ast.Pass()]
            kept.append(statement)
    for statement in kept:
        ast.fix_missing_locations(statement)
    return kept


def _runs_a_tuner(node: ast.AST) -> bool:
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name.endswith(_TUNER_CALL):
            return True
        if isinstance(func, ast.Attribute) and name in _RUNNING_METHODS:
            return True
    return False


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


def _data(spec: str, script: Path, scope: Mapping[str, Any]) -> tuple[Any, Any]:
    """``--data``: ``X,Y`` (names the script assigns), ``FUNCTION`` of the script, or
    ``FILE:FUNCTION``; a function returns ``(x, y)``."""
    if "," in spec:
        names = [n.strip() for n in spec.split(",")]
        if len(names) != 2 or any(n not in scope for n in names):
            missing = [n for n in names if n not in scope]
            raise ScriptError(f"--data {spec}: not assigned at the top of {script}: {missing}")
        return scope[names[0]], scope[names[1]]
    if is_live_target(spec):
        file, _, function = spec.rpartition(":")
        loader, _ = load_function(Path(file), function)
    else:
        found = scope.get(spec)
        if not callable(found):
            raise ScriptError(f"--data {spec}: no such function in {script}")
        loader = found
    data = loader()
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise ScriptError(f"--data {spec}: must return (x, y)")
    return data[0], data[1]
