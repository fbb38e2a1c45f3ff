"""A progress bar for an input that takes a while: on stderr, for a person watching.

It appears only after `DELAY` seconds (a log that reads in less never shows one, and never
imports `rich.progress`), only when stderr is a terminal, and never when the report itself goes
to a pipe as JSON (`ktexplain big.log --json | jq` prints nothing but the JSON). It is transient:
once the input is read the bar is gone and the report follows.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from typing import IO, Any

DELAY = 1.0  # seconds of reading before a bar appears


def wanted(json_output: bool, stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> bool:
    """A bar on stderr is for a person: stderr a terminal, and the report not JSON to a pipe."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    return _tty(err) and (not json_output or _tty(out))


def _tty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class ReadProgress:
    """Call with the bytes read so far; `close()` when done. `console` and `clock` are for the
    tests (a rich Console on a buffer, a fake clock)."""

    def __init__(
        self,
        name: str,
        total: int | None,
        console: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name, self.total, self.console, self.clock = name, total, console, clock
        self.started = clock()
        self.bar: Any = None
        self.task: Any = None
        self.broken = False

    def __call__(self, done: int) -> None:
        if self.broken:
            return
        try:
            if self.bar is None:
                if self.clock() - self.started < DELAY:
                    return
                self._start()
            self.bar.update(self.task, completed=done)
        except Exception:  # a display that fails must never cost the explanation
            self.broken = True
            self.close()

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        console = self.console or Console(stderr=True)
        self.bar = Progress(
            TextColumn("ktexplain: reading {task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.task = self.bar.add_task(self.name, total=self.total)
        self.bar.start()

    def close(self) -> None:
        bar, self.bar = self.bar, None
        if bar is not None:
            with contextlib.suppress(Exception):
                bar.stop()
