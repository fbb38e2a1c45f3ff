"""Whatever a log looks like, the reader and the pipeline return a result, never an exception.

The inputs are real captured logs, cut, shuffled and corrupted with a fixed seed.
"""

from __future__ import annotations

import random

import pytest
from conftest import CAPTURED

from ktexplain import pipeline
from ktexplain.failure import CATEGORIES
from ktexplain.render import render_reports, reports_to_json
from ktexplain.sources.text import failures_from_text

LOGS = sorted(CAPTURED.glob("*/*/run.log"))[::7]


def _mutations(text: str, rng: random.Random):
    lines = text.splitlines(keepends=True)
    yield text[: rng.randrange(len(text) + 1)]  # cut anywhere, even mid-line
    shuffled = lines[:]
    rng.shuffle(shuffled)
    yield "".join(shuffled)
    yield "".join(line for line in lines if rng.random() > 0.3)  # lines lost
    chars = list(text)
    for _ in range(min(200, len(chars))):
        chars[rng.randrange(len(chars))] = rng.choice("\r\x1b[]{}|:\n\t^~\x00é")
    yield "".join(chars)
    yield "\n".join(lines[i].rstrip("\n") * 50 for i in range(min(5, len(lines))))  # long lines


@pytest.mark.parametrize("log", LOGS, ids=[f"{p.parent.parent.name}/{p.parent.name}" for p in LOGS])
def test_mutated_real_logs_never_break_the_pipeline(log, database, tmp_path):
    rng = random.Random(log.name)
    text = log.read_text(encoding="utf-8", errors="replace")
    for index, mutated in enumerate(_mutations(text, rng)):
        failures = failures_from_text(mutated, "mutated")
        reports = pipeline.reports(failures, database)
        assert all(r.diagnosis.category in CATEGORIES for r in reports)
        assert sum(r.occurrences for r in reports) <= len(failures)
        data = reports_to_json(reports)
        assert len(data["reports"]) == len(reports)
        path = tmp_path / f"out{index}.txt"
        with path.open("w", encoding="utf-8") as out:
            render_reports(reports, file=out, color=False)
        rendered = path.read_text(encoding="utf-8")
        for report in reports:
            assert report.diagnosis.category in rendered


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 22])
def test_the_input_is_read_in_blocks_of_whole_lines_and_nothing_is_lost(block, monkeypatch):
    """The CLI reads a log as runs of whole lines inside the blocks it reads, never copying a
    block: a line longer than a block (a progress bar's \\r segments), a line across two
    blocks, an empty input, no final newline. Each run says where it is in the input."""
    import io

    from ktexplain import inputs

    monkeypatch.setattr(inputs, "READ_BLOCK", block)
    log = (CAPTURED / "keras3" / "long-run-some-trials-fail" / "run.log").read_bytes()
    for data in (b"", b"x", b"\n\n", b"a\nb", log[:100_000], log[:100_000] + b"tail"):
        runs = list(inputs._blocks(io.BytesIO(data)))
        assert b"".join(piece[start:end] for piece, start, end, _ in runs) == data
        for piece, start, end, base in runs:
            assert 0 <= start < end <= len(piece)
            assert data[base + start : base + end] == piece[start:end]
        assert all(piece[end - 1 : end] == b"\n" for piece, _, end, _ in runs[:-1])
