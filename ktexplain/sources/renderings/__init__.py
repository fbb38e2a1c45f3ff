"""Renderings: each way an error reaches us, turned into the plain one the log reader reads.

An error can be printed by Python itself, by IPython / Jupyter / Colab, quoted in a Markdown
paste or a pytest report, logged by TensorFlow's C++ runtime, or announced by an old
keras-tuner. Each rendering has its own small recogniser, like a pygments lexer: a stateful
object fed cleaned lines (ANSI removed, ``\\r`` resolved) that yields lines of Python's plain
rendering (``Traceback (most recent call last):``, ``  File "…", line N, in f``, ``Type: msg``).
The reader then makes the same records whatever the rendering was. A new rendering is a new
module registered here, and its tests.

Logs are hundreds of megabytes, so each recogniser also says, as plain strings, which lines may
begin its rendering (``starts``, ``contains``, ``ends``) and whether it is in the middle of one
(``busy``). While none is busy, `Chain` passes any other line with one ``startswith``, one
``endswith`` and a few ``in`` tests for all of them together, without calling any; a recogniser's
own ``feed`` keeps a cheap fast path too, returning ``(line,)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol


class Recogniser(Protocol):
    starts: tuple[str, ...]  # a line starting with one of these may be this rendering
    contains: tuple[str, ...]  # … or holding one of these
    ends: tuple[str, ...]  # … or ending with one of these

    @property
    def busy(self) -> bool:
        """Inside a rendering, or holding lines back: every line must be fed."""
        ...

    def feed(self, line: str) -> Sequence[str]:
        """The plain lines this cleaned line stands for (often ``(line,)``, maybe none)."""
        ...

    def close(self) -> Sequence[str]:
        """Lines still held back at the end of the input."""
        ...


def builtin() -> list[Callable[[], Recogniser]]:
    """The recognisers in the order they run: a quote is unwrapped before its content is read,
    IPython's frames before TensorFlow's and keras-tuner's lines."""
    from ktexplain.sources.renderings.ipython import IPythonTraceback
    from ktexplain.sources.renderings.oldtuner import OldTuner
    from ktexplain.sources.renderings.quoted import Quoted
    from ktexplain.sources.renderings.tflog import TensorFlowLog

    return [Quoted, IPythonTraceback, TensorFlowLog, OldTuner]


EXTRA: list[Callable[[], Recogniser]] = []


def register(factory: Callable[[], Recogniser]) -> Callable[[], Recogniser]:
    """Add a recogniser after the built-in ones (usable as a class decorator)."""
    EXTRA.append(factory)
    return factory


class Chain:
    """The recognisers in order, each fed what the one before emitted."""

    def __init__(self, factories: Sequence[Callable[[], Recogniser]] | None = None) -> None:
        chosen = [*builtin(), *EXTRA] if factories is None else factories
        self.stages = [factory() for factory in chosen]
        self.starts = tuple(text for stage in self.stages for text in stage.starts)
        self.contains = tuple(text for stage in self.stages for text in stage.contains)
        self.ends = tuple(text for stage in self.stages for text in stage.ends)
        self.idle = True

    def feed(self, line: str) -> Sequence[str]:
        if self.idle and not (line.startswith(self.starts) or line.endswith(self.ends)):
            for text in self.contains:
                if text in line:
                    break
            else:
                return (line,)  # no recogniser can start here: the common case, kept cheap
        lines: Sequence[str] = (line,)
        for stage in self.stages:
            if len(lines) == 1:
                lines = stage.feed(lines[0])
            else:
                lines = [out for each in lines for out in stage.feed(each)]
        self.idle = not any(stage.busy for stage in self.stages)
        return lines

    def close(self) -> list[str]:
        """Flush each stage in order: what one flushes still goes through the later ones."""
        lines: list[str] = []
        for stage in self.stages:
            lines = [*(out for each in lines for out in stage.feed(each)), *stage.close()]
        self.idle = True
        return lines
