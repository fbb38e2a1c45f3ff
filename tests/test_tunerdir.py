"""Keras Tuner project directories, as the real runs left them."""

from __future__ import annotations

import json

from conftest import CAPTURED, read_fixture

from ktexplain.cli import EXIT_OK, EXIT_USAGE, main
from ktexplain.sources.tunerdir import find_projects, read_project

SEED1_DIR = CAPTURED / "keras3" / "seed-input-shape-mismatch" / "project"


def test_failed_trials_carry_id_values_space_and_traceback():
    (project,) = find_projects(SEED1_DIR)
    reading = read_project(project)
    assert [f.trial.trial_id for f in reading.failures] == ["0", "1"]
    assert [f.trial.hyperparameters for f in reading.failures] == [{"units": 96}, {"units": 512}]
    space = reading.failures[0].trial.space
    assert space[0].describe() == "hp.Int('units', min_value=32, max_value=512, step=32)"
    assert (
        "expected axis -1 of input shape to have value 10" in reading.failures[0].exception.message
    )


def test_the_trial_that_tripped_the_limit_is_named_not_guessed():
    reading = read_project(SEED1_DIR / "seed1")
    (note,) = reading.notes
    assert "trial 2" in note and "RUNNING" in note and "RuntimeError" in note


def test_cli_reads_a_tuner_directory(capsys):
    code = main([str(SEED1_DIR), "--json"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK
    report = json.loads(out)["reports"][0]
    assert report["occurrences"] == 2
    assert [t["id"] for t in report["trials"]] == ["0", "1"]
    assert "still RUNNING" in err


def test_a_directory_without_trials_is_rejected(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    assert main([str(tmp_path)]) == EXIT_USAGE
    assert "not a Keras Tuner project" in capsys.readouterr().err


def test_a_broken_trial_json_is_skipped_with_a_note(tmp_path):
    broken = tmp_path / "trial_00"
    broken.mkdir()
    (broken / "trial.json").write_text("{not json")
    reading = read_project(tmp_path)
    assert reading.failures == [] and "skipped" in reading.notes[0]


def test_a_project_next_to_a_log_is_found_and_the_crawl_is_bounded(tmp_path):
    import shutil

    from ktexplain.sources.tunerdir import nearby_projects

    log = tmp_path / "run.log"
    log.write_text("")
    shutil.copytree(SEED1_DIR / "seed1", tmp_path / "tuner" / "seed1")
    assert nearby_projects(log) == [(tmp_path / "tuner" / "seed1").resolve()]
    for index in range(50):
        (tmp_path / f"noise{index:02}").mkdir()
    # the project is at depth 2, after 51 folders at depth 1: a budget of 20 stops before it
    assert nearby_projects(log, budget=20) == []


def test_a_log_trial_is_completed_from_the_project(database):
    from ktexplain import pipeline

    # hp-batch-size-float: batch_size is registered in fit(), after trial 1's table was printed
    log = CAPTURED / "keras3" / "hp-batch-size-float" / "run.log"
    (first, *_) = read_fixture(log)
    assert first.trial.trial_id is not None
    assert "batch_size" in first.trial.hyperparameters
    report = pipeline.reports([first], database)[0]
    assert report.diagnosis.hyperparameter.name == "batch_size"
