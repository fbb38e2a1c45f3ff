"""The IPython / Jupyter extension: ``%load_ext ktexplain``, ``%unload_ext ktexplain``.

IPython never calls `sys.excepthook` for a cell's error; it formats the traceback itself in
`InteractiveShell.showtraceback`. The extension wraps that method on the shell instance (an
instance attribute shadowing the class's), so the usual traceback is shown first, untouched,
and the explanation after it; the cell's result is not touched, so a failing cell stays failed.
Unloading removes the instance attribute (or puts back the one that was there): exactly what
was there before. In Jupyter the explanation is displayed as rich HTML with a plain-text twin.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from ktexplain import hook
from ktexplain.hook import is_jupyter

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ktexplain.failure import Report

__all__ = ["attach", "detach", "display_reports", "is_jupyter", "load_ipython_extension"]

ATTRIBUTE = "showtraceback"
JUPYTER_WIDTH = 100
_MISSING = object()
_CODE_FORMAT = (
    '<pre style="white-space:pre;overflow-x:auto;line-height:normal;'
    "font-family:Menlo,'DejaVu Sans Mono',consolas,'Courier New',monospace\">{code}</pre>"
)


def load_ipython_extension(ipython: Any) -> None:
    hook.install()
    if hook.installed():  # KTEXPLAIN=0 leaves everything alone
        attach(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    detach(ipython)
    hook.uninstall()


def attach(shell: Any) -> None:
    state = hook._state
    if state is None:
        return
    state.display, state.detach = display_reports, detach
    current = shell.__dict__.get(ATTRIBUTE, _MISSING)
    if getattr(current, "__ktexplain__", False):
        if shell not in state.shells:
            state.shells.append(shell)
        return
    original = getattr(shell, ATTRIBUTE)

    def showtraceback(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if hook._state is state and state.active and not _exception_only(args, kwargs):
            exc = _current_exception(shell, args, kwargs)
            if exc is not None and isinstance(exc, Exception):
                hook.explain_uncaught(exc)
        return result

    showtraceback.__ktexplain__ = True  # type: ignore[attr-defined]
    showtraceback.__ktexplain_previous__ = current  # type: ignore[attr-defined]
    showtraceback.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(shell, ATTRIBUTE, showtraceback)
    state.shells.append(shell)


def detach(shell: Any) -> None:
    state = hook._state
    if state is not None and shell in state.shells:
        state.shells.remove(shell)
    current = shell.__dict__.get(ATTRIBUTE, _MISSING)
    if not getattr(current, "__ktexplain__", False):
        return  # not ours, or someone wrapped over ours (which then passes through, inactive)
    previous = current.__ktexplain_previous__
    if previous is _MISSING:
        delattr(shell, ATTRIBUTE)
    else:
        setattr(shell, ATTRIBUTE, previous)


def _exception_only(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """`showtraceback(exception_only=True)` is IPython's way to show usage errors, not crashes."""
    if "exception_only" in kwargs:
        return bool(kwargs["exception_only"])
    return len(args) >= 4 and bool(args[3])


def _current_exception(shell: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    exc_tuple = args[0] if args else kwargs.get("exc_tuple")
    try:
        _, value, _ = shell._get_exc_info(exc_tuple)
        return value
    except Exception:
        import sys

        return getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)


def display_reports(
    reports: Sequence[Report],
    compact: bool = False,
    header: str | None = None,
    problems: Sequence[object] = (),
) -> None:
    """Show reports in a notebook cell: rich HTML, with plain text for other frontends."""
    from IPython.display import display

    from ktexplain import render

    console = render.make_console(io.StringIO(), color=True, width=JUPYTER_WIDTH)
    console.record = True
    render.render_reports(reports, compact=compact, console=console, header=header)
    for problem in problems[:1]:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        console.print(f"ktexplain: pattern file skipped: {problem}{more}")
    text = console.export_text(clear=False)
    html = console.export_html(inline_styles=True, code_format=_CODE_FORMAT)
    display({"text/plain": text, "text/html": html}, raw=True)  # type: ignore[no-untyped-call]
