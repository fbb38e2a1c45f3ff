"""Reading a Python traceback line by line: frames, the exception line, its message, chains.

`TracebackReading` is the part of `TextReader` that holds a traceback while it is read
(`_Block`) and the chain it belongs to (`Pending`), and closes the chain into a failure when a
line that cannot continue it arrives. keras-tuner's ``Number of consecutive failures exceeded the
limit`` wrapper is recognised here: the traceback printed inside its message is the last trial's.
"""

from __future__ import annotations

import re
from typing import Any

from ktexplain.failure import ExceptionRecord, Frame
from ktexplain.sources.trials import Pending, Summary, TrialFacts

TRACEBACK = "Traceback (most recent call last):"
CHAIN_SEPARATORS = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)

FRAME = re.compile(r'^\s*File "(?P<file>[^"]*)", line (?P<line>\d+)(?:, in (?P<func>.*))?$')
MARKERS = re.compile(r"^\s*[\^~]+[\s\^~]*$")
EXCEPTION_LINE = re.compile(r"^(?P<type>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?::(?: (?P<msg>.*))?)?$")

LIMIT = re.compile(r"Number of consecutive failures exceeded the limit of (\d+)\.")

# Lines that end an exception message: structure printed by keras-tuner, Keras, TF or Python.
BOUNDARIES = re.compile(
    r"^(?:"
    r"Traceback \(most recent call last\):"
    r"|During handling of the above exception"
    r"|The above exception was the direct cause"
    r"|Search: Running Trial #\d+"
    r"|Trial \d+ Complete \["
    r"|Trial \w+ failed \d+ times?\."
    r"|Value\s*\|Best Value So Far"
    r"|Best \S+ So Far: "
    r"|Total elapsed time: "
    r"|Epoch \d+/\d+\s*$"
    r"|\s*\d+/\d+ (?:━|\[)"
    r"|[IWEF]\d{4} \d\d:\d\d:\d\d"
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] "
    r"|WARNING: All log messages before absl"
    r"|\S+\.py:\d+: \w*Warning: "
    r"|Search space summary$"
    r"|Results summary$"
    r"|Trial \w+ summary$"
    r"|Hyperparameters:$"
    r"|Score: \S+$"
    r"|(?:WARNING|INFO|ERROR|DEBUG|CRITICAL):[\w.]+:"
    r"|Reloading Tuner from "
    r"|Oracle triggered exit"
    r")"
)


class _Block:
    """A traceback being read: frames, then an exception line and its message."""

    __slots__ = ("frames", "message", "text", "type")

    def __init__(self, text: list[str]) -> None:
        self.frames: list[list[Any]] = []  # [file, line, function, code]
        self.type: str | None = None
        self.message: list[str] = []
        self.text = text


class TracebackReading:
    """Mixed into `TextReader`, which sets these in its ``__init__``."""

    block: _Block | None
    chain: Pending | None
    awaiting_chain: bool
    separator_seen: bool
    current_trial: TrialFacts | None
    summary: Summary | None
    expect_embedded: int | None
    limit: int | None
    line_number: int
    loose_open: bool
    failures: list[tuple[Pending, int]]
    _shared: dict[Any, Any]

    def open_summary(self) -> Summary | None:
        """The ``Trial … summary`` a traceback starting now is part of: keras-tuner prints a
        failed trial's traceback right after its values. Once anything else came between, a
        traceback belongs to the trial running, not to a summary printed earlier."""
        summary = self.summary
        return summary if summary is not None and summary.reading_values else None

    def _start_block(self, keep_chain: bool) -> None:
        self.loose_open = False
        number = self.current_trial.number if self.current_trial else None
        if not keep_chain or self.chain is None:
            self.chain = Pending(line=self.line_number, trial_number=number)
            if self.expect_embedded is not None:
                self.chain.embedded_in_limit = self.expect_embedded
                self.expect_embedded = None
            self.chain.summary = self.open_summary()
            if self.chain.summary is not None:
                # The traceback is the last thing of a trial's summary: what follows it is not
                # that trial's values.
                self.chain.summary.reading_values = False
        self.block = _Block(text=[TRACEBACK])

    def _feed_block(self, line: str) -> bool:
        """Return True when the line was consumed by the traceback being read."""
        block = self.block
        assert block is not None
        if block.type is None:
            frame = FRAME.match(line)
            if frame:
                block.frames.append(
                    [frame.group("file"), int(frame.group("line")), frame.group("func") or "", None]
                )
                block.text.append(line)
                return True
            if not line.strip() or MARKERS.match(line):
                block.text.append(line)
                return True
            if line.startswith((" ", "\t")):
                if block.frames and block.frames[-1][3] is None:
                    block.frames[-1][3] = line.strip()
                block.text.append(line)
                return True
            if line.strip().startswith("[Previous line repeated"):
                block.text.append(line)
                return True
            if line.startswith(TRACEBACK):
                self._finish_block(None, "")
                return False
            if BOUNDARIES.match(line):
                return True  # another stream's line landed between two frames
            found = EXCEPTION_LINE.match(line)
            if not found:
                # Not a traceback after all (or cut short): keep what we have and move on.
                self._finish_block(None, "")
                return False
            block.type = found.group("type")
            block.message = [found.group("msg") or ""]
            block.text.append(line)
            return True
        if BOUNDARIES.match(line):
            self._end_exception()
            return False
        block.message.append(line)
        block.text.append(line)
        return True

    def _end_exception(self) -> None:
        block = self.block
        assert block is not None
        while block.message and not block.message[-1].strip():
            block.message.pop()
        while block.text and not block.text[-1].strip():
            block.text.pop()
        self._finish_block(block.type, "\n".join(block.message))

    def _finish_block(self, type_name: str | None, message: str) -> None:
        block, chain = self.block, self.chain
        self.block = None
        if chain is None or block is None:
            return
        if type_name is None:
            return
        limit = LIMIT.search(message)
        if type_name == "RuntimeError" and limit:
            # keras-tuner's wrapper: the last trial's traceback follows as text.
            self.limit = int(limit.group(1))
            self.expect_embedded = self.limit
            self.chain = None
            return
        frames = tuple(self._shared.setdefault(f, f) for f in map(tuple, block.frames))
        record = ExceptionRecord(type_name, message, tuple(Frame(*f) for f in frames))
        # A search repeats the same failure trial after trial: keep one copy of each.
        chain.records.append(self._shared.setdefault(record, record))
        chain.text.extend(block.text)
        self.awaiting_chain = True

    def _close_chain(self) -> None:
        self.awaiting_chain = self.separator_seen = False
        chain = self.chain
        self.chain = None
        if chain is not None and chain.records:
            # One shared string instead of a list of lines: a long run repeats the same traceback.
            chain.text = [self._share("\n".join(chain.text))]
            self.failures.append((chain, len(self.failures)))

    def _share(self, text: str) -> str:
        shared: str = self._shared.setdefault(text, text)
        return shared
