"""`ktexplain.check` / `ktexplain check FILE:FUNCTION`: a live check of the space before the search.
Real TensorFlow, in this process (one import for the whole file), tiny models, few builds."""

from __future__ import annotations

import io
import json
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import SCENARIOS

from ktexplain import livecheck
from ktexplain.cli import main as cli_main

SEED = SCENARIOS / "seed-conv-filters-zero.py"

DEPTH_SCRIPT = """
import numpy as np
import keras
import keras_tuner as kt


def build_model(hp):
    model = keras.Sequential([keras.Input(shape=(28, 28, 1))])
    for i in range(hp.Int("num_blocks", min_value=1, max_value=6)):
        model.add(keras.layers.Conv2D(hp.Choice(f"filters_{i}", [4, 8]), 3, activation="relu"))
        model.add(keras.layers.MaxPooling2D(2))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def sample():
    rng = np.random.default_rng(0)
    return rng.random((8, 28, 28, 1)).astype("float32"), rng.integers(0, 10, size=(8,))


tuner = kt.RandomSearch(build_model, objective="val_loss", max_trials=2, overwrite=True,
                        directory=open("tuner-was-constructed", "w").name)
tuner.search(*sample(), epochs=1)
"""

CLEAN_SCRIPT = """
import numpy as np
import keras


def build_model(hp):
    model = keras.Sequential([keras.Input(shape=(4,))])
    model.add(keras.layers.Dense(hp.Int("units", 2, 8, step=3), activation="relu"))
    if hp.Boolean("dropout"):
        model.add(keras.layers.Dropout(0.5))
    model.add(keras.layers.Dense(1))
    model.compile(optimizer=hp.Choice("optimizer", ["adam", "sgd"]), loss="mse")
    return model


x = np.random.default_rng(0).random((8, 4)).astype("float32")
y = x.sum(axis=1, keepdims=True)

if __name__ == "__main__":
    raise SystemExit("the __main__ block must not run")
"""


def _script(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = cli_main(["check", *args, "--no-color"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- no TensorFlow needed ------------------------------------------------------------------------
def test_a_function_target_is_recognised():
    assert livecheck.is_live_target("train.py:build_model")
    assert livecheck.is_live_target("dir/train.py:build")
    assert not livecheck.is_live_target("train.py")
    assert not livecheck.is_live_target("my_dir/my_project")
    assert not livecheck.is_live_target("train.py:")


def test_loading_a_script_skips_the_tuner_and_the_search(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    script = _script(
        tmp_path,
        "train.py",
        """
        import math
        WIDTH = 3 * 2

        def build_model(hp):
            return WIDTH

        tuner = RandomSearch(build_model)
        tuner.search(x, y)
        print("top-level call")
        for i in range(3):
            raise SystemExit("a loop at the top must not run")
        if __name__ == "__main__":
            raise SystemExit("no")
        """,
    )
    build_model, scope = livecheck.load_function(script, "build_model")
    assert build_model(None) == 6
    assert "tuner" not in scope and scope["__name__"] != "__main__"
    with pytest.raises(livecheck.ScriptError, match="no function 'missing'"):
        livecheck.load_function(script, "missing")


@pytest.mark.slow
def test_corner_values_are_the_values_the_step_reaches():
    kt = pytest.importorskip("keras_tuner")
    hp = kt.HyperParameters()
    hp.Int("filters", min_value=0, max_value=60, step=16)
    hp.Float("rate", min_value=0.1, max_value=0.5)
    hp.Choice("act", ["relu", "tanh", "gelu"])
    hp.Boolean("bn")
    levels = {p.name: livecheck._levels(p) for p in hp.space}
    assert levels == {
        "filters": [0, 48],
        "rate": [0.1, 0.5],
        "act": ["relu", "tanh", "gelu"],
        "bn": [False, True],
    }


# -- real builds -------------------------------------------------------------------------------
@pytest.mark.slow
def test_seed_filters_zero_is_caught_before_any_search(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the script's tuner would write ./tuner: it must not run
    code, out, err = _cli(capsys, f"{SEED}:build_model", "--data", "x_train,y_train")
    assert code == 1, out + err
    assert "filters = 0" in out
    assert "hp.Int('filters', min_value=16, max_value=64, step=16)" in out
    assert "narrowest change to the space:" in out
    assert not (tmp_path / "tuner").exists()


@pytest.mark.slow
def test_depth_that_shrinks_the_image_below_the_kernel_is_caught_with_its_region(tmp_path):
    monkey_dir = tmp_path
    script = _script(tmp_path, "depth.py", DEPTH_SCRIPT)
    sys.path.insert(0, str(monkey_dir))
    try:
        build_model, scope = livecheck.load_function(script, "build_model")
    finally:
        sys.path.remove(str(monkey_dir))
    assert not (tmp_path / "tuner-was-constructed").exists()
    x, y = scope["sample"]()
    out = io.StringIO()
    result = livecheck.check(build_model, x, y, max_builds=14, file=out)
    assert not result.ok and result.exit_code == 1
    assert len(result.reports) == 1
    region = result.reports[0].region
    assert region is not None and region.verdict == "separates", out.getvalue()
    assert [c.describe() for c in region.conditions] == ["num_blocks ≥ 4"]
    assert [c.after for c in result.changes] == ["hp.Int('num_blocks', min_value=1, max_value=3)"]
    assert {b.values["num_blocks"] for b in result.failed_builds} >= {4, 6}
    assert all(b.values["num_blocks"] >= 4 for b in result.failed_builds)
    assert "every trial with num_blocks ≥ 4 failed" in out.getvalue()


@pytest.mark.slow
def test_a_clean_space_exits_zero_and_its_main_block_does_not_run(capsys, tmp_path):
    script = _script(tmp_path, "clean.py", CLEAN_SCRIPT)
    code, out, err = _cli(capsys, f"{script}:build_model", "--data", "x,y", "--json")
    assert code == 0, out + err
    document = json.loads(out)
    assert document["ok"] and document["reports"] == []
    values = [c["values"] for c in document["configurations"]]
    assert {v["units"] for v in values} == {2, 8}  # 8 is the largest value step=3 reaches
    assert {v["dropout"] for v in values} == {False, True}
    assert {v["optimizer"] for v in values} == {"adam", "sgd"}
    assert not document["budget_cut"]


@pytest.mark.slow
def test_budget_cut_and_divergence_are_said(capsys):
    import keras
    import numpy as np

    def build_model(hp):
        model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
        rate = hp.Choice("learning_rate", [0.01, 1e12])
        for i in range(4):
            hp.Boolean(f"unused_{i}")
        model.compile(optimizer=keras.optimizers.SGD(rate), loss="mse")
        return model

    x = np.ones((8, 4), "float32")
    y = np.full((8, 1), 10.0, "float32")
    out = io.StringIO()
    result = livecheck.check(build_model, x, y, max_builds=4, file=out)
    assert result.budget_cut and len(result.builds) == 4
    assert "budget: stopped at max_builds=4" in out.getvalue()
    assert result.reports and result.reports[0].diagnosis.pattern_id == "training-diverged"
    assert result.reports[0].diagnosis.hyperparameter.name == "learning_rate"


@pytest.mark.slow
def test_conditional_scopes_are_followed():
    import keras

    seen: set[str] = set()

    def build_model(hp):
        kind = hp.Choice("kind", ["dense", "wide"])
        with hp.conditional_scope("kind", ["wide"]):
            if kind == "wide":
                seen.add("wide")
                units = hp.Int("wide_units", 0, 8, step=8)
        model = keras.Sequential([keras.Input(shape=(4,))])
        model.add(keras.layers.Dense(units if kind == "wide" else 4))
        model.compile(optimizer="adam", loss="mse")
        return model

    result = livecheck.check(build_model, max_builds=10, quiet=True)
    assert "wide" in seen
    assert "wide_units" in {s.name for s in result.space}
    assert not result.ok
    changes = [c.after for c in result.changes]
    assert changes == ["hp.Int('wide_units', min_value=8, max_value=8, step=8)"]


@pytest.mark.slow
def test_ctrl_c_prints_what_was_found_so_far():
    import keras

    calls = []

    def build_model(hp):
        calls.append(1)
        units = hp.Int("units", 0, 4, step=4)
        hp.Boolean("a")
        hp.Boolean("b")
        if len(calls) == 3:
            raise KeyboardInterrupt
        model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(units)])
        model.compile(optimizer="adam", loss="mse")
        return model

    out = io.StringIO()
    result = livecheck.check(build_model, max_builds=20, file=out)
    assert result.interrupted and len(result.builds) == 2
    assert result.exit_code == 1 and result.reports  # units=0 at the defaults
    assert "interrupted after 2 configurations" in out.getvalue()
