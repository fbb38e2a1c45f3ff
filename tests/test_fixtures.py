"""Every captured real run is explained as its scenario expects.

Category, offending value and hyperparameter are checked against the scenario's `[expected]`.

The expectations live beside each scenario (`fixtures/scenarios/<name>.toml`); the README's coverage
table is generated from the same data by `scripts/coverage_table.py`.
"""

from __future__ import annotations

import pytest
from conftest import CAPTURED, captured_cases, expected_for, read_fixture

from ktexplain import pipeline

CASES = captured_cases()


@pytest.mark.parametrize(("dialect", "name"), CASES, ids=[f"{d}/{n}" for d, n in CASES])
def test_fixture_is_explained_as_expected(dialect, name, database):
    expected = expected_for(name, dialect)
    failures = read_fixture(CAPTURED / dialect / name / "run.log")
    reports = pipeline.reports(failures, database)
    if expected["category"] == "none":  # a clean run: nothing to report
        assert not reports, [r.diagnosis.title for r in reports]
        return
    assert reports, "no failure found"
    diagnosis = reports[0].diagnosis
    assert diagnosis.category == expected["category"]
    if "pattern" in expected:
        assert diagnosis.pattern_id == expected["pattern"]
    if "offending" in expected:
        assert diagnosis.offending_value == str(expected["offending"])
    if "hyperparameter" in expected:
        assert diagnosis.hyperparameter is not None, "no hyperparameter blamed"
        assert diagnosis.hyperparameter.name == expected["hyperparameter"]
    if "hyperparameter_values" in expected:
        trial = reports[0].trials[0]
        for key, value in expected["hyperparameter_values"].items():
            assert trial.hyperparameters.get(key) == value


def test_there_are_fixtures_in_both_dialects():
    dialects = {d for d, _ in CASES}
    assert {"keras3", "keras2"} <= dialects


def test_coverage_document_is_current():
    import subprocess
    import sys

    from conftest import ROOT

    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "coverage_table.py"),
            "--check",
            "docs/coverage.md",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
