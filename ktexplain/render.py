"""Reports → terminal (rich) or JSON. Renderers never re-parse: they show what diagnosis found.

Every string that came from an error message is wrapped in `rich.text.Text`, never interpreted as
markup: a message full of ``[brackets]`` (TensorFlow's ``[[{{node dense/MatMul}}]]``) is shown
verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.segment import Segment
from rich.text import Text

from ktexplain import __version__
from ktexplain.diagnose import format_value
from ktexplain.failure import Diagnosis, Report, Trial, summary_line

if TYPE_CHECKING:
    from ktexplain.attribution import Region

CATEGORY_STYLE = {
    "data-shape": "cyan",
    "hyperparameter-value": "magenta",
    "layer-constraint": "blue",
    "activation": "green",
    "optimizer": "yellow",
    "environment": "bright_black",
    "tuner-usage": "white",
    "unknown": "red",
}
MAX_TRIALS_LISTED = 12
CHART_WIDTH = 24
MAX_MESSAGE_LINES = 12


def make_console(
    file: IO[str] | None = None, color: bool | None = None, width: int | None = None
) -> Console:
    """`color=None` lets rich decide (terminal or not, NO_COLOR); False forces plain text.

    Inside a Jupyter kernel rich displays what it prints as a cell output besides writing it: a
    console given a file writes to that file only.
    """
    console = Console(
        file=file,
        no_color=color is False or None,
        color_system=None if color is False else "auto",
        highlight=False,
        emoji=False,
        markup=False,
        width=width,
        force_terminal=True if color is True else None,
    )
    if file is not None:
        console.is_jupyter = False
    return console


def render_reports(
    reports: Sequence[Report],
    file: IO[str] | None = None,
    color: bool | None = None,
    compact: bool = False,
    console: Console | None = None,
    header: str | None = None,
    show_source: bool = False,
) -> None:
    """`show_source` puts where each report comes from on its compact line (several inputs)."""
    console = console or make_console(file, color)
    if header:
        console.print(header, style="bold")
    for index, report in enumerate(reports, start=1):
        if compact:
            console.print(compact_line(report, show_source))
        else:
            console.print(report_panel(report, index, len(reports)))


def compact_line(report: Report, show_source: bool = False) -> Text:
    d = report.diagnosis
    text = Text("ktexplain: ", style="bold")
    if show_source:
        text.append(f"{report.failures[0].origin}: ", style="dim")
    trials = report.trials
    if trials and trials[0].construction:
        text.append("at tuner construction: ", style="bold")
    elif trials:
        labels = ", ".join(t.label for t in trials[:MAX_TRIALS_LISTED])
        more = len(trials) - MAX_TRIALS_LISTED
        text.append(f"trial {labels}{f' (+{more})' if more > 0 else ''}: ", style="bold")
    text.append(f"[{d.category}] ", style=CATEGORY_STYLE.get(d.category, ""))
    text.append(d.title or d.exception.headline())
    if d.hyperparameter is not None:
        text.append(f" — {d.hyperparameter.name}={format_value(d.hyperparameter.value)}")
    if d.fix:
        text.append(f" — fix: {d.fix}", style="dim")
    return text


class LabelledRows:
    """A label and a value a row, laid out as ``Table.grid(padding=(0, 2))`` with a bold,
    unwrapped label column and a value column that wraps (and folds a long word) does it, without
    loading rich's table (and with it `fractions` and `decimal`: ~5 ms of a CLI start).
    `tests/test_render.py` compares the two."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, Text]] = []

    def add_row(self, label: str, value: Text) -> None:
        self.rows.append((label, value))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.rows:
            return
        label_width = max(cell_len(label) for label, _ in self.rows)
        value_options = options.update(
            width=max(1, options.max_width - label_width - 2),
            overflow="fold",
            no_wrap=False,
            height=None,
        )
        bold = console.get_style("bold")
        for label, value in self.rows:
            for number, line in enumerate(console.render_lines(value, value_options, pad=False)):
                shown = label if number == 0 else ""
                yield Segment(shown + " " * (label_width - cell_len(shown) + 2), bold)
                yield from line
                yield Segment.line()


def report_panel(report: Report, index: int = 1, total: int = 1) -> Panel:
    d = report.diagnosis
    grid = LabelledRows()
    grid.add_row("exception", _exception_text(d))
    if d.offending_value is not None or d.offending_name is not None:
        offending = Text()
        if d.offending_name:
            offending.append(f"{d.offending_name} = ")
        offending.append(d.offending_value or "?", style="bold red")
        if d.expected_value is not None:
            offending.append("   expected ", style="dim")
            offending.append(d.expected_value, style="bold green")
        grid.add_row("offending", offending)
    if d.layer:
        grid.add_row("layer", Text(d.layer))
    if d.optimizer:
        grid.add_row("optimizer", Text(d.optimizer))
    if d.constraint:
        grid.add_row("rule", Text(d.constraint))
    if d.hyperparameter is not None:
        link = d.hyperparameter
        text = Text(f"{link.name} = ")
        text.append(format_value(link.value), style="bold red")
        if link.spec is not None:
            text.append("  ←  ", style="dim")
            text.append(link.spec.describe())
        grid.add_row("hyperparameter", text)
    if report.risks:
        grid.add_row("risk", _risk_text(report))
    grid.add_row("trials", _trials_text(report))
    values = _all_values_text(report)
    if values is not None:
        grid.add_row("values", values)
    if report.region is not None:
        grid.add_row("region", _region_text(report.region))
    where = report.failures[0].user_frame()
    if where is not None:
        place = Text(f"{where.function}, line {where.lineno} of {where.filename}", style="dim")
        if where.line:
            place.append("\n")
            place.append(where.line)
        grid.add_row("your code", place)
    if d.fix:
        grid.add_row("fix", Text(d.fix, style="bold"))
    origin = Text(str(report.failures[0].origin), style="dim")
    if d.dialect:
        origin.append(f"  ({d.dialect})", style="dim")
    if d.pattern_id:
        origin.append(f"  pattern {d.pattern_id}", style="dim")
    grid.add_row("source", origin)
    body: RenderableType = grid
    title_text = d.title or d.exception.headline()
    headline = Text(title_text, style="bold")
    body = Group(headline, Text(""), grid)
    style = CATEGORY_STYLE.get(d.category, "")
    count = f" ×{report.occurrences}" if report.occurrences > 1 else ""
    return Panel(
        body,
        title=Text(f" {index}/{total} · {d.category}{count} ", style=f"bold {style}"),
        title_align="left",
        border_style=style,
        expand=True,
    )


def _risk_text(report: Report) -> Text:
    """What ``ktexplain check`` says of the blamed definition, before any run."""
    text = Text()
    for index, finding in enumerate(report.risks):
        if index:
            text.append("\n")
        text.append(finding.reason, style="yellow")
        if finding.patched:
            text.append("  →  ", style="dim")
            text.append(finding.patched)
    return text


def _exception_text(d: Diagnosis) -> Text:
    """The message as Keras wrote it; for a wrapper ("in user code:", "Exception encountered
    when calling …", "Graph execution error:") the line that says what went wrong."""
    message = d.exception.message.strip()
    lines = [line for line in message.splitlines() if line.strip()]
    summary = summary_line(message)
    # A message pasted without its type has none to show.
    text = Text(d.exception.type, style="bold")
    separator = ": " if d.exception.type else ""
    if lines and summary != lines[0].strip():
        text.append(separator)
        text.append(summary)
        text.append(f"\n({len(lines)} lines in the original message)", style="dim")
    elif lines:
        shown = lines[:MAX_MESSAGE_LINES]
        text.append(separator)
        text.append("\n".join(shown))
        if len(lines) > len(shown):
            text.append(f"\n… {len(lines) - len(shown)} more lines", style="dim")
    if d.offending_value:
        text.highlight_regex(
            r"(?<![\w.])" + re.escape(d.offending_value) + r"(?![\w])", style="bold red"
        )
    return text


def _trials_text(report: Report) -> Text:
    trials = [t for t in report.trials]
    if not trials:
        return Text(f"{report.occurrences} occurrence(s), trial unknown", style="dim")
    labels = [t.label for t in trials[:MAX_TRIALS_LISTED]]
    text = Text(", ".join(labels))
    if len(trials) > MAX_TRIALS_LISTED:
        text.append(f" … and {len(trials) - MAX_TRIALS_LISTED} more", style="dim")
    if report.occurrences > 1:
        text.append(f"   ({report.occurrences} failures)", style="dim")
    if any(f.tripped_limit for f in report.failures):
        limit = next(f.tripped_limit for f in report.failures if f.tripped_limit)
        text.append(f"\nstopped the search: {limit} consecutive failures", style="dim")
    # A distributed search: which worker's log saw which trial.
    for worker, labels in _seen_by_worker(report).items():
        text.append(f"\n{worker}: {', '.join(labels)}", style="dim")
    return text


def _seen_by_worker(report: Report) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for failure in report.failures:
        if failure.worker is not None:
            label = failure.trial.label if failure.trial is not None else "trial unknown"
            out.setdefault(failure.worker, []).append(label)
    return out


def _all_values_text(report: Report) -> Text | None:
    """Every failing trial's values, one line each, the blamed hyperparameter in red: the
    values that failed are the first clue to the range that fails."""
    trials = [t for t in report.trials if t.hyperparameters]
    if not trials:
        return None
    text = Text()
    for index, trial in enumerate(trials[:MAX_TRIALS_LISTED]):
        if index:
            text.append("\n")
        text.append_text(_values_text(trial, report.diagnosis))
    if len(trials) > MAX_TRIALS_LISTED:
        text.append(f"\n… and {len(trials) - MAX_TRIALS_LISTED} more", style="dim")
        spread = _linked_values_text(report)
        if spread is not None:
            text.append("\n")
            text.append_text(spread)
    return text


def _region_text(region: Region) -> Text:
    """Where in the search space the cause strikes, the patch, and failures per value."""
    text = Text(region.sentence(), style="bold" if region.verdict == "separates" else "dim")
    # A region of two hyperparameters goes away when either one leaves it: each is a patch.
    label = "\neither patch: " if len(region.conditions) > 1 and len(region.patched) > 1 else None
    for index, patched in enumerate(region.patched):
        text.append(label if label and not index else "\nor: " if label else "\npatch: ", "dim")
        text.append(patched, style="bold green")
    if region.also:
        text.append(f"\nalso separating: {'; '.join(region.also)}", style="dim")
    if region.chart_name and region.chart:
        labels = [b.label() for b in region.chart]
        width = max(len(label) for label in labels)
        most = max(b.failed + b.succeeded for b in region.chart) or 1
        scale = min(1.0, CHART_WIDTH / most)
        text.append(f"\n{region.chart_name}", style="dim")
        for label, bin_ in zip(labels, region.chart, strict=True):
            text.append(f"\n{label:>{width}} ")
            text.append("█" * round(bin_.failed * scale), style="red")
            text.append("░" * round(bin_.succeeded * scale), style="green")
            counts = f" {bin_.failed} failed, {bin_.succeeded} ok"
            if not bin_.failed and not bin_.succeeded:
                counts = " not tried"
            text.append(counts, style="dim")
    return text


def _linked_values_text(report: Report) -> Text | None:
    """The blamed hyperparameter's value in every trial of the report: the range that fails."""
    link = report.diagnosis.hyperparameter
    trials = [t for t in report.trials if link is not None and link.name in t.hyperparameters]
    if link is None or len(trials) < 2:
        return None
    shown = ", ".join(
        f"{t.label}={format_value(t.hyperparameters[link.name])}"
        for t in trials[:MAX_TRIALS_LISTED]
    )
    more = (
        f" … and {len(trials) - MAX_TRIALS_LISTED} more" if len(trials) > MAX_TRIALS_LISTED else ""
    )
    return Text(f"{link.name}: {shown}{more}")


def _values_text(trial: Trial, d: Diagnosis) -> Text:
    text = Text(f"{trial.label}: ", style="dim")
    items = [(k, v) for k, v in trial.hyperparameters.items() if not k.startswith("tuner/")]
    for i, (name, value) in enumerate(items):
        if i:
            text.append(", ")
        style = "bold red" if d.hyperparameter and d.hyperparameter.name == name else ""
        text.append(f"{name}={format_value(value)}", style=style)
        if name in trial.values_truncated:
            text.append(" (cut by the log)", style="dim")
    return text


def reports_to_json(reports: Sequence[Report]) -> dict[str, Any]:
    return {"version": __version__, "reports": [report_to_json(r) for r in reports]}


def report_to_json(report: Report) -> dict[str, Any]:
    d = report.diagnosis
    hp = d.hyperparameter
    where = report.failures[0].user_frame()
    return {
        "source": str(report.failures[0].origin),
        "category": d.category,
        "pattern": d.pattern_id,
        "title": d.title,
        "dialect": d.dialect,
        "exception": {"type": d.exception.type, "message": d.exception.message},
        "offending": {
            "name": d.offending_name,
            "value": d.offending_value,
            "expected": d.expected_value,
        },
        "layer": d.layer,
        "optimizer": d.optimizer,
        "constraint": d.constraint,
        "hyperparameter": None
        if hp is None
        else {
            "name": hp.name,
            "value": _jsonable(hp.value),
            "search_space": hp.spec.describe() if hp.spec else None,
        },
        "trials": [
            {
                "id": t.trial_id,
                "number": t.number,
                "construction": t.construction,
                "hyperparameters": {k: _jsonable(v) for k, v in t.hyperparameters.items()},
                "source": str(f.origin),
                "worker": f.worker,
            }
            for f in report.failures
            if (t := f.trial) is not None
        ],
        "occurrences": report.occurrences,
        "region": None if report.region is None else report.region.to_json(),
        "risk": [finding.to_json() for finding in report.risks],
        "fix": d.fix,
        "user_code": None
        if where is None
        else {
            "file": where.filename,
            "line": where.lineno,
            "function": where.function,
            "code": where.line,
        },
    }


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)
