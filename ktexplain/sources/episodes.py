"""Tracebacks a log repeats, read once.

A failing search prints the same traceback again and again: one per failed trial (keras-tuner
retries a trial, then moves on to the next, which fails the same way), and once more inside the
``Number of consecutive failures exceeded the limit`` message. Reading a traceback line by line
is most of the cost of a long log; checking that the bytes at hand are a traceback already read
is one comparison.

An *episode* is what the reader does from the line after a traceback's first line (however
that line came: alone, after the codes that clear a progress bar, or glued to one) until the
line that closes its chain. That line is not part of it, and is read as usual afterwards. An
episode is kept only when reading it touched nothing but the chain (no loss, no rendering, no
warning, no trial fact), so that replaying it -- the same records and text, for the trial and
summary the traceback began in -- is exactly what reading it again would do. It is replayed only
when the bytes are the same *and* the next line closes the chain the same way; otherwise the
traceback is read as usual. The test suite checks on every captured run that reading with
episodes gives exactly what reading line by line gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from ktexplain.failure import ExceptionRecord
from ktexplain.record import Record, set_field
from ktexplain.sources.terminal import clean_line
from ktexplain.sources.text import TF_WARNING_PREFIX
from ktexplain.sources.tracebacks import BOUNDARIES, CHAIN_SEPARATORS, TRACEBACK
from ktexplain.sources.trials import Pending

if TYPE_CHECKING:
    from ktexplain.sources.text import TextReader

KEY = 200  # bytes an episode is looked up by when its frames do not end soon
MAX_KEY = 1 << 16
# The end of a traceback's frames: the first line that is not indented.
_FRAMES_END = re.compile(rb"\n(?=[^ \t\n])")
MAX_BYTES = 16 << 20  # episodes kept: a bound on memory, never on correctness
MAX_PER_KEY = 32


class Episode(Record):
    __slots__ = (
        "text",
        "lines",
        "records",
        "shown",
        "limit",
        "embedded",
        "in_message",
        "separator_seen",
    )
    text: bytes  # from the line after the traceback's first to the closing line, excluded
    lines: int
    records: tuple[ExceptionRecord, ...]
    shown: str  # the chain's text, shared
    # keras-tuner's limit RuntimeError: the failure is the traceback printed inside it
    limit: int | None
    embedded: int | None  # that traceback's first line, from the episode's start
    in_message: bool  # the chain was in an exception's message when the closing line came
    separator_seen: bool

    def __init__(
        self,
        text: bytes,
        lines: int,
        records: tuple[ExceptionRecord, ...],
        shown: str,
        limit: int | None,
        embedded: int | None,
        in_message: bool,
        separator_seen: bool,
    ) -> None:
        set_field(self, "text", text)
        set_field(self, "lines", lines)
        set_field(self, "records", records)
        set_field(self, "shown", shown)
        set_field(self, "limit", limit)
        set_field(self, "embedded", embedded)
        set_field(self, "in_message", in_message)
        set_field(self, "separator_seen", separator_seen)


class Episodes:
    def __init__(self) -> None:
        self.known: dict[bytes, list[Episode]] = {}
        self.stored = 0
        self.replayed = 0

    def read(
        self,
        reader: TextReader,
        data: bytes,
        pos: int,
        feed_one: Callable[[int], int],
        size: int | None = None,
    ) -> int:
        """The reader has just read a traceback's first line (`fresh`); read the rest from
        `pos`: replayed when it is an episode already read, else line by line (`feed_one(pos)`
        feeds the line at `pos` and returns where the next starts) and kept when it can be.
        Returns where reading goes on. Nothing at or after `size` (by default ``len(data)``)
        is read."""
        size = len(data) if size is None else size
        key = _key(data, pos, size)
        for episode in self.known.get(key, ()):
            end = pos + len(episode.text)
            if data.startswith(episode.text, pos, size) and _closes(
                episode, reader, data, end, size
            ):
                self._replay(reader, episode)
                return end
        return self._record(reader, data, pos, feed_one, key, size)

    def _replay(self, reader: TextReader, episode: Episode) -> None:
        chain = reader.chain
        assert chain is not None
        if episode.limit is not None:
            # The traceback read was the limit RuntimeError: the failure is the one inside it.
            reader.limit = episode.limit
            trial = reader.current_trial
            chain = Pending(
                line=reader.line_number + (episode.embedded or 0),
                trial_number=trial.number if trial is not None else None,
                embedded_in_limit=episode.limit,
                summary=reader.open_summary(),
            )
        chain.records.extend(episode.records)
        chain.text = [episode.shown]
        reader.failures.append((chain, len(reader.failures)))
        reader.block = reader.chain = None
        reader.awaiting_chain = reader.separator_seen = False
        reader.line_number += episode.lines
        self.replayed += 1

    def _record(
        self,
        reader: TextReader,
        data: bytes,
        pos: int,
        feed_one: Callable[[int], int],
        key: bytes,
        size: int,
    ) -> int:
        failures, first_line, limit = len(reader.failures), reader.line_number, reader.limit
        first_chain = reader.chain
        reader.passthrough = True
        at = pos
        while at < size:
            line_start, lines_before = at, reader.line_number
            block = reader.block
            in_message = block is not None and block.type is not None
            awaiting = block is None and reader.awaiting_chain
            separator_seen, untouched = reader.separator_seen, reader.passthrough
            at = feed_one(at)
            if len(reader.failures) > failures:
                # A chain closed on the line at `line_start`: kept if it is all that happened.
                (pending, _), *others = reader.failures[failures:]
                own = pending is first_chain and reader.limit == limit
                # ... or the traceback was keras-tuner's limit RuntimeError (which sets the
                # limit, perhaps to what it was) and the failure is the one printed inside it
                embedded = (
                    pending is not first_chain
                    and pending.embedded_in_limit is not None
                    and reader.limit == pending.embedded_in_limit
                )
                if (
                    not others
                    and (own or embedded)
                    and (in_message or awaiting)
                    and untouched
                    and pending.records
                    and len(pending.text) == 1
                    and not pending.warning
                    and b"loss: " not in data[pos:line_start]  # a loss would have been noted
                ):
                    episode = Episode(
                        text=data[pos:line_start],
                        lines=lines_before - first_line,
                        records=tuple(pending.records),
                        shown=pending.text[0],
                        limit=reader.limit if embedded else None,
                        embedded=pending.line - first_line if embedded else None,
                        in_message=in_message,
                        separator_seen=separator_seen,
                    )
                    # Kept only if the line that closed it closes it cleanly, as a replay asks
                    # of its next line: a line split first (a traceback glued to a progress bar)
                    # gives its head to the message it closes.
                    if _closes(episode, reader, data, line_start, size):
                        self._keep(key, episode)
                return at
            inside = (
                reader.block is not None
                or reader.awaiting_chain
                # keras-tuner's limit RuntimeError read, its embedded traceback next
                or (reader.chain is None and reader.expect_embedded is not None)
            )
            if not inside or not reader.renderings.idle:
                return at  # not a plain traceback after all: read on as usual
        return at  # the block ended inside it: the next block goes on reading it

    def _keep(self, key: bytes, episode: Episode) -> None:
        if self.stored + len(episode.text) > MAX_BYTES:
            return
        known = self.known.setdefault(key, [])
        if len(known) < MAX_PER_KEY:
            known.append(episode)
            self.stored += len(episode.text)


def fresh(reader: TextReader) -> bool:
    """The reader has read a traceback's first line and nothing else of it."""
    block, chain = reader.block, reader.chain
    return (
        block is not None
        and chain is not None
        and block.type is None
        and not block.frames
        and len(block.text) == 1
        and not chain.records
        and not reader.awaiting_chain
        and reader.renderings.idle
    )


def _key(data: bytes, pos: int, size: int) -> bytes:
    """An episode is looked up by its frames and exception line: a search repeats a few
    tracebacks, while their first frames (keras-tuner's own) are the same for all of them."""
    found = _FRAMES_END.search(data, max(0, pos - 1), min(size, pos + MAX_KEY))
    if found is not None:
        line_end = data.find(b"\n", found.end(), min(size, found.end() + MAX_KEY))
        if line_end >= 0:
            return data[pos:line_end]
    return data[pos : min(size, pos + KEY)]


def _closes(episode: Episode, reader: TextReader, data: bytes, at: int, size: int) -> bool:
    """The line at `at` closes the episode's chain as the one it was read with did, and is
    then read as if nothing had been open: it ends the message (or follows the chain's blank
    lines), it continues no chain, and nothing splits or rewrites it first."""
    if at >= size:
        return False
    end = data.find(b"\n", at, size)
    raw = data[at:size] if end < 0 else data[at:end]
    try:
        line = clean_line(raw.decode("utf-8"))  # what the reader will read of it
    except UnicodeDecodeError:
        return False
    if not line.strip() or line.startswith(CHAIN_SEPARATORS):
        return False
    if TRACEBACK in line:
        return line.startswith(TRACEBACK) and not episode.separator_seen
    if "Warning: " in line or line.find(TF_WARNING_PREFIX) > 0:
        return False  # a warning glued to text is split in two before it is read
    chain = reader.renderings
    if line.startswith(chain.starts) or line.endswith(chain.ends):
        return False
    if any(text in line for text in chain.contains):
        return False
    return BOUNDARIES.match(line) is not None if episode.in_message else True
