# A notebook cell: seed example 2, failing at tuner construction (filters=0 by default).
import keras
import keras_tuner as kt


def build_conv(hp):
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(
                filters=hp.Int("filters", min_value=0, max_value=64, step=16), kernel_size=(3, 3)
            ),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def build_conv_tuner():
    return kt.BayesianOptimization(
        build_conv,
        objective="val_accuracy",
        max_trials=5,
        directory="tuner",
        project_name="conv",
        overwrite=True,
    )


build_conv_tuner()
