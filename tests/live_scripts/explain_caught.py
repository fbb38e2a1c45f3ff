"""`ktexplain.explain(exc)` on errors the user caught: nothing printed, reports returned.

Prints one JSON object per case: a construction error (seed example 2), the consecutive-failure
RuntimeError (seed example 1, the oracle's trials), and a chained error raised from build_model.
"""

import json
import sys

import keras
import keras_tuner as kt
import numpy as np

import ktexplain
from ktexplain.render import reports_to_json
from ktexplain.sources.live import failures_from_exception


def build_conv(hp):
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(
                filters=hp.Int("filters", min_value=0, max_value=64, step=16), kernel_size=3
            ),
        ]
    )


def build_dense(hp):
    model = keras.Sequential(
        [
            keras.Input(shape=(10,)),
            keras.layers.Dense(hp.Int("units", min_value=32, max_value=512, step=32)),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


def build_chained(hp):
    rate = hp.Float("rate", min_value=0.1, max_value=0.5)
    try:
        keras.layers.Dropout(rate=rate + 1)
    except ValueError as exc:
        raise TypeError("\x1b[1mcould not make the dropout layer\x1b[0m") from exc
    raise AssertionError("Dropout(rate>1) was expected to fail")


def build_nothing(hp):
    hp.Choice("optimizer", ["adam", "sgd"])
    return None  # forgot the `return model`: keras-tuner raises a FatalTypeError in trial #1


def show(case, exc):
    failures = failures_from_exception(exc)
    print(
        json.dumps(
            {
                "case": case,
                "chains": [[(r.type, r.message[:300]) for r in f.chain] for f in failures],
                "trials": [
                    None
                    if f.trial is None
                    else {
                        "number": f.trial.number,
                        "id": f.trial.trial_id,
                        "construction": f.trial.construction,
                        "values": dict(f.trial.hyperparameters),
                        "space": [s.describe() for s in f.trial.space],
                    }
                    for f in failures
                ],
                "tripped": [f.tripped_limit for f in failures],
                "reports": reports_to_json(ktexplain.explain(exc))["reports"],
            }
        )
    )


def tuner(build, name, **kwargs):
    return kt.RandomSearch(
        build,
        objective="val_loss",
        directory="tuner",
        project_name=name,
        overwrite=True,
        seed=1,
        **kwargs,
    )


try:
    tuner(build_conv, "conv", max_trials=2)
except ValueError as exc:
    show("construction", exc)

try:
    search = tuner(build_dense, "dense", max_trials=5)
    rng = np.random.default_rng(0)
    search.search(
        rng.random((20, 20)), rng.random((20, 1)), epochs=1, validation_split=0.2, verbose=0
    )
except RuntimeError as exc:
    show("limit", exc)

try:
    tuner(build_chained, "chained", max_trials=2)
except TypeError as exc:
    show("chained", exc)
try:
    search = tuner(build_nothing, "fatal", max_trials=2)
    search.search(np.zeros((4, 10)), np.zeros((4, 1)), epochs=1, verbose=0)
except TypeError as exc:
    show("fatal", exc)
sys.stdout.flush()
