"""IPython, Jupyter and Colab tracebacks → Python's plain rendering.

IPython prints a traceback its own way, and the way changed in IPython 8::

    ---------------------------------------------------------------------------
    ValueError                                Traceback (most recent call last)
    <ipython-input-3-b5da…> in <cell line: 1>()                 IPython 7 / Colab
    ----> 1 model = build_model(0)
    /usr/local/lib/python3.10/dist-packages/x.py in func(self, a)
    5 frames                                                     Colab's collapse marker
    Cell In[3], line 1                                           IPython 8+
    File /path/x.py:118, in Conv2D.__init__(self, filters, …)
         98 def __init__(                                        context lines: dropped
    --> 118     super().__init__(                                the frame's own line
    ValueError: message

Each frame becomes ``  File "…", line N, in func`` with the arrow line's code under it; the
header becomes ``Traceback (most recent call last):``; the exception line and its message,
chain separators and everything outside a traceback pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

from ktexplain.lazyre import lazy

HEADER_TEXT = "Traceback (most recent call last)"
HEADER = lazy(r"^[A-Za-z_][\w.]*\s+Traceback \(most recent call last\)\s*$")
RULE_PREFIX = "-----"
# IPython 8+: ``Cell In[3], line 1`` (``, in f(args)`` when inside a function), IPython 8.0–8.5:
# ``Input In [3], in <cell line: 1>()``, and ``File /path/x.py:22, in func(args)``.
CELL_FRAME = lazy(
    r"^(?:Cell In ?\[(?P<cell>\d+)\], line (?P<line>\d+)|Input In ?\[(?P<input>\d+)\])"
    r"(?:, in (?P<func>.+))?$"
)
FILE_FRAME = lazy(r"^File (?P<file>.+?)(?::(?P<line>\d+))?(?:, in (?P<func>.+))?$")
# IPython 7: ``<ipython-input-3-…> in <module>()`` or ``/path/x.py in func(self, a)``; paths may
# start with ``~``, a drive letter, and hold spaces.
OLD_FRAME = lazy(
    r"^(?P<file><[^>]+>|(?:[A-Za-z]:)?[~/\\.].*?) in (?P<func><[^>]*>|[\w.]+)(?:\(.*)?$"
)
ARROW = lazy(r"^-*> ?\s*(?P<line>\d+)(?: (?P<code>.*))?$")
COLLAPSED = lazy(r"^(?:\d+ frames?|\[\.\.\. skipping .*\])$")
EXCEPTION = lazy(r"^[A-Za-z_][\w.]*(?::.*)?$")


def _function(text: str | None) -> str:
    """``Conv2D.__init__(self, …)`` → ``__init__``: the name Python's own traceback prints."""
    if not text:
        return "<module>"
    text = text.strip()
    if text.startswith("<"):
        return text[: text.index(">") + 1] if ">" in text else text
    name = text.split("(", 1)[0].strip()
    return name.rsplit(".", 1)[-1] or "<module>"


class IPythonTraceback:
    """Reads IPython's tracebacks; a line outside one passes with two cheap tests."""

    starts: tuple[str, ...] = (RULE_PREFIX,)
    contains: tuple[str, ...] = (HEADER_TEXT,)
    ends: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.in_frames = False
        self.held_rule: str | None = None
        self.frame: list[str | None] | None = None  # file, line, function, code

    @property
    def busy(self) -> bool:
        return self.in_frames or self.held_rule is not None

    def feed(self, line: str) -> Sequence[str]:
        if self.held_rule is not None:
            rule, self.held_rule = self.held_rule, None
            if HEADER.match(line):
                return self._start()
            return (rule, *self.feed(line))
        if self.in_frames:
            return self._frames(line)
        if line.startswith(RULE_PREFIX) and not line.strip("-"):
            self.held_rule = line
            return ()
        if HEADER_TEXT in line and HEADER.match(line):
            return self._start()
        return (line,)

    def close(self) -> Sequence[str]:
        out = self._flush()
        if self.held_rule is not None:
            out.append(self.held_rule)
            self.held_rule = None
        self.in_frames = False
        return out

    def _start(self) -> Sequence[str]:
        out = self._flush()
        self.in_frames = True
        out.append(f"{HEADER_TEXT}:")
        return out

    def _flush(self) -> list[str]:
        frame, self.frame = self.frame, None
        if frame is None or frame[1] is None:
            return []  # no line number shown (a frame cut with "(...)"): nothing to place
        out = [f'  File "{frame[0]}", line {frame[1]}, in {frame[2]}']
        if frame[3]:
            out.append(f"    {frame[3]}")
        return out

    def _frames(self, line: str) -> Sequence[str]:
        if not line or line[0].isspace():
            return ()  # numbered context lines and blank lines between frames
        if line[0] == "-" or line[0] == ">":
            arrow = ARROW.match(line)
            if arrow:
                if self.frame is not None:
                    if self.frame[1] is None:
                        self.frame[1] = arrow.group("line")
                    if self.frame[3] is None:
                        self.frame[3] = (arrow.group("code") or "").strip() or None
                return ()
            if not line.strip("-"):
                self.in_frames = False  # the next traceback's rule: the exception was cut
                out = self._flush()
                self.held_rule = line
                return out
        if cell := CELL_FRAME.match(line):
            out = self._flush()
            number = cell.group("cell") or cell.group("input")
            self.frame = [f"<cell In[{number}]>", cell.group("line"), _function(cell.group("func"))]
            self.frame.append(None)
            return out
        if line.startswith("File ") and (found := FILE_FRAME.match(line)):
            out = self._flush()
            self.frame = [found.group("file"), found.group("line"), _function(found.group("func"))]
            self.frame.append(None)
            return out
        if old := OLD_FRAME.match(line):
            out = self._flush()
            self.frame = [old.group("file"), None, _function(old.group("func")), None]
            return out
        if COLLAPSED.match(line) or line.startswith("(..."):
            return ()
        if EXCEPTION.match(line) or HEADER_TEXT in line:
            out = self._flush()
            self.in_frames = False
            return (*out, *self.feed(line))
        return ()
