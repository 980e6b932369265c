"""The TensorFlow clothing tutorial's own training, for ``python -m fmnist_core bench`` to measure against."""

from __future__ import annotations

import time

import keras
import numpy as np

from ..config import RunConfig, model_inputs
from ..data.sources import Dataset


def tutorial_fit(data: Dataset, epochs: int, seed: int = 0) -> dict[str, float]:
    """The tutorial's script: plain compile and ``model.fit(x, y, epochs=N)`` on all training images.

    Returns seconds per epoch (the whole fit over ``epochs``), the median single epoch and the test accuracy.
    """
    keras.utils.set_random_seed(seed)
    x_train, x_test = model_inputs(data.x_train, RunConfig()), model_inputs(data.x_test, RunConfig())
    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    ends: list[float] = []
    clock = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: ends.append(time.perf_counter()))
    start = time.perf_counter()
    model.fit(x_train, data.y_train, epochs=epochs, verbose=0, callbacks=[clock])
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(x_test, data.y_test, verbose=0)
    return {"seconds_per_epoch": seconds / epochs, "median_epoch": float(np.median(np.diff([start, *ends]))),
            "test_accuracy": float(accuracy)}
