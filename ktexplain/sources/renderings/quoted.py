"""Errors quoted in prose → the text inside the quote.

A traceback pasted into an issue, a forum post or a chat arrives wrapped: Markdown quotes
(``> ``, nested ``> > ``), code fences (````` ```python `````), a line in backticks,
``**bold**`` or ``_italic_``, or pytest's ``E   `` prefix. The wrappers go; the text inside reaches
the reader. Only a line that is really wrapped is touched: the backticks of a message's own
``Received: `filters` `` stay.
"""

from __future__ import annotations

from collections.abc import Sequence

from ktexplain.lazyre import lazy

FIRST_CHARACTERS = frozenset(">E`*_~")
FENCE = lazy(r"^(?:```|~~~)[\w+.-]*\s*$")
PYTEST_PREFIX = "E   "
# What a wrapped error starts with: an exception type or a traceback's first line.
ERROR_START = lazy(
    r"^(?:Traceback \(most recent call last\)|[A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit)\b)"
)
TRAILING_UNDERSCORE = lazy(r"[.)\]'\"`]_$")


def unwrap(line: str) -> str | None:
    """The quoted text, or ``None`` for a fence line (dropped)."""
    for _ in range(8):  # wrappers nest: ``> **`ValueError: …`**``
        first = line[:1]
        if first not in FIRST_CHARACTERS:
            return line
        if first == ">":
            if line.startswith(">>>"):
                return line  # Python's prompt, not a quote
            line = line[2:] if line.startswith("> ") else line[1:]
            continue
        if first == "E":
            if not line.startswith(PYTEST_PREFIX):
                return line
            line = line[len(PYTEST_PREFIX) :]
            continue
        if (first == "`" or first == "~") and FENCE.match(line):
            return None
        inner = _inside(line)
        if inner is None:
            return line
        line = inner
    return line


def _inside(line: str) -> str | None:
    """The text inside ``**…**``, ``_…_`` or `` `…` `` wrapping the whole line, else None."""
    for mark in ("**", "`", "_"):
        if len(line) > 2 * len(mark) and line.startswith(mark) and line.endswith(mark):
            inner = line[len(mark) : -len(mark)]
            if inner[:1] in (mark[0], " ") or inner[-1:] in (mark[0], " "):
                continue  # ``` ``x`` ```, ``__init__``: not one wrapper
            if mark in inner and not ERROR_START.match(inner):
                continue  # `` `filters` must be > `0` ``: the message's own marks
            return inner
    if line[:1] == "_" and ERROR_START.match(line[1:]):
        return line[1:]  # an italic opened here and closed lines later
    return None


class Quoted:
    starts: tuple[str, ...] = (">", "E   ", "`", "*", "_", "~")
    contains: tuple[str, ...] = ()
    ends: tuple[str, ...] = ("_",)
    busy = False

    def feed(self, line: str) -> Sequence[str]:
        if line[:1] not in FIRST_CHARACTERS and line[-1:] != "_":
            return (line,)
        inner = unwrap(line)
        if inner is None:
            return ()
        if inner[-1:] == "_" and TRAILING_UNDERSCORE.search(inner):
            inner = inner[:-1]  # ``… Received filters=0._``: an italic's closing mark
        return (inner,)

    def close(self) -> Sequence[str]:
        return ()
