"""A Jupyter notebook (``.ipynb``) → Failures.

In a notebook keras-tuner clears each trial's output, so a saved notebook keeps only the last
trial's stream output and the cell's final error. Both are read: the stream text goes through the
same reader as a log, and so does each ``error`` output's traceback (IPython's own format, full
of ANSI codes), read by the reader's IPython recogniser like a pasted one: its ``Cell In[n], line
N`` and ``File path:N, in func`` frames, then ``ename: evalue`` — whose text, for keras-tuner's
consecutive-failure RuntimeError, holds the last trial's traceback.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ktexplain.failure import Failure, Trial
from ktexplain.sources.code import source_specs, with_specs
from ktexplain.sources.renderings.ipython import HEADER_TEXT
from ktexplain.sources.terminal import clean_line
from ktexplain.sources.text import TextReader

MAX_NOTEBOOK_BYTES = 200_000_000
BEST_SO_FAR = re.compile(r"^Best \S+ So Far: (\S+)$")


class NotebookError(ValueError):
    pass


def load_notebook(path: Path) -> dict[str, Any]:
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise NotebookError("notebook too large")
    try:
        data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        raise NotebookError(f"not a notebook: invalid JSON at line {exc.lineno}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError("not a notebook: no cells")
    return data


def failures_from_notebook(
    path: Path,
    source: str | None = None,
    trials: list[Trial] | None = None,
    objectives: dict[int, str] | None = None,
    best: list[str] | None = None,
) -> list[Failure]:
    """`trials`, when given, receives every trial the notebook's output shows (failed or not),
    for attribution across trials: only when a single cell shows trials, since each search
    numbers its trials from #1. `objectives` receives the objective each of those trials
    printed (``Trial 2 Complete`` then ``val_accuracy: 0.1875``), by trial number: what says
    whether a project directory beside the notebook is this run's; `best`, the last ``Best
    val_accuracy So Far`` value it printed."""
    notebook = load_notebook(path)
    label = source or str(path)
    failures: list[Failure] = []
    shown: list[list[Trial]] = []
    printed: list[dict[int, str]] = []
    for index, cell in enumerate(notebook["cells"], start=1):
        outputs = cell.get("outputs") if isinstance(cell, dict) else None
        if not outputs or not isinstance(outputs, list):
            continue
        reader = TextReader(f"{label} [cell {index}]")
        for output in outputs:
            for line in _output_lines(output):
                reader.feed(line)
                found = BEST_SO_FAR.match(clean_line(line).strip())
                if found and best is not None:
                    best[:] = [found.group(1)]
        failures.extend(reader.failures_found())
        seen = reader.trials_seen()
        if seen:
            shown.append(seen)
            printed.append(reader.objectives_printed())
    if trials is not None and len(shown) == 1:
        trials.extend(shown[0])
    if objectives is not None and len(printed) == 1:
        objectives.update(printed[0])
    # The cells are the user's script: read the search space from their source.
    code = "\n\n".join(
        _text(cell.get("source"))
        for cell in notebook["cells"]
        if isinstance(cell, dict) and cell.get("cell_type") == "code"
    )
    specs = {s.spec.name: s for s in source_specs(_without_magics(code))}
    return with_specs(failures, tuple(specs.values()))


def _without_magics(code: str) -> str:
    """``%load_ext ktexplain`` or ``!pip install`` lines are not Python: blank them."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines()
    )


def _output_lines(output: Any) -> list[str]:
    if not isinstance(output, dict):
        return []
    kind = output.get("output_type")
    if kind == "stream":
        return _text(output.get("text")).splitlines()
    if kind == "error":
        return ipython_error_lines(output)
    return []


def ipython_error_lines(output: dict[str, Any]) -> list[str]:
    """An ``error`` output's lines as IPython printed them (ANSI and all), for the reader: its
    IPython recogniser reads them like any pasted IPython traceback. A traceback list written by
    another tool may lack the header or the exception line: the output's ``ename``/``evalue``
    fill them in."""
    ename = str(output.get("ename") or "Error")
    traceback = output.get("traceback")
    entries = [_text(entry) for entry in traceback] if isinstance(traceback, list) else []
    lines = [line for entry in entries for line in entry.splitlines()]
    cleaned = [clean_line(entry).lstrip() for entry in entries]
    if not any(HEADER_TEXT in line for line in cleaned):
        lines.insert(0, f"{ename}{' ' * max(1, 42 - len(ename))}{HEADER_TEXT}")
    if not any(line == ename or line.startswith(f"{ename}:") for line in cleaned):
        evalue = _text(output.get("evalue"))
        first, *rest = evalue.splitlines() or [""]
        lines.append(f"{ename}: {first}" if first else ename)
        lines.extend(rest)
    return lines


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return "" if value is None else str(value)
