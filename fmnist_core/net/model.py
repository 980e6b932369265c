"""The lessons' dense network, built from a RunConfig, and loading a saved one."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import RunConfig

if TYPE_CHECKING:
    import keras

# Keras seeds are process-wide: whatever seeds and builds models in this process takes turns through this lock.
KERAS_LOCK = threading.Lock()


def build_model(config: RunConfig) -> keras.Model:
    """Flatten(28x28) -> Dense(units, relu) x (1 + extra) [-> Dropout] -> Dense(10, softmax), compiled
    with adam, sparse categorical cross-entropy and accuracy, as in the tutorial."""
    import keras

    layers: list[keras.layers.Layer] = [keras.Input(shape=(28, 28)), keras.layers.Flatten()]
    for i in range(config.hidden_layers):
        layers.append(keras.layers.Dense(config.hidden_units, activation="relu", name=f"hidden_{i + 1}"))
    if config.dropout > 0:
        layers.append(keras.layers.Dropout(config.dropout, seed=config.seed))
    layers.append(keras.layers.Dense(10, activation="softmax", name="output"))
    model = keras.Sequential(layers, name="fashion_mnist_dense")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def load_model(path: Path) -> keras.Model:
    """A model saved with ``model.save`` (not compiled: it is only used to predict)."""
    import keras

    return keras.saving.load_model(path, compile=False)
