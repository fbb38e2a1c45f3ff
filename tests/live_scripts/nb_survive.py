# A notebook cell: a search that survives its failures; keras-tuner clears the cell per trial.
import keras
import keras_tuner as kt
import numpy as np


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


rng = np.random.default_rng(0)
tuner = kt.GridSearch(
    build_model,
    objective="val_loss",
    max_trials=4,
    directory="tuner",
    project_name="survive",
    overwrite=True,
)
tuner.search(rng.random((32, 10)), rng.random((32, 1)), epochs=1, validation_split=0.25)
