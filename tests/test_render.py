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
