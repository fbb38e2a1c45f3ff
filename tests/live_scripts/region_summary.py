"""A search that survives its failures, whose failures are a region of the space: a conv stack
on 8×8 images where num_blocks ≥ 4 shrinks the feature map to nothing (8 → 6 → 4 → 2 → 0).

The end-of-search summary must say so: every trial with num_blocks ≥ 4 failed, none of the
completed ones did, and the patched definition.
"""

import ktexplain

ktexplain.install()

import keras  # noqa: E402
import keras_tuner as kt  # noqa: E402
import numpy as np  # noqa: E402


def build_model(hp):
    model = keras.Sequential([keras.Input(shape=(8, 8, 1))])
    for _ in range(hp.Int("num_blocks", min_value=1, max_value=5)):
        model.add(keras.layers.Conv2D(2, 3, activation="relu"))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(1))
    model.compile(optimizer="adam", loss="mse")
    return model


keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
tuner = kt.GridSearch(
    build_model,
    objective="val_loss",
    max_trials=5,
    directory="tuner",
    project_name="region",
    overwrite=True,
)
tuner.search(rng.random((16, 8, 8, 1)), rng.random((16, 1)), epochs=1, validation_split=0.25)
statuses = {t.hyperparameters.values["num_blocks"]: t.status for t in tuner.oracle.trials.values()}
print(f"STATUSES {sorted(statuses.items())!r}", flush=True)
