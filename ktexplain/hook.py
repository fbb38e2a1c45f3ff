"""Live capture: exception hooks and the per-trial keras-tuner observer.

`install()` chains `sys.excepthook` and `threading.excepthook` (whatever was there keeps working
and prints first), and watches keras-tuner's `BaseTuner` so that each failed trial is explained
right after keras-tuner reports it, with a grouped summary when `search()` returns. keras-tuner
is patched when it is imported (a `sys.meta_path` watcher) or at once if it already was; this
module never imports keras-tuner, TensorFlow or IPython itself.

The original traceback always comes first and in full: anything that goes wrong while explaining
is reduced to one line, ``ktexplain: could not explain this error (<reason>)``.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import io
import os
import sys
import threading
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ktexplain.failure import Failure, Report
    from ktexplain.patterns import Database

# Where BaseTuner lives in each keras-tuner generation (≥ 1.4, 1.0.3–1.3, ≤ 1.0.2).
BASE_TUNER_MODULES = (
    "keras_tuner.src.engine.base_tuner",
    "keras_tuner.engine.base_tuner",
    "kerastuner.engine.base_tuner",
)
DISABLED_VALUES = ("0", "false", "no", "off")
MAX_LOCAL_REPR = 120
MIN_WIDTH = 40
DEFAULT_WIDTH = 100

PatternsOption = str | Path | Sequence[str | Path] | None


@dataclass
class _State:
    show_locals: bool = False
    file: IO[str] | None = None
    patterns: PatternsOption = None
    per_trial: bool = True
    active: bool = True
    database: Database | None = None
    excepthook: Callable[..., Any] | None = None
    previous_excepthook: Callable[..., Any] | None = None
    threading_hook: Callable[..., Any] | None = None
    previous_threading_hook: Callable[..., Any] | None = None
    watcher: _BaseTunerWatcher | None = None
    patched: list[_Patch] = field(default_factory=list)
    shells: list[Any] = field(default_factory=list)


@dataclass
class _Patch:
    owner: type
    name: str
    had_own: bool
    original: Any
    wrapper: Any


_state: _State | None = None
_lock = threading.RLock()


def disabled_by_env() -> bool:
    return os.environ.get("KTEXPLAIN", "").strip().lower() in DISABLED_VALUES


def installed() -> bool:
    return _state is not None


def install(
    show_locals: bool = False,
    file: IO[str] | None = None,
    patterns: PatternsOption = None,
    per_trial: bool = True,
) -> None:
    """Explain uncaught Keras/TensorFlow/keras-tuner errors, and each failed trial of a search.

    Idempotent: a second call only updates the options. ``KTEXPLAIN=0`` makes it a no-op.
    ``file`` defaults to ``sys.stderr`` as it is when something is printed; ``patterns`` adds
    pattern directories; ``per_trial=False`` leaves keras-tuner alone.
    """
    global _state
    if disabled_by_env():
        return
    with _lock:
        if _state is None:
            _state = _State()
            _chain_excepthooks(_state)
        state = _state
        state.show_locals, state.file, state.per_trial = show_locals, file, per_trial
        if patterns != state.patterns:
            state.patterns, state.database = patterns, None
        if per_trial:
            _start_observer(state)
        else:
            _stop_observer(state)
        shell = _running_ipython()
        if shell is not None:
            from ktexplain import ipython

            ipython.attach(shell)


def uninstall() -> None:
    """Undo `install`: every hook and patch goes back to exactly what it was."""
    global _state
    with _lock:
        state = _state
        if state is None:
            return
        _state = None
        state.active = False
        _stop_observer(state)
        if sys.excepthook is state.excepthook:
            sys.excepthook = state.previous_excepthook  # type: ignore[assignment]
        if threading.excepthook is state.threading_hook:
            threading.excepthook = state.previous_threading_hook  # type: ignore[assignment]
        # A hook someone chained on top of ours stays; ours passes through once inactive.
        if state.shells:
            from ktexplain import ipython

            for shell in list(state.shells):
                ipython.detach(shell)


# -- exception hooks -------------------------------------------------------------------------
def _chain_excepthooks(state: _State) -> None:
    previous = sys.excepthook
    previous_threading = threading.excepthook

    def ktexplain_excepthook(
        exc_type: type[BaseException], exc: BaseException, tb: types.TracebackType | None
    ) -> None:
        previous(exc_type, exc, tb)
        if state.active and _worth_explaining(exc):
            explain_uncaught(exc)

    def ktexplain_threading_excepthook(args: Any) -> None:
        previous_threading(args)
        exc = getattr(args, "exc_value", None)
        if state.active and exc is not None and _worth_explaining(exc):
            explain_uncaught(exc)

    state.excepthook, state.previous_excepthook = ktexplain_excepthook, previous
    state.threading_hook, state.previous_threading_hook = (
        ktexplain_threading_excepthook,
        previous_threading,
    )
    sys.excepthook = ktexplain_excepthook
    threading.excepthook = ktexplain_threading_excepthook


def _worth_explaining(exc: BaseException | None) -> bool:
    """Ctrl-C, SystemExit and the like are not errors to explain."""
    return isinstance(exc, Exception)


def explain_uncaught(exc: BaseException, file: IO[str] | None = None) -> None:
    """Print the explanation of an exception whose traceback was just printed. Never raises."""
    state = _state
    if disabled_by_env():
        return
    try:
        from ktexplain.sources import live

        if not live.is_keras_related(exc):
            return
        failures = live.failures_from_exception(exc)
        _flush_standard_streams()
        _emit(failures, compact=False, header=None, file=file)
        if state is not None and state.show_locals:
            _write(_locals_text(exc), file)
    except KeyboardInterrupt:
        return
    except Exception as error:
        _say(f"ktexplain: could not explain this error ({_reason(error)})", file)


# -- rendering -------------------------------------------------------------------------------
def database() -> Database:
    from ktexplain import pipeline

    state = _state
    if state is None:
        return pipeline.database()
    if state.database is None:
        state.database = pipeline.database(state.patterns)
    return state.database


def reports_for(failures: Sequence[Failure]) -> list[Report]:
    from ktexplain import pipeline

    return pipeline.reports(failures, database())


def _emit(
    failures: Sequence[Failure], compact: bool, header: str | None, file: IO[str] | None = None
) -> None:
    db = database()
    from ktexplain import pipeline

    reports = pipeline.reports(failures, db)
    if not reports:
        return
    target = _target(file)
    if target is None:
        from ktexplain import ipython

        ipython.display_reports(reports, compact=compact, header=header, problems=db.errors)
        return
    text = render_text(reports, target, compact, header, db.errors)
    if not text.strip():
        raise RuntimeError("the renderer produced no output")
    _write(text, target)


def render_text(
    reports: Sequence[Report],
    target: IO[str],
    compact: bool,
    header: str | None = None,
    problems: Sequence[object] = (),
) -> str:
    """Render completely before writing: a renderer that fails half-way prints nothing."""
    from ktexplain import render

    buffer = io.StringIO()
    color = _wants_color(target)
    console = render.make_console(buffer, color, width=_width(target))
    render.render_reports(reports, compact=compact, console=console, header=header)
    text = buffer.getvalue()
    if problems:
        first = str(problems[0])
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        text += f"ktexplain: pattern file skipped: {first}{more}\n"
    return text


def _target(file: IO[str] | None) -> IO[str] | None:
    """The stream to write to, or None to display rich output in a Jupyter cell."""
    if file is not None:
        return file
    state = _state
    if state is not None and state.file is not None:
        return state.file
    shell = _running_ipython()
    if shell is not None:
        from ktexplain import ipython

        if ipython.is_jupyter(shell):
            return None
        return sys.stdout  # IPython prints its tracebacks to stdout
    return sys.stderr


def _wants_color(target: IO[str]) -> bool:
    """Rendering goes through a buffer, so the decision rich would make is made here."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return bool(target.isatty())
    except Exception:
        return False


def _width(target: IO[str]) -> int:
    """The terminal's width (a pty can report 0 columns), else $COLUMNS, else 100."""
    try:
        if target.isatty():
            columns = os.get_terminal_size(target.fileno()).columns
            if columns >= MIN_WIDTH:
                return columns
    except Exception:
        pass
    columns_env = os.environ.get("COLUMNS", "")
    if columns_env.isdigit() and int(columns_env) >= MIN_WIDTH:
        return int(columns_env)
    return DEFAULT_WIDTH


def _write(text: str, target: IO[str] | None) -> None:
    stream = target if target is not None else _target(None) or sys.stderr
    stream.write(text)
    stream.flush()


def _say(line: str, file: IO[str] | None = None) -> None:
    """One line about ktexplain itself; falls back to the real stderr, and never raises."""
    state = _state
    candidates = [file, state.file if state else None, sys.stderr, sys.__stderr__]
    for stream in candidates:
        if stream is None:
            continue
        try:
            stream.write(line + "\n")
            stream.flush()
            return
        except Exception:
            continue


def _reason(error: BaseException) -> str:
    from ktexplain.sources.live import safe_str

    message = safe_str(error).strip().splitlines()
    return f"{type(error).__name__}: {message[0]}" if message else type(error).__name__


def _flush_standard_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:
            pass


def _locals_text(exc: BaseException) -> str:
    """The locals of the innermost frame outside libraries (usually ``build_model``)."""
    from ktexplain.sources.live import RELATED_PATH

    tb = exc.__traceback__
    chosen = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not RELATED_PATH.search(filename) and "site-packages" not in filename:
            chosen = tb.tb_frame
        tb = tb.tb_next
    if chosen is None:
        return ""
    lines = [f"ktexplain: locals of {chosen.f_code.co_name}() ({chosen.f_code.co_filename}):"]
    for name, value in list(chosen.f_locals.items()):
        if name.startswith("__"):
            continue
        try:
            text = repr(value)
        except Exception:
            text = f"<{type(value).__name__}>"
        if len(text) > MAX_LOCAL_REPR:
            text = text[: MAX_LOCAL_REPR - 1] + "…"
        lines.append(f"  {name} = {text}")
    return "\n".join(lines) + "\n"


def _running_ipython() -> Any:
    """The running IPython shell, if the program is one; IPython is never imported here."""
    module = sys.modules.get("IPython")
    if module is None:
        return None
    try:
        return module.get_ipython()
    except Exception:
        return None


# -- the per-trial observer ------------------------------------------------------------------
class _BaseTunerWatcher(importlib.abc.MetaPathFinder):
    """Patches BaseTuner the moment its module finishes executing, whoever imports it."""

    def __init__(self) -> None:
        self._busy = threading.local()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in BASE_TUNER_MODULES or getattr(self._busy, "on", False):
            return None
        self._busy.on = True
        try:
            spec = None
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
        finally:
            self._busy.on = False
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _PatchingLoader(spec.loader)
        return spec


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        create: Callable[..., types.ModuleType | None] | None = getattr(
            self._loader, "create_module", None
        )
        return create(spec) if create else None

    def exec_module(self, module: types.ModuleType) -> None:
        self._loader.exec_module(module)
        state = _state
        if state is not None and state.per_trial:
            try:
                _patch_module(state, module)
            except Exception as error:  # keras-tuner must import whatever happens here
                _say(f"ktexplain: cannot watch keras-tuner trials ({_reason(error)})")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


def _start_observer(state: _State) -> None:
    if state.watcher is None:
        state.watcher = _BaseTunerWatcher()
        sys.meta_path.insert(0, state.watcher)
    for name in BASE_TUNER_MODULES:
        module = sys.modules.get(name)
        if module is not None:
            _patch_module(state, module)


def _stop_observer(state: _State) -> None:
    if state.watcher is not None:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(state.watcher)
        state.watcher = None
    for patch in reversed(state.patched):
        current = patch.owner.__dict__.get(patch.name)
        if current is not patch.wrapper:
            continue  # someone patched over ours: ours stays, inert
        if patch.had_own:
            setattr(patch.owner, patch.name, patch.original)
        else:
            delattr(patch.owner, patch.name)
    state.patched.clear()


def _patch_module(state: _State, module: types.ModuleType) -> None:
    base = getattr(module, "BaseTuner", None)
    if not isinstance(base, type) or any(p.owner is base for p in state.patched):
        return
    for name, make in (("search", _wrap_search), ("on_trial_end", _wrap_on_trial_end)):
        original = base.__dict__.get(name)
        if original is None:
            continue
        wrapper = make(original, state)
        wrapper.__ktexplain_original__ = original  # type: ignore[attr-defined]
        setattr(base, name, wrapper)
        state.patched.append(_Patch(base, name, True, original, wrapper))


@dataclass
class _SearchRecord:
    depth: int = 0
    failures: list[Failure] = field(default_factory=list)


_searches: dict[int, _SearchRecord] = {}


def _wrap_search(original: Callable[..., Any], state: _State) -> Callable[..., Any]:
    def search(self: Any, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True  # IPython and pytest leave this frame out of tracebacks
        if not state.active:
            return original(self, *args, **kwargs)
        record = _searches.setdefault(id(self), _SearchRecord())
        record.depth += 1
        finished = False
        try:
            result = original(self, *args, **kwargs)
            finished = True
            return result
        finally:
            record.depth -= 1
            if record.depth == 0:
                _searches.pop(id(self), None)
                # An exception leaving search() reaches the excepthook, which explains it with
                # every failed trial of the oracle; a summary here would say it twice.
                if finished and record.failures and state.active:
                    _summarize(self, record.failures)

    search.__wrapped__ = original  # type: ignore[attr-defined]
    search.__doc__ = original.__doc__
    return search


def _wrap_on_trial_end(original: Callable[..., Any], state: _State) -> Callable[..., Any]:
    def on_trial_end(self: Any, trial: Any) -> Any:
        __tracebackhide__ = True
        result = original(self, trial)  # may raise the consecutive-failure RuntimeError
        if state.active:
            _after_trial(self, trial)
        return result

    on_trial_end.__wrapped__ = original  # type: ignore[attr-defined]
    on_trial_end.__doc__ = original.__doc__
    return on_trial_end


def _after_trial(tuner: Any, trial: Any) -> None:
    """Explain the trial keras-tuner just reported as FAILED. Never raises."""
    if disabled_by_env():
        return
    try:
        from ktexplain.sources.live import failure_from_trial, trial_number_of

        oracle = getattr(tuner, "oracle", None)
        trial_id = getattr(trial, "trial_id", None)
        ended = getattr(oracle, "trials", {}).get(trial_id, trial)
        if str(getattr(ended, "status", "")) != "FAILED":
            return
        failure = failure_from_trial(ended, trial_number_of(oracle, ended), oracle)
        if failure is None:
            return
        record = _searches.get(id(tuner))
        earlier = list(record.failures) if record is not None else []
        if record is not None:
            record.failures.append(failure)
        _flush_standard_streams()
        repeated = _first_with_same_cause(earlier, failure)
        if repeated is not None:
            # The fix was printed for the first trial with this cause: say so, briefly.
            _write(
                f"ktexplain: trial {_label(failure)}: same cause as trial {repeated}\n",
                _target(None) or sys.stdout,
            )
            return
        _emit([failure], compact=True, header=None)
    except KeyboardInterrupt:
        raise
    except Exception as error:
        _say(f"ktexplain: could not explain this trial ({_reason(error)})")


def _first_with_same_cause(earlier: Sequence[Failure], failure: Failure) -> str | None:
    if not earlier:
        return None
    for report in reports_for([*earlier, failure]):
        if any(f is failure for f in report.failures) and report.failures[0] is not failure:
            return _label(report.failures[0])
    return None


def _label(failure: Failure) -> str:
    return failure.trial.label if failure.trial is not None else "?"


def _summarize(tuner: Any, failures: Sequence[Failure]) -> None:
    try:
        total = len(getattr(getattr(tuner, "oracle", None), "trials", {}) or {}) or None
        count = len(failures)
        if total:
            header = f"ktexplain: {count} of {total} trials failed in this search"
        else:
            header = f"ktexplain: {count} trial{'s' if count != 1 else ''} failed in this search"
        _flush_standard_streams()
        _emit(failures, compact=False, header=header)
    except Exception as error:
        _say(f"ktexplain: could not summarize the failed trials ({_reason(error)})")
