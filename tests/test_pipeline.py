"""Across failures: a hyperparameter is not blamed for a number that came from elsewhere."""

from __future__ import annotations

from conftest import CAPTURED

from ktexplain import pipeline
from ktexplain.cli import read_failures
from ktexplain.diagnose import diagnose


def test_a_coincidental_value_does_not_blame_a_hyperparameter(database):
    # Real capture: 32 data columns; hp.Choice('units', [16, 32, 64]) is 32 in trial #3.
    failures = read_failures(
        str(CAPTURED / "keras3" / "shape-feature-count-equals-units" / "run.log")
    )
    trial3 = next(f for f in failures if f.trial.hyperparameters.get("units") == 32)
    alone = diagnose(trial3, database)
    assert alone.hyperparameter is not None and alone.hyperparameter.name == "units"  # naive
    (report,) = pipeline.reports(failures, database)
    assert report.diagnosis.hyperparameter is None
    assert report.diagnosis.offending_value == "32"
    assert report.occurrences == 3  # one cause, not split by the wrong blame
