"""One process of a distributed search (chief or worker, by KERASTUNER_TUNER_ID): a Dropout
rate from a Choice where 1.5 and 2.5 are invalid. The rate in each failure's message tells the
failed trials apart, since a worker's log prints no trial id."""

import keras
import keras_tuner as kt
import numpy as np


def build_model(hp):
    model = keras.Sequential(
        [
            keras.Input(shape=(4,)),
            keras.layers.Dense(4, activation="relu"),
            keras.layers.Dropout(hp.Choice("rate", [0.1, 0.3, 1.5, 2.5])),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


rng = np.random.default_rng(0)
tuner = kt.GridSearch(
    build_model,
    objective="val_loss",
    max_trials=4,
    max_consecutive_failed_trials=4,
    directory="my_dir",
    project_name="dist",
)
tuner.search(rng.random((16, 4)), rng.random((16, 1)), epochs=1, validation_split=0.25)
