"""`ktexplain check`: the search space's risks, found before anything runs."""

from __future__ import annotations

import json

from conftest import CAPTURED, SCENARIOS

from ktexplain.cli import main
from ktexplain.lint import lint, space_from_source


def _findings(source: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for finding in lint(space_from_source(source)):
        out.setdefault(finding.name, []).append(f"{finding.reason} | {finding.patched}")
    return out


def test_the_seed_filters_that_can_be_zero_are_caught_before_any_search(capsys):
    script = SCENARIOS / "seed-conv-filters-zero.py"
    assert main(["check", str(script)]) == 1
    out = capsys.readouterr().out
    assert "seed-conv-filters-zero.py:12: warning: hp.Int('filters', min_value=0" in out
    assert "use: hp.Int('filters', min_value=16, max_value=64, step=16)" in out


def test_a_clean_space_exits_0(capsys):
    assert main(["check", str(SCENARIOS / "seed-input-shape-mismatch.py")]) == 0
    assert capsys.readouterr().out == ""


def test_a_project_directory_is_checked_from_its_oracle(capsys):
    project = CAPTURED / "keras3" / "seed-adam-huge-learning-rate" / "project" / "seed3"
    assert main(["check", str(project), "--json"]) == 1
    (findings,) = json.loads(capsys.readouterr().out)["findings"].values()
    assert [f["name"] for f in findings] == ["learning_rate"]  # not Hyperband's tuner/*
    assert findings[0]["patched"] == (
        "hp.Float('learning_rate', min_value=0.0001, max_value=0.01, sampling='log')"
    )


def test_scenario_spaces_with_a_planted_range_fault_are_flagged():
    for name in (
        "hp-dropout-rate-percent",
        "hp-choice-mixed-types",
        "hp-log-sampling-min-zero",
        "hp-int-min-greater-than-max",
        "seed-adam-huge-learning-rate",
        "hp-dense-units-zero",
        "hp-embedding-output-dim-zero",
    ):
        source = (SCENARIOS / f"{name}.py").read_text()
        assert lint(space_from_source(source)), name


def test_both_dialects_spellings_and_what_each_definition_feeds():
    # Keras 2 code: positional hp arguments, `lr=`, tf.keras paths, Dropout's positional rate
    found = _findings(
        "from tensorflow import keras\n"
        "def build(hp):\n"
        "    m = keras.Sequential()\n"
        "    m.add(keras.layers.Conv2D(hp.Choice('conv', [0, 16, 32]), 3))\n"
        "    m.add(keras.layers.Dropout(hp.Float('drop', 0.0, 1.0, step=0.25)))\n"
        "    m.add(keras.layers.Dense(hp.Int('width', 8, 64, 128)))\n"
        "    opt = keras.optimizers.RMSprop(lr=hp.Float('step_size', 0.5, 5.0))\n"
        "    hp.Choice('act', ['relu', 'tanh'], default='gelu')\n"
        "    hp.Int('depth', 1, 4, default=9)\n"
    )
    assert found["conv"] == ["filters cannot be 0 | hp.Choice('conv', values=[16, 32])"]
    assert found["drop"][0].endswith("| hp.Float('drop', min_value=0.0, max_value=0.75, step=0.25)")
    assert "step 128 is larger than the range 8..64" in found["width"][0]
    assert "makes RMSprop diverge" in found["step_size"][0]
    assert "default 'gelu' is not one of the values" in found["act"][0]
    assert "default 9 is outside 1..4" in found["depth"][0]


def test_an_sgd_learning_rate_is_not_judged_as_an_adaptive_one():
    assert _findings("SGD(learning_rate=hp.Float('lr', 0.1, 2.0))") == {}


# -- the same risk, on the report of a failed run ----------------------------------------------
def test_a_failed_runs_report_shows_the_risk_the_lint_would_have_flagged(capsys):
    log = CAPTURED / "keras3" / "seed-conv-filters-zero" / "run.log"
    assert main(["--no-color", "--source", str(SCENARIOS), str(log)]) == 0
    panel = capsys.readouterr().out
    risk = next(line for line in panel.splitlines() if "│ risk" in line)
    assert "filters must be at least 1, and this range reaches 0" in risk
    assert main(["--json", "--source", str(SCENARIOS), str(log)]) == 0
    (report,) = json.loads(capsys.readouterr().out)["reports"]
    assert report["risk"] == [
        {
            "name": "filters",
            "definition": "hp.Int('filters', min_value=0, max_value=64, step=16)",
            "reason": "filters must be at least 1, and this range reaches 0",
            "patched": "hp.Int('filters', min_value=16, max_value=64, step=16)",
            "line": None,
        }
    ]


def test_the_seed_learning_rate_from_its_directory_carries_the_adaptive_optimizer_risk(capsys):
    project = CAPTURED / "keras3" / "seed-adam-huge-learning-rate" / "project" / "seed3"
    assert main(["--json", str(project)]) == 0
    reports = json.loads(capsys.readouterr().out)["reports"]
    (risk,) = reports[0]["risk"]
    assert risk["name"] == "learning_rate"
    assert "makes an adaptive optimizer diverge" in risk["reason"]


def test_a_blamed_definition_the_lint_does_not_flag_has_no_risk(capsys):
    log = CAPTURED / "keras3" / "region-conv-blocks-depth" / "run.log"
    assert main(["--json", "--source", str(SCENARIOS), str(log)]) == 0
    report = json.loads(capsys.readouterr().out)["reports"][0]
    assert report["hyperparameter"]["name"] == "num_blocks"
    assert report["risk"] == []
