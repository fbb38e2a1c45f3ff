"""Live capture: exception hooks and the per-trial keras-tuner observer.

`install()` chains `sys.excepthook` and `threading.excepthook` (whatever was there keeps working
and prints first), and watches keras-tuner so that each failed trial is explained right after
keras-tuner reports it, with a grouped summary when `search()` returns (`ktexplain.observer`).
keras-tuner is patched when it is imported (a `sys.meta_path` watcher, here: install() adds it)
or at once if it already was; the observer module loads only then. This module never imports
keras-tuner, TensorFlow or IPython itself (`ktexplain.ipython` depends on it, not the reverse).

The original traceback always comes first and in full: anything that goes wrong while explaining
is reduced to one line, ``ktexplain: could not explain this error (<reason>)``.
"""

from __future__ import annotations

# Only what `python -c pass` has loaded already, and threading: install() must cost next to
# nothing (a line at the top of every training script). The rest loads on the first exception.
import os
import sys
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    import importlib.machinery
    import types
    from collections.abc import Callable, Sequence
    from pathlib import Path
    from typing import IO, Any

    from ktexplain.failure import Failure, Report, Trial
    from ktexplain.observer import _Patch
    from ktexplain.patterns import Database

    PatternsOption = str | Path | Sequence[str | Path] | None

# Where keras-tuner's classes live in each generation (≥ 1.4, 1.0.3–1.3, ≤ 1.0.2): BaseTuner,
# whose search begins and ends, and the oracle's Display, which reports each ended trial.
BASE_TUNER_MODULES = (
    "keras_tuner.src.engine.base_tuner",
    "keras_tuner.engine.base_tuner",
    "kerastuner.engine.base_tuner",
)
ORACLE_MODULES = (
    "keras_tuner.src.engine.oracle",
    "keras_tuner.engine.oracle",
    "kerastuner.engine.oracle",
)
WATCHED_MODULES = BASE_TUNER_MODULES + ORACLE_MODULES
DISABLED_VALUES = ("0", "false", "no", "off")
MAX_LOCAL_REPR = 120
MIN_WIDTH = 40
DEFAULT_WIDTH = 100
# The files whose frames a printed traceback leaves out (the observer's without importing it).
_OUR_FILES = (__file__, os.path.join(os.path.dirname(__file__), "observer.py"))


class _State:
    """What install() set up; plain slots, not a dataclass (dataclasses costs an import)."""

    __slots__ = (
        "active",
        "database",
        "detach",
        "display",
        "excepthook",
        "file",
        "patched",
        "patterns",
        "per_trial",
        "previous_excepthook",
        "previous_threading_hook",
        "shells",
        "show_locals",
        "threading_hook",
        "watcher",
    )

    def __init__(self) -> None:
        self.show_locals = False
        self.file: IO[str] | None = None
        self.patterns: PatternsOption = None
        self.per_trial = True
        self.active = True
        self.database: Database | None = None
        self.excepthook: Callable[..., Any] | None = None
        self.previous_excepthook: Callable[..., Any] | None = None
        self.threading_hook: Callable[..., Any] | None = None
        self.previous_threading_hook: Callable[..., Any] | None = None
        self.watcher: _KerasTunerWatcher | None = None
        self.patched: list[_Patch] = []
        # Set by `ktexplain.ipython` when it attaches to a shell: this module never imports it.
        self.shells: list[Any] = []
        self.display: Callable[..., None] | None = None
        self.detach: Callable[[Any], None] | None = None


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
        if state.detach is not None:
            for shell in list(state.shells):
                state.detach(shell)


# -- exception hooks -------------------------------------------------------------------------
def _chain_excepthooks(state: _State) -> None:
    previous = sys.excepthook
    previous_threading = threading.excepthook

    def ktexplain_excepthook(
        exc_type: type[BaseException], exc: BaseException, tb: types.TracebackType | None
    ) -> None:
        with _OurFramesHidden(exc):
            previous(exc_type, exc, tb if tb is None else _hide_our_frames(tb))
        if state.active and _worth_explaining(exc):
            explain_uncaught(exc)

    def ktexplain_threading_excepthook(args: Any) -> None:
        with _OurFramesHidden(getattr(args, "exc_value", None)):
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


class _OurFramesHidden:
    """While the previous hook prints: the tracebacks of the exception and its chain without
    ktexplain's own frames (the import watcher's, if keras-tuner failed to import; the
    observer's wrappers around keras-tuner's hooks). The
    exception object is given back its own tracebacks afterwards."""

    def __init__(self, exc: BaseException | None) -> None:
        self.saved: list[tuple[BaseException, types.TracebackType]] = []
        seen: set[int] = set()
        while exc is not None and id(exc) not in seen:
            seen.add(id(exc))
            tb = exc.__traceback__
            if tb is not None:
                hidden = _hide_our_frames(tb)
                if hidden is not tb:
                    self.saved.append((exc, tb))
                    exc.__traceback__ = hidden
            exc = exc.__cause__ or exc.__context__

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        for exc, tb in self.saved:
            exc.__traceback__ = tb


def _hide_our_frames(tb: types.TracebackType) -> types.TracebackType | None:
    """The same traceback minus this module's and the observer's frames (the original when it
    has none)."""
    entries = []
    node: types.TracebackType | None = tb
    while node is not None:
        entries.append(node)
        node = node.tb_next
    kept = [e for e in entries if e.tb_frame.f_code.co_filename not in _OUR_FILES]
    if len(kept) == len(entries):
        return tb
    rebuilt: types.TracebackType | None = None
    for entry in reversed(kept):
        rebuilt = type(tb)(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return rebuilt


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
    failures: Sequence[Failure],
    compact: bool,
    header: str | None,
    file: IO[str] | None = None,
    trials: Sequence[Trial] = (),
) -> None:
    """`trials`: every trial of the run, for the region each cause fails in."""
    db = database()
    from ktexplain import pipeline

    reports = pipeline.reports(failures, db, trials)
    if not reports:
        return
    target = _target(file)
    state = _state
    if target is None and state is not None and state.display is not None:
        state.display(reports, compact=compact, header=header, problems=db.errors)
        return
    if target is None:
        target = sys.stdout
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
    import io

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
    shell = running_ipython()
    if shell is not None:
        if is_jupyter(shell):
            return None
        return sys.stdout  # IPython prints its tracebacks to stdout
    return sys.stderr


def is_jupyter(shell: Any) -> bool:
    """A kernel (Jupyter, VS Code, Colab) rather than the terminal IPython."""
    return "Terminal" not in type(shell).__name__ and hasattr(shell, "kernel")


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


def running_ipython() -> Any:
    """The running IPython shell, if the program is one; IPython is never imported here."""
    module = sys.modules.get("IPython")
    if module is None:
        return None
    try:
        return module.get_ipython()
    except Exception:
        return None


# -- watching for keras-tuner ---------------------------------------------------------------
# The watcher is here, not in `ktexplain.observer`: install() adds it, and must load nothing more.
# The observer (what is patched, and what a failed trial prints) loads once keras-tuner has.
class _KerasTunerWatcher:
    """Patches keras-tuner the moment one of its modules finishes executing, whoever imports it.

    A `sys.meta_path` finder (duck-typed: importlib.abc costs an import).
    """

    def __init__(self) -> None:
        self._busy = threading.local()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in WATCHED_MODULES or getattr(self._busy, "on", False):
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
        spec.loader = _PatchingLoader(spec.loader)  # type: ignore[assignment]
        return spec


class _PatchingLoader:
    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        create: Callable[..., types.ModuleType | None] | None = getattr(
            self._loader, "create_module", None
        )
        return create(spec) if create else None

    def exec_module(self, module: types.ModuleType) -> None:
        __tracebackhide__ = True  # an import error in keras-tuner: IPython and pytest hide this
        self._loader.exec_module(module)
        state = _state
        if state is not None and state.per_trial:
            try:
                from ktexplain import observer

                observer.patch_module(state, module)
            except Exception as error:  # keras-tuner must import whatever happens here
                _say(f"ktexplain: cannot watch keras-tuner trials ({_reason(error)})")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


def _start_observer(state: _State) -> None:
    if state.watcher is None:
        state.watcher = _KerasTunerWatcher()
        sys.meta_path.insert(0, state.watcher)
    for name in WATCHED_MODULES:
        module = sys.modules.get(name)
        if module is not None:
            from ktexplain import observer

            observer.patch_module(state, module)


def _stop_observer(state: _State) -> None:
    if state.watcher is not None:
        if state.watcher in sys.meta_path:
            sys.meta_path.remove(state.watcher)
        state.watcher = None
    if state.patched:  # only the observer patches, so it is loaded already
        from ktexplain import observer

        observer.unpatch(state)
