"""The reading progress bar: on stderr, after a second, only for a person watching."""

from __future__ import annotations

import io
import json

from conftest import CAPTURED
from rich.console import Console

from ktexplain import progress
from ktexplain.cli import main

LOG = CAPTURED / "keras3" / "long-run-some-trials-fail" / "run.log"


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_a_bar_is_wanted_only_by_a_person_watching_stderr():
    tty, pipe = _Stream(True), _Stream(False)
    assert progress.wanted(json_output=False, stdout=pipe, stderr=tty)
    assert progress.wanted(json_output=True, stdout=tty, stderr=tty)
    assert not progress.wanted(json_output=True, stdout=pipe, stderr=tty)  # `--json | jq`
    assert not progress.wanted(json_output=False, stdout=tty, stderr=pipe)  # stderr to a file


def test_the_bar_appears_after_a_second_of_reading_and_is_gone_after():
    now = [0.0]
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    bar = progress.ReadProgress("big.log", 4_000_000, console=console, clock=lambda: now[0])
    bar(1_000_000)
    assert bar.bar is None and screen.getvalue() == ""  # a fast read shows nothing
    now[0] = progress.DELAY + 0.1
    bar(2_000_000)
    assert bar.bar is not None
    bar.bar.refresh()
    assert "ktexplain: reading big.log" in screen.getvalue()
    bar.close()
    assert bar.bar is None


def test_json_to_a_pipe_prints_only_the_json(monkeypatch, capsys):
    monkeypatch.setattr(progress, "DELAY", 0.0)  # even a slow read would show no bar here
    assert main([str(LOG), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["reports"]
    assert "reading" not in err


def test_a_read_with_a_bar_gives_the_same_failures(monkeypatch):
    from ktexplain import inputs

    monkeypatch.setattr(progress, "DELAY", 0.0)
    screen = io.StringIO()
    shown = []

    class Watched(progress.ReadProgress):
        def __init__(self, name, total):
            super().__init__(name, total, console=Console(file=screen, force_terminal=True))
            shown.append(self)

    monkeypatch.setattr(progress, "ReadProgress", Watched)
    with_bar = inputs.read_failures(str(LOG), progress=True)
    without = inputs.read_failures(str(LOG))
    assert shown and shown[0].bar is None  # started, then closed
    assert [(f.exception.message, f.trial) for f in with_bar] == [
        (f.exception.message, f.trial) for f in without
    ]


def test_a_display_that_fails_never_costs_the_explanation(monkeypatch):
    from ktexplain import inputs

    class Broken(io.StringIO):
        def write(self, text):
            raise OSError("the terminal went away")

    monkeypatch.setattr(progress, "DELAY", 0.0)

    made = []

    class Failing(progress.ReadProgress):
        def __init__(self, name, total):
            super().__init__(name, total, console=Console(file=Broken(), force_terminal=True))
            made.append(self)

    monkeypatch.setattr(progress, "ReadProgress", Failing)
    found = inputs.read_failures(str(LOG), progress=True)
    assert made and made[0].broken  # the display failed, and was given up
    assert [f.exception.message for f in found] == [
        f.exception.message for f in inputs.read_failures(str(LOG))
    ]
