"""Seed example 1 with ktexplain installed: Dense(input_shape=(10,)) fed 20 features.

Every trial fails the same way, so keras-tuner raises its consecutive-failures RuntimeError.
"""

import ktexplain

ktexplain.install()

import keras  # noqa: E402
import keras_tuner as kt  # noqa: E402
import numpy as np  # noqa: E402


def build_model(hp):
    model = keras.Sequential(
        [
            keras.layers.Dense(
                units=hp.Int("units", min_value=32, max_value=512, step=32),
                activation="relu",
                input_shape=(10,),
            ),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


tuner = kt.RandomSearch(
    build_model,
    objective="val_loss",
    max_trials=5,
    directory="tuner",
    project_name="seed1",
    overwrite=True,
    seed=1,
)
rng = np.random.default_rng(0)
x_train = rng.random((40, 20))  # 20 features, not 10 as the model says
y_train = rng.random((40, 1))
tuner.search(x=x_train, y=y_train, epochs=1, validation_split=0.2)
