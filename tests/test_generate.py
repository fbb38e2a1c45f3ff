"""The fixture script reproduces the committed fixtures from real runs (slow: real TensorFlow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CAPTURED, ROOT, read_fixture

from ktexplain import pipeline

KERAS2_PYTHON = Path(os.environ.get("KTEXPLAIN_KERAS2_PYTHON", ROOT / ".venv-keras2/bin/python"))


def _explain(log: Path):
    reports = pipeline.reports(read_fixture(log), pipeline.database([]))
    d = reports[0].diagnosis
    return d.category, d.pattern_id, d.offending_value, d.exception.message


@pytest.mark.slow
@pytest.mark.parametrize("dialect", ["keras3", pytest.param("keras2", marks=pytest.mark.keras2)])
def test_recapturing_seed_example_2_gives_the_committed_fixture(tmp_path, dialect):
    if dialect == "keras2" and not KERAS2_PYTHON.exists():
        pytest.skip(f"no Keras 2 environment at {KERAS2_PYTHON} (make envs)")
    python = sys.executable if dialect == "keras3" else str(KERAS2_PYTHON)
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "fixtures" / "generate.py"),
            "--only",
            "seed-conv-filters-zero",
            "--dialect",
            dialect,
            f"--{dialect}-python",
            python,
            "--out",
            str(tmp_path),
            "--jobs",
            "1",
        ],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    fresh = tmp_path / dialect / "seed-conv-filters-zero"
    meta = json.loads((fresh / "meta.json").read_text())
    assert meta["exit_code"] == 1  # the tuner's constructor raised
    assert _explain(fresh / "run.log") == _explain(
        CAPTURED / dialect / "seed-conv-filters-zero" / "run.log"
    )
