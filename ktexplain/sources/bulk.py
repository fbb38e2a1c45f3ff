"""Reading a block of raw bytes, with the shortcuts that make a week-long log cheap.

`BulkReading` is the part of `TextReader` that takes blocks of bytes instead of lines. The first
`LOOSE_INPUT` lines are read one by one; after that, while nothing is half-read, the lines
nothing acts on are skimmed over (`skim`), a traceback already read is replayed (`episodes`),
and the rows of a trial table or a trial summary are read a run at a time. Each shortcut does
exactly what reading every line would do, which the test suite checks on every captured run and
on hypothesis-generated mixes of them (``tests/test_skim.py``, ``tests/test_text.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, cast

from ktexplain.sources.skim import Skimmer
from ktexplain.sources.trials import SUMMARY_VALUE, Summary

if TYPE_CHECKING:
    from ktexplain.sources import episodes
    from ktexplain.sources.renderings import Chain
    from ktexplain.sources.text import TextReader
    from ktexplain.sources.tracebacks import _Block
    from ktexplain.sources.trials import Pending, TrialFacts

LOOSE_INPUT = 5000  # inputs longer than this are logs: their loose text is not read as messages


# Runs of lines that can only be summary values (`TextReader._rows`).
SUMMARY_ROWS = re.compile(rb"(?:[ \t]*[^\s:][^:\n]*: [^\n]*\n)*")


class BulkReading:
    """Mixed into `TextReader`, which sets these and reads each line (`feed`)."""

    TRIGGERS: tuple[str, ...]  # what any part of the reader acts on, when idle
    line_number: int
    skipped_lines: int
    blocks_read: int
    current_trial: TrialFacts | None
    renderings: Chain
    in_table: bool
    summary: Summary | None
    block: _Block | None
    chain: Pending | None
    awaiting_chain: bool
    expect_objective: bool
    expect_embedded: int | None
    abort: list[str] | None
    _skim: Skimmer | None
    _episodes: episodes.Episodes | None

    def feed(self, raw: str) -> None:
        raise NotImplementedError

    def _idle(self) -> bool:
        raise NotImplementedError

    def _table_row(self, line: str) -> None:
        raise NotImplementedError

    def _note_loss(self, value: bytes, line: int) -> None:
        raise NotImplementedError

    def feed_text(self, text: str, bulk_after: int = LOOSE_INPUT) -> None:
        """A block of whole lines (``\n``-separated), skimmed as `feed_bytes` does."""
        self.feed_bytes(text.encode("utf-8", "surrogatepass"), bulk_after, "surrogatepass")

    def feed_bytes(
        self,
        data: bytes,
        bulk_after: int = LOOSE_INPUT,
        errors: str = "strict",
        undecodable: Callable[[bytes, int], Iterable[str]] | None = None,
        start: int = 0,
        end: int | None = None,
    ) -> None:
        """A block of whole lines of raw bytes, ``data[start:end]`` (the bytes around them are
        never looked at: a block read from a file is not copied to cut it at a line's end).
        While the reader is idle, the lines before the next one anything could act on are
        skipped in bulk, never decoded: counted, and their first and last loss noted (see
        `skim`). The first `bulk_after` lines are read one by one (a short input's loose text
        may be a pasted message). A line that is not valid UTF-8 goes to `undecodable` (the
        line and its offset in `data`; it returns the text lines to read instead), or is
        decoded with `errors`."""

        def feed_one(pos: int) -> int:
            stop = data.find(b"\n", pos, size)
            stop = size if stop < 0 else stop + 1
            raw = data[pos : stop - 1] if data[stop - 1 : stop] == b"\n" else data[pos:stop]
            try:
                self.feed(raw.decode("utf-8", errors))
            except UnicodeDecodeError:
                if undecodable is None:
                    self.feed(raw.decode("utf-8", "replace"))
                else:
                    for piece in undecodable(raw, pos):
                        self.feed(piece)
            return stop

        pos, size = start, len(data) if end is None else end
        while pos < size and self.line_number < bulk_after:
            pos = feed_one(pos)  # a short input is read line by line, and loads no shortcut
        if pos >= size:
            return
        from ktexplain.sources import tunerblocks
        from ktexplain.sources.episodes import Episodes, fresh

        skimmer = self._skimmer()
        reader = cast("TextReader", self)  # episodes read the whole reader
        episodes = self._episodes
        if episodes is None:
            episodes = self._episodes = Episodes()
        while pos < size:
            if self._idle():
                losses: list[tuple[bytes, int]] | None = None if self.current_trial is None else []
                stop, lines = skimmer.skim(data, pos, losses, size)
                if stop > pos:
                    self._skipped(lines, losses)
                    pos = stop
                    if pos == size:
                        break
                block = tunerblocks.read(reader, data, pos, skimmer, size)  # keras-tuner's?
                if block > pos:
                    self.blocks_read += 1  # its rows, if it has any, are read next (`_rows`)
                    pos = block
                else:
                    pos = feed_one(pos)
                continue
            if self.block is not None and fresh(reader):
                pos = episodes.read(reader, data, pos, feed_one, size)  # read before?
                continue
            if self._in_rows():
                rows = self._rows(data, pos, skimmer, size)
                if rows > pos:
                    pos = tunerblocks.blank_after_rows(reader, data, rows, skimmer, size)
                    continue
            pos = feed_one(pos)

    @property
    def replayed(self) -> int:
        """Tracebacks replayed from `episodes` rather than read line by line."""
        return 0 if self._episodes is None else self._episodes.replayed

    def _in_rows(self) -> bool:
        """In a table or a summary's values, and in nothing else."""
        return (
            (self.in_table or (self.summary is not None and self.summary.reading_values))
            and self.block is None
            and self.chain is None
            and not self.awaiting_chain
            and not self.expect_objective
            and self.expect_embedded is None
            and self.abort is None
            and self.renderings.idle
        )

    def _rows(self, data: bytes, pos: int, skimmer: Skimmer, size: int) -> int:
        """The rows of a trial's table, or the values of a ``Trial … summary``, from `pos`,
        read at once as `feed` would read them one by one, when they are plain: nothing any
        other part of the reader acts on, no loss, no ANSI code, no ``\\r``. Returns where
        reading goes on (`pos` when nothing was read)."""
        if self.in_table:
            end = _table_rows(data, pos, size)
        else:
            found = SUMMARY_ROWS.match(data, pos, size)
            end = pos if found is None else found.end()
        if end == pos:
            return pos
        chunk = data[pos:end]
        if not skimmer.plain(chunk):
            return pos
        try:
            lines = chunk.decode("utf-8").split("\n")[:-1]
        except UnicodeDecodeError:
            return pos
        if self.in_table:
            for line in lines:
                self._table_row(line)
            self.line_number += len(lines)
            return end
        summary = self.summary
        assert summary is not None
        for index, line in enumerate(lines):
            value = SUMMARY_VALUE.match(line.strip())
            if value is None:  # read as usual from here
                self.line_number += index
                return pos + sum(len(done.encode("utf-8")) + 1 for done in lines[:index])
            summary.note(value.group("name"), value.group("value"))
        self.line_number += len(lines)
        return end

    def _skimmer(self) -> Skimmer:
        if self._skim is None:
            chain = self.renderings
            self._skim = Skimmer(
                [*self.TRIGGERS, *chain.contains], chain.starts, chain.ends, chain.contains
            )
        return self._skim

    def _skipped(self, lines: int, losses: list[tuple[bytes, int]] | None) -> None:
        """`lines` lines skimmed over, with their losses (value, index of the line among
        them), noted as `feed` notes them."""
        base = self.line_number
        for value, index in losses or ():
            self._note_loss(value, base + index + 1)
        self.skipped_lines += lines
        self.line_number = base + lines


def _table_rows(data: bytes, pos: int, size: int) -> int:
    """The end of the run of whole lines from `pos` that hold a ``|``: a table's rows."""
    while True:
        eol = data.find(b"\n", pos, size)
        if eol < 0 or data.find(b"|", pos, eol) < 0:
            return pos
        pos = eol + 1
