"""Seed example 2 with ktexplain installed: hp.Int('filters', 0, 64, step=16) reaches Conv2D.

The default value is min_value, so the tuner's constructor already builds with filters=0.
"""

import ktexplain

ktexplain.install()

import keras  # noqa: E402
import keras_tuner as kt  # noqa: E402


def build_model(hp):
    model = keras.Sequential(
        [
            keras.layers.Conv2D(
                filters=hp.Int("filters", min_value=0, max_value=64, step=16),
                kernel_size=(3, 3),
                activation="relu",
                input_shape=(28, 28, 1),
            ),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


tuner = kt.BayesianOptimization(
    build_model,
    objective="val_accuracy",
    max_trials=5,
    directory="tuner",
    project_name="seed2",
    overwrite=True,
)
