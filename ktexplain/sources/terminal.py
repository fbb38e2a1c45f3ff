"""What a terminal finally shows of a line a program wrote: ANSI codes gone, and of the
``\\r``-separated rewrites of a progress bar only the last that is not blank."""

from __future__ import annotations

import re

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


def clean_line(raw: str) -> str:
    """The text a terminal would finally show on this line: ANSI gone, last ``\\r`` segment."""
    text = raw.rstrip("\n").rstrip("\r")
    if "\r" in text and "\x1b]" not in text:
        # A progress bar rewritten hundreds of times: only its last segments are looked at
        # (no ANSI code but an OSC string can hold a \r, and then the whole line is cleaned).
        end = len(text)
        while end > 0:
            cut = text.rfind("\r", 0, end)
            segment = text[cut + 1 : end]
            if "\x1b" in segment:
                segment = ANSI.sub("", segment)
            if segment.strip():
                return segment
            end = cut  # a blank segment: the terminal shows the one before
        return ""
    if "\x1b" in text:
        text = ANSI.sub("", text)
    if "\r" in text:
        segments = [s for s in text.split("\r") if s.strip()]
        text = segments[-1] if segments else ""
    return text


__all__ = ["ANSI", "clean_line"]
