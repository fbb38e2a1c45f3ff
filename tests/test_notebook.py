"""Saved Jupyter notebooks, executed by a real kernel (fixtures/generate.py, notebook = true)."""

from __future__ import annotations

import json

import pytest
from conftest import CAPTURED, read_fixture

from ktexplain import pipeline
from ktexplain.cli import EXIT_USAGE, main
from ktexplain.sources.notebook import failures_from_notebook


@pytest.mark.parametrize("dialect", ["keras3", "keras2"])
def test_construction_failure_in_a_notebook_names_filters_and_its_space(dialect, database):
    path = CAPTURED / dialect / "seed-conv-filters-zero" / "run.ipynb"
    reports = pipeline.reports(read_fixture(path), database)
    d = reports[0].diagnosis
    assert d.category == "hyperparameter-value"
    assert d.offending_value == "0"
    assert d.hyperparameter is not None and d.hyperparameter.name == "filters"
    assert d.hyperparameter.spec is not None
    assert d.hyperparameter.spec.describe() == (
        "hp.Int('filters', min_value=0, max_value=64, step=16)"
    )


def test_cleared_trials_leave_only_the_last_one_and_the_final_error():
    # keras-tuner clears each trial's output in a notebook: only trial 3 survives, twice
    # (its stderr traceback, and inside the RuntimeError).
    path = CAPTURED / "keras3" / "seed-input-shape-mismatch" / "run.ipynb"
    failures = failures_from_notebook(path)
    assert {f.trial.number for f in failures} == {3}
    assert any(f.tripped_limit == 3 for f in failures)
    assert all("expected axis -1" in f.exception.message for f in failures)
    assert failures[0].origin.source.endswith("run.ipynb [cell 1]")


def test_the_trials_a_notebook_shows_are_given_to_attribution(database):
    """Only the last trial survives the clearing: the region says it cannot tell, with counts."""
    path = CAPTURED / "keras3" / "seed-input-shape-mismatch" / "run.ipynb"
    trials: list = []
    failures = failures_from_notebook(path, trials=trials)
    assert 3 in {t.number for t in trials}
    assert not [t for t in trials if t.status == "COMPLETED"]  # every trial of it failed
    reports = pipeline.reports(failures, database, trials)
    region = reports[0].region
    assert region is not None and region.verdict == "too-few"
    assert (region.failed, region.succeeded) == (1, 0)


def test_a_broken_notebook_is_one_clear_error(tmp_path, capsys):
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [')
    assert main([str(path)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "not a notebook" in err and len(err.strip().splitlines()) == 1


def test_error_output_of_an_unrelated_cell_is_still_shown(tmp_path, capsys):
    # hand-written parser edge case: a minimal notebook with a plain NameError
    cell = {
        "cell_type": "code",
        "source": "undefined_name",
        "outputs": [
            {
                "output_type": "error",
                "ename": "NameError",
                "evalue": "name 'undefined_name' is not defined",
                "traceback": [
                    "\x1b[31mNameError\x1b[39m  Traceback",
                    "Cell In[1], line 1\n----> 1 undefined_name",
                ],
            }
        ],
    }
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps({"cells": [cell], "nbformat": 4, "nbformat_minor": 5}))
    assert main([str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["reports"][0]
    assert report["category"] == "unknown"
    assert report["exception"] == {
        "type": "NameError",
        "message": "name 'undefined_name' is not defined",
    }


DIVERGES = CAPTURED / "keras3" / "silent-adam-diverges-notebook"


def test_a_silently_diverging_notebook_is_judged_from_its_own_project(capsys):
    """keras-tuner cleared every trial's output: the notebook keeps no epoch line, only the
    last trial's objective. The project its run wrote beside it has every trial's metrics; the
    log run's project (other scores) is refused, with its reason."""
    notebook = json.loads((DIVERGES / "run.ipynb").read_text())
    texts = ["".join(o.get("text") or "") for c in notebook["cells"] for o in c["outputs"]]
    assert not any("Epoch 1/" in text or "loss:" in text for text in texts)
    # --project is tried first: the log run's project, whose scores are not the notebook's.
    log_project = DIVERGES / "project" / "nbdiv"
    assert main(["--json", "--project", str(log_project), str(DIVERGES / "run.ipynb")]) == 0
    captured = capsys.readouterr()
    (report,) = json.loads(captured.out)["reports"]
    assert report["pattern"] == "training-diverged"
    assert report["hyperparameter"]["name"] == "learning_rate"
    assert "/notebook-project/" in report["source"]
    assert [t["number"] for t in report["trials"]] == [1, 2]
    assert report["risk"] and "adaptive optimizer" in report["risk"][0]["reason"]
    assert "project/nbdiv not used for the notebook's run" in captured.err


def test_a_notebook_with_no_printed_objective_uses_no_project(capsys):
    # Every trial of it failed: nothing proves which run a project beside it is.
    path = CAPTURED / "keras3" / "seed-input-shape-mismatch" / "run.ipynb"
    assert main(["--json", str(path)]) == 0
    reports = json.loads(capsys.readouterr().out)["reports"]
    assert all("trial.json" not in r["source"] for r in reports)
