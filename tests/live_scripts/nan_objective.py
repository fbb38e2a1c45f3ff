"""A trial whose objective is NaN: keras-tuner marks it FAILED with no message and no traceback.

Nothing is raised and nothing is printed by keras-tuner; ktexplain explains it per trial anyway.
"""

import ktexplain

ktexplain.install()

import keras  # noqa: E402
import keras_tuner as kt  # noqa: E402
import numpy as np  # noqa: E402


def build_model(hp):
    learning_rate = hp.Choice("learning_rate", [1e-3, 1e9])
    model = keras.Sequential(
        [keras.Input(shape=(4,)), keras.layers.Dense(8), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    return model


tuner = kt.GridSearch(
    build_model,
    objective="val_loss",
    max_trials=2,
    directory="tuner",
    project_name="nan",
    overwrite=True,
)
rng = np.random.default_rng(0)
x, y = rng.random((64, 4)) * 100, rng.random((64, 1)) * 100
tuner.search(x, y, epochs=3, validation_split=0.25, verbose=0)
print("STATUSES", [t.status for t in tuner.oracle.trials.values()], flush=True)
