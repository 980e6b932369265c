"""The lessons' dense network, built from a RunConfig."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import RunConfig
from ..forward import DenseNetwork

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


def seeded_model(config: RunConfig) -> keras.Model:
    """``build_model(config)`` after seeding Keras with ``config.seed``, so the start weights are the seed's.

    Seeds are process-wide: call it holding ``KERAS_LOCK``.
    """
    import keras

    keras.utils.set_random_seed(config.seed)
    return build_model(config)


def keras_file(network: DenseNetwork) -> bytes:
    """A ``.keras`` file of the trained network (loadable with ``keras.saving.load_model``)."""
    import tempfile

    with KERAS_LOCK:
        model = build_model(network.config)
    dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    for layer, (kernel, bias) in zip(dense, network.layers, strict=True):
        layer.set_weights([kernel, bias])
    model.optimizer.build(model.trainable_variables)  # saved with its (fresh) state: loads without a warning
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        model.save(path)
        return path.read_bytes()


def clear_keras_state() -> bool:
    """Keras's global state cleared (``keras.backend.clear_session``), when nothing else in this process is building
    or training through Keras (``KERAS_LOCK`` free); returns whether it was done. A worker calls it after a run."""
    if not KERAS_LOCK.acquire(blocking=False):
        return False
    try:
        import keras

        keras.backend.clear_session(free_memory=False)  # the caller collects garbage itself
    finally:
        KERAS_LOCK.release()
    return True
