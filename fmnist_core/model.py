"""The seeds' dense network, built from a RunConfig."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .config import RunConfig

if TYPE_CHECKING:
    import keras


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


def parameter_count(config: RunConfig) -> int:
    """Trainable parameters of the network ``config`` describes (computed without TensorFlow)."""
    units, total, inputs = config.hidden_units, 0, 28 * 28
    for _ in range(config.hidden_layers):
        total += inputs * units + units
        inputs = units
    return total + inputs * 10 + 10


def preprocess(images: np.ndarray, config: RunConfig) -> np.ndarray:
    """uint8 images (N, 28, 28) to the float32 input the model of ``config`` was trained on."""
    x = np.asarray(images, dtype=np.float32)
    return x / 255.0 if config.normalize else x
