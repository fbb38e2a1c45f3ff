"""Skimming a long log: finding, in raw bytes, the lines nothing has to read.

A week-long run's log is mostly Keras progress bars: one line per epoch, rewritten hundreds of
times with ``\\r`` (and ``\\b``), so nearly all its bytes sit in a few very long lines whose only
visible part is the last ``\\r`` segment. What the reader needs from them is the loss, and of the
loss only the first and the last value of each trial (`loss_values`). Everything else -- the
structure keras-tuner prints, tracebacks, warnings, the renderings' own openings -- is found by
a trigger regex that runs only over short lines and over each progress line's last segment.

`Skimmer.skim` returns where the next line starts that the reader must be fed, with the number
of lines before it and their losses: the reader skips those bytes without decoding them. The
test suite checks on every captured run that skimming gives exactly what feeding each line
gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from ktexplain.sources.terminal import ANSI

LOSS = b"loss: "
# The value after ``loss: `` as Keras prints it (``%.4f``, ``%.4e``, nan, inf).
LOSS_VALUE = re.compile(rb"(?i:nan|-?inf)|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_LOSS_AND_VALUE = re.compile(LOSS + b"(" + LOSS_VALUE.pattern + b")")  # starts with a literal
# A byte before ``loss: `` that makes it another metric's name: ``val_loss``, ``kl_loss``,
# ``train/loss``.
_NAME_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_/")
_ANSI_PREFIX = rb"(?:\x1b\[[0-?]*[ -/]*[@-~])*"
_ANSI = re.compile(ANSI.pattern.encode())  # the terminal's ANSI codes, on bytes


def loss_values(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int]]:
    """The training-loss values the reader notes in ``data[start:end]``, with their offsets:
    the first and the last of each line that has any (``val_loss`` and other metrics named
    ``…loss`` are not the training loss).

    A progress line holds hundreds of updates of one epoch's running mean; its first and last
    are what the silent-failure checks need (`trials.silent_exception`: the first loss of the
    trial, the peak over epochs, a NaN), and finding them costs two searches from the ends of
    the line, however long it is."""
    at = data.find(LOSS, start, end)
    while at >= 0:
        line_end = data.find(b"\n", at, end)
        line_end = end if line_end < 0 else line_end
        yield from line_losses(data, max(start, data.rfind(b"\n", start, at) + 1), line_end)
        at = data.find(LOSS, line_end, end)


def line_losses(data: bytes, start: int, end: int) -> tuple[tuple[bytes, int], ...]:
    """The first and the last training-loss value of the line ``data[start:end]`` (one if they
    are the same, none if it has none), with their offsets."""
    found = _LOSS_AND_VALUE.search(data, start, end)
    while found is not None and found.start() > start and data[found.start() - 1] in _NAME_BYTES:
        found = _LOSS_AND_VALUE.search(data, found.start() + 1, end)
    if found is None:
        return ()
    first_at = found.start()
    first = (found.group(1), first_at)
    at = data.rfind(LOSS, first_at + 1, end)
    while at > first_at:
        if data[at - 1] not in _NAME_BYTES:
            value = LOSS_VALUE.match(data, at + len(LOSS), end)
            if value is not None:
                return first, (value.group(), at)
        at = data.rfind(LOSS, first_at + 1, at)
    return (first,)


class Skimmer:
    """Finds the next line a reader must read, given what any part of it acts on.

    `anywhere`: phrases that make a line worth reading wherever they are; `starts` / `ends`:
    phrases that do so at the start / the end of a line (after ANSI codes), as the renderings
    recognise them. A line worth reading is never skipped; a line skipped needlessly would only
    cost time, so the triggers may be broad.
    """

    def __init__(
        self,
        anywhere: Iterable[str],
        starts: Iterable[str],
        ends: Iterable[str],
        renderings: Iterable[str] = (),
    ):
        anywhere, starts, ends = list(anywhere), list(starts), list(ends)
        ansi = _ANSI_PREFIX.decode()
        opening = "|".join(map(re.escape, starts)) or "(?!)"
        closing = "|".join(map(re.escape, ends)) or "(?!)"
        words = "|".join(map(re.escape, anywhere)) or "(?!)"
        # On a cleaned line (str): the phrases as the reader meets them.
        self.text = re.compile(
            rf"{words}|(?:^|\r){ansi}(?:{opening})|(?:{closing}){ansi}\r?$", re.MULTILINE
        )
        # On short raw lines (bytes), every branch starting with a literal, which lets the
        # regex engine skip ahead: a line's start is the \n before it (`head` checks the first).
        trimmed = "|".join(re.escape(word.strip()) for word in anywhere) or "(?!)"
        self.raw = re.compile(
            rf"{trimmed}|\n{ansi}(?:{opening})|(?:{closing}){ansi}\r?$".encode(), re.MULTILINE
        )
        self.head = re.compile(rf"{ansi}(?:{opening})".encode())
        # On lines that hold a trigger by design (keras-tuner's own, `tunerblocks`): what only
        # the renderings act on.
        rendering = "|".join(map(re.escape, renderings)) or "(?!)"
        self.rendering = re.compile(
            rf"{rendering}|^{ansi}(?:{opening})|(?:{closing}){ansi}\r?$".encode(), re.MULTILINE
        )
        self._verdicts: dict[bytes, object] = {}
        self._clean: dict[bytes, int] = {}  # shapes of short lines that hold no trigger → lines
        self._quiet: set[bytes] = set()  # … and that no rendering acts on
        # Verdicts are shared by shape only while no phrase holds a digit (see `_segment`).
        self._by_shape = not any(c.isdigit() for text in (*anywhere, *starts, *ends) for c in text)

    def skim(
        self,
        data: bytes,
        pos: int,
        losses: list[tuple[bytes, int]] | None = None,
        end: int | None = None,
    ) -> tuple[int, int]:
        """Where the first line at or after `pos` starts that must be read (else `end`, by
        default ``len(data)``), and how many lines (``\\n``) come before it. `pos` is the start of a
        line. With a `losses` list, each skipped line's first and last training-loss value is
        added to it, with the index of its line among those skipped (see `line_losses`): the
        lines are counted and their losses found on the way, each progress line once."""
        size = len(data) if end is None else end
        lines = 0
        find, rfind, must_read = data.find, data.rfind, self._must_read
        cr = -1
        while pos < size:
            if cr < pos:
                cr = find(b"\r", pos, size)
                if cr < 0:
                    cr = size
            # Lines without \r up to the line holding it: short lines, searched as they are.
            region_end = size if cr == size else rfind(b"\n", pos, cr) + 1
            if region_end > pos:
                known = self._clean_lines(data, pos, region_end)
                if known is not None:
                    lines += known  # no trigger and no loss: only its lines counted
                    if region_end == size and data[size - 1] != 10:
                        lines += 1  # the last line, cut off before its newline
                    pos = region_end
                    continue
                if self.head.match(data, pos, size) is not None:
                    return pos, lines
                found = self.raw.search(data, pos, region_end)
                if found is None and region_end - pos <= _MAX_SHAPE:
                    region = data[pos:region_end]
                    if _bare(region):
                        self._note_clean(region)
                stop = (
                    region_end
                    if found is None
                    else max(pos, rfind(b"\n", pos, found.start() + 1) + 1)
                )
                if losses is not None and stop > pos:
                    for value, at in loss_values(data, pos, stop):
                        losses.append((value, lines + data.count(b"\n", pos, at)))
                lines += data.count(b"\n", pos, stop)
                if found is not None:
                    return stop, lines
                if region_end == size and data[size - 1] != 10:
                    lines += 1  # the last line, cut off before its newline
                pos = region_end
                continue
            # A line with \r: only its last non-blank segment is ever read as text.
            eol = find(b"\n", cr, size)
            eol = size if eol < 0 else eol + 1
            if must_read(data, pos, eol):
                return pos, lines
            if losses is not None:
                for value, _ in line_losses(data, pos, eol):
                    losses.append((value, lines))
            lines += 1  # ended by its newline, or the last line, cut off before it
            pos = eol
        return size, lines

    def plain(self, chunk: bytes) -> bool:
        """Whether nothing in these whole lines is acted on by any part of the reader: no
        trigger, no ANSI code, no ``\\r``, no loss (what `feed` does for them is what
        `TextReader._table_row` and the summary's `note` do)."""
        if (
            self._by_shape
            and len(chunk) <= _MAX_SHAPE
            and chunk.translate(_DIGITS_TO_ZERO) in self._clean
        ):
            return True
        if not _bare(chunk, self.head.match, self.raw.search):
            return False
        self._note_clean(chunk)
        return True

    def quiet(self, chunk: bytes) -> bool:
        """Whether no rendering acts on these whole lines (their own phrases aside, which the
        caller reads), and they hold no ANSI code, no ``\\r`` and no loss."""
        shape = chunk.translate(_DIGITS_TO_ZERO) if self._by_shape else None
        if shape is not None and shape in self._quiet:
            return True
        if not _bare(chunk, self.rendering.search):
            return False
        if shape is not None and len(chunk) <= _MAX_SHAPE and len(self._quiet) < _MAX_SHAPES:
            self._quiet.add(shape)
        return True

    def _clean_lines(self, data: bytes, start: int, end: int) -> int | None:
        """Short lines whose shape (digits set to 0) was found before to hold no trigger, no
        ANSI code, no \\r and no loss, and how many lines they are (None: not known so). The
        lines between progress bars and the rows of tables come back with other numbers."""
        if not self._by_shape or end - start > _MAX_SHAPE:
            return None
        return self._clean.get(data[start:end].translate(_DIGITS_TO_ZERO))

    def _note_clean(self, chunk: bytes) -> None:
        """`chunk`, whole short lines found to hold no trigger and to be `_bare`: its shape."""
        if self._by_shape and len(chunk) <= _MAX_SHAPE and len(self._clean) < _MAX_SHAPES:
            self._clean[chunk.translate(_DIGITS_TO_ZERO)] = chunk.count(b"\n")

    def _must_read(self, data: bytes, start: int, eol: int) -> bool:
        end = eol
        while end > start and data[end - 1] in b"\r\n":
            end -= 1
        while end > start:
            cut = data.rfind(b"\r", start, end)
            verdict = self._segment(data[cut + 1 : end])
            if verdict is not None:
                return verdict
            if cut < start:
                break
            end = cut  # a blank segment: the terminal shows the one before
        return False

    def _segment(self, segment: bytes) -> bool | None:
        """Whether a progress line whose visible segment this is must be read (None: the
        segment is blank). Decided once per shape: no phrase any part of the reader acts on
        holds a digit, so the verdict is the same for every update of the same bar (digits
        replaced by 0: step counts, times, metric values, and the numbers of ANSI codes)."""
        if not self._by_shape or len(segment) > _MAX_SHAPE:
            return self._judge(segment)
        shape = segment.translate(_DIGITS_TO_ZERO)
        verdict = self._verdicts.get(shape, _UNKNOWN)
        if verdict is _UNKNOWN:
            verdict = self._judge(segment)
            if len(self._verdicts) < _MAX_SHAPES:
                self._verdicts[shape] = verdict
        return verdict  # type: ignore[return-value]

    def _judge(self, segment: bytes) -> bool | None:
        if b"\x1b" in segment:
            if b"\x1b]" in segment or b"\x1b\\" in segment or b"\x07" in segment:
                return True  # an OSC escape, which may hold \r: read as the reader would
            segment = _ANSI.sub(b"", segment)
        elif b"\x07" in segment:
            return True
        text = segment.decode("utf-8", "replace")
        if not text.strip():
            return None
        return self.text.search(text) is not None


def _bare(chunk: bytes, *finders: Callable[[bytes], object]) -> bool:
    """No ANSI code, no ``\\r`` and no loss in `chunk`, and none of `finders` finds anything."""
    if b"\r" in chunk or b"\x1b" in chunk or LOSS in chunk:
        return False
    return all(find(chunk) is None for find in finders)


_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_UNKNOWN = object()
_MAX_SHAPES = 4096
_MAX_SHAPE = 4096  # bytes: a longer segment is no progress bar, and is judged on its own
