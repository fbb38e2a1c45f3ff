"""keras-tuner 1.0–1.1's own lines → exception lines.

keras-tuner 1.0 / 1.0.1 (``kerastuner/engine/hypermodel.py``, ``KerasHyperModel.build``) and
1.1 (``keras_tuner/engine/tuner.py``, ``Tuner._build_model``) build a model up to six times
(``_max_fail_streak`` / ``MAX_FAIL_STREAK`` = 5). A build that raises is swallowed (its traceback
printed only in DEBUG mode) and announced; a model over ``max_model_size`` is skipped; the sixth
failure raises::

    [Warning] Invalid model 0/5                      1.0: display.warning('Invalid model %s/%s')
    Invalid model 5/5                                1.1: print("Invalid model %s/%s")
    RuntimeError: Too many failed attempts to build model.
    [Warning] Oversized model: 180376 parameters -- skipping
    RuntimeError: Too many consecutive oversized models.

The reader needs an exception line. ``Too many …`` printed without its type (a paste, a cut
log) gets ``RuntimeError:`` back. ``Invalid model 5/5`` means that RuntimeError was raised: it is
emitted when no traceback or ``Too many`` line follows. A run of oversized models becomes one
``RuntimeError: Oversized model: N parameters -- skipping``, the text keras-tuner printed, typed
as the error the run leads to.
"""

from __future__ import annotations

from collections.abc import Sequence

from ktexplain.lazyre import lazy

FIRST_WORDS = ("[Warning] ", "Invalid model ", "Oversized model: ", "Too many ")
WARNING_PREFIX = "[Warning] "
INVALID = lazy(r"^Invalid model (?P<attempt>\d+)/(?P<limit>\d+)\s*$")
OVERSIZED = lazy(r"^Oversized model: (?P<size>\d+) parameters\b.*$")
TOO_MANY = lazy(r"^Too many (?:failed attempts to build model|consecutive oversized models)\.\s*$")
TOO_MANY_BUILDS = "RuntimeError: Too many failed attempts to build model."


class OldTuner:
    starts: tuple[str, ...] = FIRST_WORDS
    contains: tuple[str, ...] = ()
    ends: tuple[str, ...] = ()

    def __init__(self) -> None:
        # An exception line that the next lines may make redundant: ``Invalid model 5/5`` (the
        # RuntimeError is raised next) or a run of oversized models (which may end in one).
        self.held: str | None = None
        self.oversized = False

    @property
    def busy(self) -> bool:
        return self.held is not None

    def feed(self, line: str) -> Sequence[str]:
        if not line.startswith(FIRST_WORDS):
            if self.held is None or not line.strip():
                return (line,)
            held, self.held = self.held, None
            self.oversized = False
            if "Traceback (most recent call last)" in line or "Too many " in line:
                return (line,)  # keras-tuner's RuntimeError follows, with its traceback
            return (held, "", line)
        text = line[len(WARNING_PREFIX) :] if line.startswith(WARNING_PREFIX) else line
        text = text.rstrip()
        if TOO_MANY.match(text):
            self.held, self.oversized = None, False
            return (f"RuntimeError: {text}", "")
        if invalid := INVALID.match(text):
            self.oversized = False
            last = invalid.group("attempt") == invalid.group("limit")
            self.held = TOO_MANY_BUILDS if last else None
            return (line,)
        if OVERSIZED.match(text):
            if not self.oversized:
                self.oversized = True
                self.held = f"RuntimeError: {text}"
            return (line,)
        return (line,)

    def close(self) -> Sequence[str]:
        held, self.held = self.held, None
        return (held, "") if held is not None else ()
