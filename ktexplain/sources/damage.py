"""Damaged logs: NUL padding left by a crash, a burst of random bytes, stray control bytes.

A file is refused as binary only when most of a sample of it (head, middle and tail) is not text.
Otherwise each damaged stretch is cut out of the lines that hold it, the rest is read as usual,
and the stretches are reported in one warning line. Sparse invalid UTF-8 (a log written in
latin-1) is not damage: it is decoded with U+FFFD, as before.
"""

from __future__ import annotations

import re
from typing import IO

from ktexplain.lazyre import lazy

SAMPLE = 8192  # bytes read at the head, the middle and the tail of a file
BINARY_SHARE = 0.30  # a sample with more bad characters than this is a binary file
PADDING = re.compile(rb"\x00{32,}")  # a run this long is padding, not a binary format
# C0 controls no log prints (tab, newlines, form feeds, BEL, backspace and ESC are text),
# and invalid UTF-8 bytes (decoded with surrogateescape to U+DC80..U+DCFF).
_BAD_CHARS = "\x00-\x06\x0e-\x1a\x1c-\x1f\x7f\udc80-\udcff"
BAD = re.compile(f"[{_BAD_CHARS}]")
# Bad characters no more than three good ones apart: random bytes are ~60% bad, so a burst of
# them is one stretch, while a latin-1 accent here and there stays apart.
STRETCH = lazy(f"[{_BAD_CHARS}]+(?:[^{_BAD_CHARS}]{{1,3}}[{_BAD_CHARS}]+)*")
CONTROL = re.compile("[\x00-\x06\x0e-\x1a\x1c-\x1f\x7f]")
INVALID = lazy("[\udc80-\udcff]")
DAMAGE_MIN_BAD = 4  # a stretch with fewer bad characters is stray bytes, deleted in place
DAMAGE_MIN_SHARE = 0.5
MERGE_GAP = 16  # stretches this close (a burst across several lines) are reported as one
MIN_PIECE = 4  # text left beside a stretch shorter than this is the burst's own printable bytes


def sample(handle: IO[bytes], size: int) -> bytes:
    """Head, middle and tail of a seekable file (all of it when it is small)."""
    if size <= 3 * SAMPLE:
        return handle.read()
    parts = []
    for start in (0, size // 2 - SAMPLE // 2, size - SAMPLE):
        handle.seek(start)
        parts.append(handle.read(SAMPLE))
    handle.seek(0)
    return b"".join(parts)


def looks_binary(data: bytes) -> bool:
    """Most of it is not text.

    Long runs of NUL are left out first: they are what a crash leaves in a log, and a log with
    a padded tail is still a log (a sample of nothing but NUL is not text at all). Then it is
    binary when control bytes alone pass `BINARY_SHARE`, or when control bytes and invalid
    UTF-8 together do and the lines free of damage are under that share too: a burst of random
    bytes in a small log leaves its lines readable.
    """
    if not data:
        return False
    text = PADDING.sub(b"\n", data).decode("utf-8", "surrogateescape")
    if not text.strip("\n"):
        return True
    limit = BINARY_SHARE * len(text)
    if len(CONTROL.findall(text)) > limit:
        return True
    if len(BAD.findall(text)) <= limit:
        return False
    readable = sum(len(line) + 1 for line in text.split("\n") if not _damaged(line))
    return readable < limit


def _damaged(line: str) -> bool:
    return any(_is_damage(found.group()) for found in STRETCH.finditer(line))


class LineRepair:
    """Turns the raw lines of a file into text lines, cutting damaged stretches out.

    Used only for the lines the fast path (no NUL, valid UTF-8) refuses.
    """

    def __init__(self) -> None:
        self.stretches: list[list[int]] = []  # [start, end) byte offsets, merged
        self.first_invalid: int | None = None  # sparse invalid UTF-8, decoded with U+FFFD

    def lines(self, raw: bytes, offset: int) -> list[str]:
        """The text lines `raw` (which starts at byte `offset` of the input) stands for."""
        text = raw.decode("utf-8", "surrogateescape")
        damaged = [found for found in STRETCH.finditer(text) if _is_damage(found.group())]
        if not damaged:
            invalid = INVALID.search(text)
            if invalid is not None and self.first_invalid is None:
                self.first_invalid = offset + _byte_length(text[: invalid.start()])
            return [_text(text)]
        first, last = damaged[0].start(), damaged[-1].end()
        start = offset + _byte_length(text[:first])
        end = start + _byte_length(text[first:last])
        self._record(start, end)
        pieces = []
        for piece in (text[:first], text[last:]):
            if len(piece.strip()) >= MIN_PIECE:
                pieces.append(_text(piece))
        return pieces

    def _record(self, start: int, end: int) -> None:
        if self.stretches and start - self.stretches[-1][1] <= MERGE_GAP:
            self.stretches[-1][1] = end
        else:
            self.stretches.append([start, end])

    def warning(self, name: str) -> str | None:
        """One line for every damaged stretch of the input, or None."""
        if not self.stretches:
            return None
        shown = ", ".join(f"{start}–{end}" for start, end in self.stretches[:3])
        more = f" and {len(self.stretches) - 3} more" if len(self.stretches) > 3 else ""
        count = len(self.stretches)
        what = "a damaged stretch" if count == 1 else f"{count} damaged stretches"
        return (
            f"ktexplain: {name}: skipped {what} that is not text (bytes {shown}{more}); "
            "read the rest"
        )


def _is_damage(stretch: str) -> bool:
    bad = len(BAD.findall(stretch))
    return bad >= DAMAGE_MIN_BAD and bad >= DAMAGE_MIN_SHARE * len(stretch)


def _text(text: str) -> str:
    """Stray control bytes deleted, stray invalid bytes shown as U+FFFD."""
    if CONTROL.search(text):
        text = CONTROL.sub("", text)
    return INVALID.sub("\ufffd", text)


def _byte_length(text: str) -> int:
    return len(text.encode("utf-8", "surrogateescape"))
