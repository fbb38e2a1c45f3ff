#!/usr/bin/env python3
"""Benchmark: `ktexplain.check` on a 10-hyperparameter space beside one real trial of the same
model on the same data, both measured in this run (same process, TensorFlow already loaded).

    python bench/check.py [--samples 2048] [--epochs 2] [--max-builds 64]

The trial is one `tuner.search` trial (RandomSearch, max_trials=1, the defaults' model) with
`epochs` epochs on `samples` rows and a validation split; the check gets the same x, y (it trains
on a 32-row sample of them). The target is a check faster than one trial.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build_model(hp):  # 10 hyperparameters
    import keras

    model = keras.Sequential([keras.Input(shape=(28, 28, 1))])
    for i in range(hp.Int("conv_blocks", 1, 2)):
        model.add(
            keras.layers.Conv2D(
                hp.Int(f"filters_{i}", 8, 32, step=8),
                hp.Choice(f"kernel_{i}", [3, 5]),
                activation=hp.Choice("activation", ["relu", "tanh"]),
                padding="same",
            )
        )
        model.add(keras.layers.MaxPooling2D(2))
    model.add(keras.layers.Flatten())
    if hp.Boolean("batch_norm"):
        model.add(keras.layers.BatchNormalization())
    model.add(keras.layers.Dense(hp.Int("units", 16, 128, step=16), activation="relu"))
    model.add(keras.layers.Dropout(hp.Float("dropout", 0.0, 0.5, step=0.1)))
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(
        optimizer=keras.optimizers.Adam(hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--max-builds", type=int, default=64)
    args = parser.parse_args()

    import keras_tuner as kt
    import numpy as np

    import ktexplain

    rng = np.random.default_rng(0)
    x = rng.random((args.samples, 28, 28, 1)).astype("float32")
    y = rng.integers(0, 10, size=(args.samples,))

    with tempfile.TemporaryDirectory() as directory:
        start = time.perf_counter()
        tuner = kt.RandomSearch(
            build_model,
            objective="val_accuracy",
            max_trials=1,
            directory=directory,
            project_name="bench",
            seed=1,
        )
        tuner.search(x, y, epochs=args.epochs, validation_split=0.2, verbose=0)
        trial = time.perf_counter() - start
        space = len(tuner.oracle.get_space().space)

    start = time.perf_counter()
    result = ktexplain.check(build_model, x, y, max_builds=args.max_builds, quiet=True)
    checked = time.perf_counter() - start

    print(
        f"space: {space} hyperparameters (tuner) / {len(result.space)} (check); data: "
        f"{args.samples} rows of 28x28x1, {args.epochs} epochs per trial"
    )
    print(f"one trial (tuner construction + 1 search trial): {trial:8.2f} s")
    print(
        f"ktexplain.check ({len(result.builds)} configurations, "
        f"{'ok' if result.ok else f'{len(result.failed_builds)} failed'}): {checked:8.2f} s"
        f"   ratio {checked / trial:.2f} (target < 1)"
    )


if __name__ == "__main__":
    main()
