"""Across failures: a hyperparameter is not blamed for a number that came from elsewhere."""

from __future__ import annotations

from conftest import CAPTURED, read_fixture

from ktexplain import pipeline
from ktexplain.diagnose import diagnose


def test_a_coincidental_value_does_not_blame_a_hyperparameter(database):
    # Real capture: 32 data columns; hp.Choice('units', [16, 32, 64]) is 32 in trial #3.
    failures = read_fixture(CAPTURED / "keras3" / "shape-feature-count-equals-units" / "run.log")
    trial3 = next(f for f in failures if f.trial.hyperparameters.get("units") == 32)
    alone = diagnose(trial3, database)
    assert alone.hyperparameter is not None and alone.hyperparameter.name == "units"  # naive
    (report,) = pipeline.reports(failures, database)
    assert report.diagnosis.hyperparameter is None
    assert report.diagnosis.offending_value == "32"
    assert report.occurrences == 3  # one cause, not split by the wrong blame


def test_without_a_value_the_hint_beats_the_line_that_raised():
    from ktexplain.diagnose import link_hyperparameter
    from ktexplain.failure import HyperParameterSpec, Trial

    trial = Trial(number=1, hyperparameters={"optimizer": "adam", "learning_rate": 0.01})
    raising = HyperParameterSpec("optimizer", "Choice", {"values": ["adam", "sgd"]})
    link = link_hyperparameter(trial, None, None, ("learning_rate", "lr"), raising)
    assert link is not None and (link.name, link.via) == ("learning_rate", "hint")
    # with a value that the raising line's hyperparameter has, the line wins
    link = link_hyperparameter(trial, "adam", None, ("learning_rate",), raising)
    assert link is not None and link.name == "optimizer"


def test_an_inferred_symptom_comes_after_real_failures(database):
    from ktexplain.failure import ExceptionRecord, Failure, Origin, Trial

    weak = Failure(
        (ExceptionRecord("ConstantObjective", "all 3 completed trials scored x = 0.5, …"),),
        Origin("log", 1),
        Trial(number=1),
        weak=True,
    )
    real = Failure((ExceptionRecord("KeyError", "'val_acc'"),), Origin("log", 9), Trial(number=2))
    reports = pipeline.reports([weak, real], database)
    assert [r.failures[0] for r in reports] == [real, weak]
