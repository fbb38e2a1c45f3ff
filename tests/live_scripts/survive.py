"""A search that survives its failures (never 3 in a row), run twice: explained, then not.

argv[1] is "before" (keras_tuner imported before install) or "after". The first search runs
with ktexplain installed, the second after uninstall(); both print their trials' outcome so the
test can check that ktexplain changed nothing.
"""

import sys

if sys.argv[1] == "before":
    import keras_tuner  # noqa: F401

import ktexplain

ktexplain.install()

import keras  # noqa: E402
import keras_tuner as kt  # noqa: E402
import numpy as np  # noqa: E402


def build_model(hp):
    activation = hp.Choice("activation", ["relu", "sigmoidd"])  # a typo, in half the grid
    model = keras.Sequential(
        [
            keras.Input(shape=(10,)),
            keras.layers.Dense(hp.Choice("units", [4, 8]), activation=activation),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


def score(trial):
    return None if trial.score is None else float(trial.score)


def run(project):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    tuner = kt.GridSearch(
        build_model,
        objective="val_loss",
        max_trials=4,
        directory="tuner",
        project_name=project,
        overwrite=True,
    )
    tuner.search(rng.random((32, 10)), rng.random((32, 1)), epochs=1, validation_split=0.25)
    outcome = [
        (t.trial_id, t.status, t.hyperparameters.values, score(t))
        for t in tuner.oracle.trials.values()
    ]
    best = tuner.get_best_hyperparameters()[0].values
    sys.stdout.flush()
    print(f"OUTCOME {outcome!r}", flush=True)
    print(f"BEST {best!r}", flush=True)


print("=== SEARCH WITH KTEXPLAIN", flush=True)
print("=== SEARCH WITH KTEXPLAIN", file=sys.stderr, flush=True)
run("explained")
ktexplain.uninstall()
base = sys.modules["keras_tuner.src.engine.base_tuner"].BaseTuner
display = sys.modules["keras_tuner.src.engine.oracle"].Display
watched = [(base, "search"), (base, "on_search_begin"), (base, "on_search_end")]
watched += [(base, "on_trial_end"), (display, "on_trial_end")]
patched = [name for owner, name in watched if hasattr(vars(owner)[name], "__wrapped__")]
print(f"PATCHED AFTER UNINSTALL {patched!r}", flush=True)
print("=== SEARCH AFTER UNINSTALL", flush=True)
print("=== SEARCH AFTER UNINSTALL", file=sys.stderr, flush=True)
run("plain")
