"""Attribution across trials: which region of the search space fails with a cause."""

from __future__ import annotations

import json

from conftest import CAPTURED, SCENARIOS

from ktexplain import pipeline
from ktexplain.attribution import Outcome, attribute
from ktexplain.cli import EXIT_OK, main, read_failures
from ktexplain.failure import HyperParameterSpec

DEPTH = CAPTURED / "keras3" / "region-conv-blocks-depth"


def _region(path, database):
    trials: list = []
    failures = read_failures(str(path), [SCENARIOS], [], trials)
    (report,) = pipeline.reports(failures, database, trials)
    return report.region


def test_a_depth_threshold_is_found_in_a_real_run_from_its_log_and_its_directory(database):
    # 12 real trials: #3, #7, #9, #10, #12 (num_blocks 4 or 6) failed, the 7 with 1 or 2 trained
    for path in (DEPTH / "run.log", DEPTH / "project" / "depth"):
        region = _region(path, database)
        assert region.verdict == "separates", path
        assert [c.describe() for c in region.conditions] == ["num_blocks ≥ 4"]
        assert [c.describe() for c in region.safe] == ["num_blocks ≤ 2"]
        assert (region.failed, region.succeeded) == (5, 7)
        assert region.patched == ("hp.Int('num_blocks', min_value=1, max_value=3)",)
        # filters_3 = 8 or 16 is in the failures and in completed trials: it only co-occurs
        assert not any("filters" in text for text in region.also)
        chart = {b.low: (b.failed, b.succeeded) for b in region.chart}
        assert chart == {1: (0, 3), 2: (0, 4), 3: (0, 0), 4: (4, 0), 5: (0, 0), 6: (1, 0)}


def test_one_failure_is_too_few_to_tell(database):
    region = _region(CAPTURED / "keras3" / "shape-conv-blocks-shrink" / "run.log", database)
    assert region.verdict == "too-few"
    assert (region.failed, region.succeeded) == (1, 3)
    assert "too few trials to tell" in region.sentence()
    assert region.patched == ()


def test_every_trial_failing_is_not_a_region(database):
    region = _region(CAPTURED / "keras3" / "seed-input-shape-mismatch" / "run.log", database)
    assert region.verdict == "everywhere"


def test_region_in_the_panel_and_in_json(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    args = [str(DEPTH / "run.log"), "--source", str(SCENARIOS)]
    assert main([*args, "--no-color"]) == EXIT_OK
    panel = capsys.readouterr().out
    assert "every trial with num_blocks ≥ 4 failed with this cause (5 of 5)" in panel
    assert "patch: hp.Int('num_blocks', min_value=1, max_value=3)" in panel
    assert "4 ████ 4 failed, 0 ok" in panel
    assert main([*args, "--json"]) == EXIT_OK
    (report,) = json.loads(capsys.readouterr().out)["reports"]
    region = report["region"]
    assert region["verdict"] == "separates"
    assert region["conditions"] == [{"name": "num_blocks", "op": ">=", "value": 4}]
    assert region["patched"] == ["hp.Int('num_blocks', min_value=1, max_value=3)"]
    assert region["chart"]["name"] == "num_blocks"


# -- the rules, on hand-made trial tables -----------------------------------------------------
def _outcomes(rows):
    return [Outcome(f"#{i}", values, failed) for i, (values, failed) in enumerate(rows, 1)]


def test_a_choice_value_that_separates_is_blamed_and_one_that_co_occurs_is_not():
    rows = [
        ({"optimizer": "sgd", "units": 32}, True),
        ({"optimizer": "sgd", "units": 64}, True),
        ({"optimizer": "adam", "units": 32}, False),
        ({"optimizer": "adam", "units": 64}, False),
        ({"optimizer": "rmsprop", "units": 32}, False),
    ]
    space = {"optimizer": HyperParameterSpec("optimizer", "Choice", {"values": ["adam", "sgd"]})}
    region = attribute(_outcomes(rows), space)
    assert [c.describe() for c in region.conditions] == ["optimizer = 'sgd'"]
    assert region.patched == ("hp.Fixed('optimizer', 'adam')",)
    assert "only" not in region.sentence() and "(2 of 2)" in region.sentence()


def test_a_pair_is_found_when_no_single_hyperparameter_separates():
    # fails only when deep AND wide: neither alone separates
    rows = [
        ({"layers": 4, "units": 512}, True),
        ({"layers": 3, "units": 512}, True),
        ({"layers": 4, "units": 64}, False),
        ({"layers": 1, "units": 512}, False),
        ({"layers": 1, "units": 64}, False),
        ({"layers": 3, "units": 128}, False),
    ]
    region = attribute(_outcomes(rows))
    assert region.verdict == "separates"
    assert sorted(c.describe() for c in region.conditions) == ["layers ≥ 3", "units ≥ 512"]


def test_unique_float_values_are_not_a_set_that_separates():
    rows = [
        ({"dropout": 0.13, "lr": 0.5}, True),
        ({"dropout": 0.71, "lr": 0.9}, True),
        ({"dropout": 0.42, "lr": 0.001}, False),
        ({"dropout": 0.05, "lr": 0.01}, False),
    ]
    space = {"lr": HyperParameterSpec("lr", "Float", {"min_value": 1e-4, "max_value": 1.0})}
    region = attribute(_outcomes(rows), space)
    assert [c.describe() for c in region.conditions] == ["lr ≥ 0.5"]
    assert region.patched == ("hp.Float('lr', min_value=0.0001, max_value=0.45)",)


def test_no_separation_is_said_plainly():
    rows = [
        ({"units": 32}, True),
        ({"units": 64}, False),
        ({"units": 32}, False),
        ({"units": 64}, True),
    ]
    region = attribute(_outcomes(rows))
    assert region.verdict == "none"
    assert "not a region" in region.sentence()


# -- real runs: an interaction of two, a clean run, a notebook -----------------------------------
KERNEL_DEPTH = CAPTURED / "keras3" / "region-conv1d-kernel-by-depth"


def test_an_interaction_of_two_hyperparameters_is_found_in_a_real_run(database):
    # GridSearch over kernel_size {2, 4} × num_layers {1, 2, 3} on 6-step sequences: only
    # (4, 2) and (4, 3) fail. kernel_size = 4 trains with 1 layer, 2-3 layers train with 2.
    for path in (KERNEL_DEPTH / "run.log", KERNEL_DEPTH / "project" / "kernel_depth"):
        region = _region(path, database)
        assert region.verdict == "separates", path
        assert (region.failed, region.succeeded) == (2, 4), path
        assert [c.describe() for c in region.conditions] == ["kernel_size ≥ 4", "num_layers ≥ 2"]
        assert [c.describe() for c in region.safe] == ["kernel_size ≤ 2", "num_layers ≤ 1"]
        # Either patch removes the region.
        assert region.patched == (
            "hp.Fixed('kernel_size', 2)",
            "hp.Int('num_layers', min_value=1, max_value=1)",
        )


def test_neither_hyperparameter_of_the_interaction_separates_alone():
    from ktexplain.attribution import Condition

    trials = [
        (t.hyperparameters, t.status) for t in _trials(KERNEL_DEPTH / "project" / "kernel_depth")
    ]
    failed = [v for v, status in trials if status == "FAILED"]
    completed = [v for v, status in trials if status == "COMPLETED"]
    assert len(failed) == 2 and len(completed) == 4
    for single in (Condition("kernel_size", ">=", 4), Condition("num_layers", ">=", 2)):
        assert all(single.holds(v) for v in failed)
        assert any(single.holds(v) for v in completed)  # so it is not the region on its own


def _trials(path):
    trials: list = []
    read_failures(str(path), [SCENARIOS], [], trials)
    return trials


def test_a_clean_real_run_stays_silent(capsys):
    clean = CAPTURED / "keras3" / "clean-small-dense-search"
    for path in (clean / "run.log", clean / "project" / "clean"):
        assert main(["--json", str(path)]) == 3, path
        captured = capsys.readouterr()
        assert json.loads(captured.out)["reports"] == []
        assert "no failed trial or traceback found" in captured.err
