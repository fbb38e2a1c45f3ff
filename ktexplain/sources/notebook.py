"""A Jupyter notebook (``.ipynb``) → Failures.

In a notebook keras-tuner clears each trial's output, so a saved notebook keeps only the last
trial's stream output and the cell's final error. Both are read: the stream text goes through the
same reader as a log, and each ``error`` output (IPython's own traceback format, full of ANSI
codes) is turned back into a Python traceback: its ``Cell In[n], line N`` and ``File path:N, in
func`` frames, then ``ename: evalue`` — whose text, for keras-tuner's consecutive-failure
RuntimeError, holds the last trial's traceback.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ktexplain.failure import Failure
from ktexplain.sources.code import source_specs, with_specs
from ktexplain.sources.text import ANSI, TextReader

CELL_FRAME = re.compile(r"^Cell In\[(?P<cell>\d+)\], line (?P<line>\d+)")
FILE_FRAME = re.compile(r"^File (?P<file>.+?):(?P<line>\d+)(?:, in (?P<func>[\w.<>]+))?")
CODE_LINE = re.compile(r"^(?:-*>\s*)?\d+\s(?P<code>.*)$")
MAX_NOTEBOOK_BYTES = 200_000_000


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


def failures_from_notebook(path: Path, source: str | None = None) -> list[Failure]:
    notebook = load_notebook(path)
    label = source or str(path)
    failures: list[Failure] = []
    for index, cell in enumerate(notebook["cells"], start=1):
        outputs = cell.get("outputs") if isinstance(cell, dict) else None
        if not outputs:
            continue
        reader = TextReader(f"{label} [cell {index}]")
        for output in outputs:
            for line in _output_lines(output):
                reader.feed(line)
        failures.extend(reader.failures_found())
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
        return ipython_error_to_python(output)
    return []


def ipython_error_to_python(output: dict[str, Any]) -> list[str]:
    """IPython's colourful traceback → the lines Python itself would have printed."""
    lines = ["Traceback (most recent call last):"]
    for entry in output.get("traceback") or []:
        pending_code: str | None = None
        frame: str | None = None
        for raw in ANSI.sub("", _text(entry)).splitlines():
            cell = CELL_FRAME.match(raw)
            found = FILE_FRAME.match(raw)
            if cell:
                where = f'"<cell In[{cell.group("cell")}]>", line {cell.group("line")}'
                frame = f"  File {where}, in <module>"
            elif found:
                func = (found.group("func") or "?").rsplit(".", 1)[-1]
                frame = f'  File "{found.group("file")}", line {found.group("line")}, in {func}'
            elif raw.lstrip().startswith("-") and ">" in raw[:8]:
                code = CODE_LINE.match(raw.strip())
                pending_code = code.group("code").strip() if code else None
        if frame:
            lines.append(frame)
            if pending_code:
                lines.append(f"    {pending_code}")
    ename = str(output.get("ename") or "Error")
    evalue = _text(output.get("evalue"))
    first, *rest = evalue.splitlines() or [""]
    lines.append(f"{ename}: {first}" if first else ename)
    lines.extend(rest)
    return lines


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return "" if value is None else str(value)
