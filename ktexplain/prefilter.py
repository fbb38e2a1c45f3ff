"""The shipped regexes' shortcut: compile on first use, and skip the search when the text lacks
a phrase every match must contain.

Explaining one traceback searches ~370 regexes; compiling them all costs more than the rest of
the work, and nearly all of them can be ruled out by a plain substring test.

A shipped regex is compiled with the standard library's `re` when `re` accepts it (all but a
few that reuse a group name in two alternatives), so that explaining a traceback need not load
the `regex` module at all: the shipped patterns are the project's own, checked by the test suite
to match exactly as with `regex` and to stay linear on adversarial text
(``tests/test_patterns.py``). A user's patterns keep `regex` and its timeout.
"""

from __future__ import annotations

import re
from typing import Any


class LazyRegex:
    """A shipped regex, compiled the first time it is searched (compiling ~350 `regex`
    patterns costs more than the rest of explaining a traceback), and not even then when the
    text lacks a phrase every match must contain (`required_literal`)."""

    __slots__ = ("_compiled", "_literal", "pattern")

    def __init__(self, source: str, literal: str | bool | None = False) -> None:
        self.pattern = source
        self._literal = literal  # False: not worked out yet (a cached database brings it)
        self._compiled: Any = None

    @property
    def literal(self) -> str | None:
        if self._literal is False:
            self._literal = required_literal(self.pattern)
        return self._literal  # type: ignore[return-value]

    def search(self, text: str, timeout: float | None = None) -> Any:
        literal = self.literal
        if literal is not None and literal not in text:
            return None
        if self._compiled is None:
            self._compiled = compile_shipped(self.pattern)
        if isinstance(self._compiled, re.Pattern):
            return self._compiled.search(text)
        return self._compiled.search(text, timeout=timeout)


def compile_shipped(source: str) -> Any:
    """`re` when it accepts the pattern, else `regex`."""
    try:
        return re.compile(source)
    except re.error:
        import regex

        return regex.compile(source)


_LITERAL_ESCAPES = frozenset(".^$*+?()[]{}|\\/-'\"`:=,<>!#%&@~;_ ")
_MIN_LITERAL = 6


def required_literal(source: str) -> str | None:
    """The longest run of plain text that every match of `source` contains, or None.

    Conservative by construction: only text at the top level of the expression counts (nothing
    inside a group, a class or an alternation), a character followed by a quantifier is cut, and
    a top-level ``|`` or an inline flag means no literal at all. A wrong answer would hide a match,
    so anything unusual gives None; the test suite checks every example with and without it."""
    flags = re.match(r"\(\?([a-zA-Z]+)\)", source)
    if flags is not None:
        if set(flags.group(1)) - set("sm"):
            return None  # (?i), (?x)...: the text is not compared as written
        source = source[flags.end() :]  # (?s), (?m) change no literal
    if source.startswith("(?") and not source.startswith(("(?:", "(?P", "(?=", "(?!", "(?<")):
        return None  # other inline flags
    runs: list[str] = []
    run: list[str] = []
    depth = 0
    i = 0
    n = len(source)

    def cut() -> None:
        if run:
            runs.append("".join(run))
            run.clear()

    while i < n:
        char = source[i]
        if char == "\\" and i + 1 < n:
            escaped = source[i + 1]
            if depth == 0 and escaped in _LITERAL_ESCAPES:
                literal: str | None = escaped
            else:
                literal = None
            i += 2
        elif char == "[":
            # A character class: skip to its closing bracket (a ] first in the class is literal).
            j = i + 1
            if j < n and source[j] == "^":
                j += 1
            if j < n and source[j] == "]":
                j += 1
            while j < n and source[j] != "]":
                j += 2 if source[j] == "\\" else 1
            i = j + 1
            literal = None
        elif char == "(":
            depth += 1
            i += 1
            literal = None
        elif char == ")":
            depth -= 1
            i += 1
            literal = None
        elif char == "|":
            if depth == 0:
                return None
            i += 1
            literal = None
        elif char in ".^$":
            i += 1
            literal = None
        elif char in "*+?{":
            # A quantifier: the character before it may be absent or repeated.
            if run:
                run.pop()
            cut()
            if char == "{":
                close = source.find("}", i)
                i = n if close < 0 else close + 1
            else:
                i += 1
            if i < n and source[i] in "?+":
                i += 1
            continue
        else:
            literal = char if depth == 0 else None
            i += 1
        if literal is None:
            cut()
        else:
            # A literal followed by a quantifier is handled when the quantifier is read.
            run.append(literal)
    cut()
    best = max(runs, key=len, default="")
    return best if len(best) >= _MIN_LITERAL else None
