"""ktexplain: explains why a Keras Tuner search failed.

``import ktexplain`` is cheap: it imports neither TensorFlow, Keras, keras-tuner, rich nor regex.
Everything heavy loads when there is something to explain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "explain", "install", "uninstall"]

if TYPE_CHECKING:
    from ktexplain.failure import Report


def install(**options: Any) -> None:
    """Explain uncaught Keras/TensorFlow errors and each failed trial; see `ktexplain.hook`."""
    from ktexplain import hook

    hook.install(**options)


def uninstall() -> None:
    """Restore every hook `install` replaced, exactly as it was."""
    from ktexplain import hook

    hook.uninstall()


def explain(exc: BaseException, patterns: Any = None) -> list[Report]:
    """The reports for an exception you caught yourself (nothing is printed)."""
    from ktexplain import pipeline
    from ktexplain.sources.live import failures_from_exception

    return pipeline.reports(failures_from_exception(exc), pipeline.database(patterns))


def load_ipython_extension(ipython: Any) -> None:
    from ktexplain import ipython as extension

    extension.load_ipython_extension(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from ktexplain import ipython as extension

    extension.unload_ipython_extension(ipython)
