"""ktexplain: explains why a Keras Tuner search failed.

``import ktexplain`` is cheap: it imports neither TensorFlow, Keras, keras-tuner, rich nor regex.
Everything heavy loads when there is something to explain.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `from typing import`: typing costs more than the rest of install()
if TYPE_CHECKING:
    from typing import Any

    from ktexplain.failure import Report
    from ktexplain.livecheck import CheckResult

__version__ = "0.1.0"
__all__ = ["__version__", "check", "explain", "install", "uninstall"]


def install(**options: Any) -> None:
    """Explain uncaught Keras/TensorFlow errors and each failed trial; see `ktexplain.hook`."""
    from ktexplain import hook

    hook.install(**options)
    shell = hook.running_ipython() if hook.installed() else None
    if shell is not None:
        from ktexplain import ipython

        ipython.attach(shell)


def uninstall() -> None:
    """Restore every hook `install` replaced, exactly as it was."""
    from ktexplain import hook

    hook.uninstall()


def explain(exc: BaseException, patterns: Any = None) -> list[Report]:
    """The reports for an exception you caught yourself (nothing is printed)."""
    from ktexplain import pipeline
    from ktexplain.sources.live import failures_from_exception

    return pipeline.reports(failures_from_exception(exc), pipeline.database(patterns))


def check(
    tuner_or_hypermodel: Any, x: Any = None, y: Any = None, max_builds: int = 64, **options: Any
) -> CheckResult:
    """Build (and, given a sample of x/y, train one step) every corner of the search space
    before the search; prints and returns the failing configurations grouped by cause, with the
    narrowest change to the space. See `ktexplain.livecheck`."""
    from ktexplain import livecheck

    return livecheck.check(tuner_or_hypermodel, x, y, max_builds, **options)


def load_ipython_extension(ipython: Any) -> None:
    from ktexplain import ipython as extension

    extension.load_ipython_extension(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from ktexplain import ipython as extension

    extension.unload_ipython_extension(ipython)
