"""The terminal panel: what a person reads the morning after."""

from __future__ import annotations

import io

from conftest import CAPTURED, read_fixture

from ktexplain import pipeline
from ktexplain.render import render_reports


def _panel(reports) -> str:
    out = io.StringIO()
    render_reports(reports, file=out, color=False)
    return out.getvalue()


def test_every_failing_trial_shows_its_own_values(database):
    # seed 1: three trials failed with units 96, 512, 128; no hyperparameter is to blame (the
    # data has 20 features), and each trial's values are still listed, not only the first's
    failures = read_fixture(CAPTURED / "keras3" / "seed-input-shape-mismatch" / "run.log")
    (report,) = pipeline.reports(failures, database)
    text = _panel([report])
    for label, units in (("#1", 96), ("#2", 512), ("#3", 128)):
        assert f"{label}: units={units}" in text


def _table_grid():
    """What `render.LabelledRows` stands for: rich's own grid, as the panel used to build it."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    return grid


def _seen(output: str) -> list[list[tuple[str, str]]]:
    """What a terminal shows: each line's characters with their style (a space's style is not
    seen unless it has a background or an underline, which these panels never use)."""
    from rich.console import Console
    from rich.text import Text

    console = Console()
    lines = []
    for line in output.splitlines():
        text = Text.from_ansi(line)
        lines.append(
            [
                (char, "" if char == " " else str(text.get_style_at_offset(console, at)))
                for at, char in enumerate(text.plain)
            ]
        )
    return lines


def test_labelled_rows_lay_out_as_rich_s_table_grid(database, monkeypatch):
    """The panel's rows are laid out without rich.table; on every fourth captured run's
    reports, at narrow and wide widths, the output is the grid's: character for character
    without colour, and each character in the same style with it."""
    from ktexplain import render

    ours = render.LabelledRows
    logs = sorted(CAPTURED.glob("*/*/run.log"))[::4]
    assert len(logs) > 40
    compared = 0
    for log in logs:
        reports = pipeline.reports(read_fixture(log), database)
        for width in (48, 80, 131):
            for color in (False, True):
                outputs = []
                for rows in (ours, _table_grid):
                    monkeypatch.setattr(render, "LabelledRows", rows)
                    out = io.StringIO()
                    console = render.make_console(out, color, width)
                    render.render_reports(reports, console=console)
                    outputs.append(out.getvalue())
                if color:
                    assert _seen(outputs[0]) == _seen(outputs[1]), (log, width)
                    assert "\x1b[1m" in outputs[0] or not reports
                else:
                    assert outputs[0] == outputs[1], (log, width)
                compared += bool(reports)
    assert compared > 200
    assert ours is not _table_grid and "LabelledRows" in repr(ours)
