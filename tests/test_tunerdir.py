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


def _log_with_project(tmp_path, log_run: str, project_run: str):
    """A log of one captured run beside the project directory of another."""
    import shutil

    shutil.copy(CAPTURED / "keras3" / log_run / "run.log", tmp_path / "run.log")
    (project,) = (CAPTURED / "keras3" / project_run / "project").iterdir()
    shutil.copytree(project, tmp_path / "tuner" / project.name)
    return tmp_path / "run.log"


def test_a_project_of_another_run_with_other_names_is_not_merged(tmp_path, capsys):
    # seed 1's log tunes `units`; seed 3's project (Hyperband) tunes `learning_rate`: they
    # share no name, which once made them "agree" vacuously
    log = _log_with_project(tmp_path, "seed-input-shape-mismatch", "seed-adam-huge-learning-rate")
    assert main([str(log), "--json"]) == EXIT_OK
    captured = capsys.readouterr()
    trials = [t for r in json.loads(captured.out)["reports"] for t in r["trials"]]
    assert [t["hyperparameters"] for t in trials] == [{"units": 96}, {"units": 512}, {"units": 128}]
    assert all(t["id"] is None for t in trials)
    notes = [line for line in captured.err.splitlines() if "not used" in line]
    assert len(notes) == 1
    assert "units are not in its search space" in notes[0] and "learning_rate" in notes[0]


def test_a_project_of_another_run_with_other_values_is_not_merged(tmp_path, capsys):
    # hp-oom-huge-dense also tunes only `units`, but its trials had 128, 256, 250000
    log = _log_with_project(tmp_path, "seed-input-shape-mismatch", "hp-oom-huge-dense")
    assert main([str(log), "--json"]) == EXIT_OK
    captured = capsys.readouterr()
    trials = [t for r in json.loads(captured.out)["reports"] for t in r["trials"]]
    assert all(t["id"] is None for t in trials)
    assert "trial #1 printed units=96, its trial_0000 has units=128" in captured.err


def test_the_project_of_the_same_run_is_merged_without_a_note(tmp_path, capsys):
    log = _log_with_project(tmp_path, "seed-input-shape-mismatch", "seed-input-shape-mismatch")
    assert main([str(log), "--json"]) == EXIT_OK
    captured = capsys.readouterr()
    trials = [t for r in json.loads(captured.out)["reports"] for t in r["trials"]]
    assert [t["id"] for t in trials] == ["0", "1", "2"]
    assert "not used" not in captured.err


def test_values_compare_as_the_table_prints_them():
    from ktexplain.sources.tunerdir import _same

    assert _same(0.00012346, 0.000123456789)  # .5g
    assert not _same(0.0001235, 0.000123456789)
    assert _same(3, "0003")  # Hyperband's tuner/trial_id
    assert _same("relu_with_a_ver...", "relu_with_a_very_long_name", truncated=True)
    assert not _same("relu_with_a_ver...", "relu_with_another_name", truncated=True)
    assert not _same(True, 1)


def test_a_directory_of_completed_but_diverged_trials_is_a_silent_failure(capsys):
    # seed 3: Adam with learning_rate 100..1000; every trial COMPLETED, losses ~1e6..1e9
    project = CAPTURED / "keras3" / "seed-adam-huge-learning-rate" / "project" / "seed3"
    assert main([str(project), "--json"]) == EXIT_OK
    (report,) = json.loads(capsys.readouterr().out)["reports"]
    assert report["pattern"] == "training-diverged"
    assert report["exception"]["type"] == "TrainingDiverged"
    assert "training loss became 8.115e+07 where" in report["exception"]["message"]
    assert report["hyperparameter"]["name"] == "learning_rate"
    assert report["occurrences"] == 10
    assert "for Adam or RMSprop search hp.Float('learning_rate', min_value=1e-4" in report["fix"]
    assert report["region"]["verdict"] == "everywhere"


def test_a_directory_of_trials_that_trained_stays_silent_about_them():
    # region-conv-blocks-depth: 7 completed trials with a sane loss (about ln 10), 5 failed
    reading = read_project(CAPTURED / "keras3" / "region-conv-blocks-depth" / "project" / "depth")
    assert len(reading.failures) == 5
    assert not any(f.exception.type == "TrainingDiverged" for f in reading.failures)
    assert sum(t.status == "COMPLETED" for t in reading.trials) == 7


def test_metrics_are_judged_against_what_the_loss_can_be():
    from ktexplain.sources.tunerdir import judge_metrics

    assert judge_metrics({"loss": 2.4, "accuracy": 0.1}) is None  # ln 10: an honest start
    diverged = judge_metrics({"loss": 5e4, "accuracy": 0.1})
    assert diverged is not None and "2.3 for the 10 classes" in diverged.message
    assert "ln 2" in judge_metrics({"loss": 900.0, "binary_accuracy": 0.5}).message
    assert judge_metrics({"loss": 40.0, "binary_accuracy": 0.5}) is None
    # a trained classifier: k unknown, the generous bound (100 × ln 1000) applies
    assert judge_metrics({"loss": 300.0, "accuracy": 0.9}) is None
    assert judge_metrics({"loss": 1e6, "accuracy": 0.9}) is not None
    # an MSE without an accuracy metric has no bound a directory can tell
    assert judge_metrics({"loss": 1e9}) is None
    assert judge_metrics({"loss": float("nan")}).message == "training loss became nan"
