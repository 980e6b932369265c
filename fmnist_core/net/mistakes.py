"""Common mistakes, run for real through Keras: what breaks, and how.

Each mistake builds the tutorial's network with one thing wrong and trains it with plain ``model.fit`` on
a slice of the data. The outcome is whatever Keras really does: an error message, or curves. The lesson's words
for each mistake are in ``fmnist_core.lessons.mistakes``; this module knows the networks by name only. Keras is
imported inside the functions; what they produce, ``MistakeOutcome``, lives in ``fmnist_core.reports``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..config import RunConfig, model_inputs
from ..data.sources import Dataset
from ..reports import MISTAKE_EPOCHS, MISTAKE_IMAGES, MistakeOutcome
from .model import KERAS_LOCK


def _model(*layers, loss: str = "sparse_categorical_crossentropy"):
    import keras

    model = keras.Sequential([keras.Input(shape=(28, 28)), *layers])
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def _correct():
    import keras

    return _model(keras.layers.Flatten(), keras.layers.Dense(128, activation="relu"),
                  keras.layers.Dense(10, activation="softmax"))


def _no_flatten():
    import keras

    return _model(keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10, activation="softmax"))


def _five_outputs():
    import keras

    return _model(keras.layers.Flatten(), keras.layers.Dense(128, activation="relu"),
                  keras.layers.Dense(5, activation="softmax"))


def _categorical_loss():
    import keras

    return _model(keras.layers.Flatten(), keras.layers.Dense(128, activation="relu"),
                  keras.layers.Dense(10, activation="softmax"), loss="categorical_crossentropy")


def _no_softmax():
    import keras

    return _model(keras.layers.Flatten(), keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10))


BUILDERS: dict[str, Callable[[], object]] = {
    "correct": _correct, "no_flatten": _no_flatten, "five_outputs": _five_outputs,
    "categorical_loss": _categorical_loss, "no_softmax": _no_softmax,
}


def run_mistake(name: str, data: Dataset, epochs: int = MISTAKE_EPOCHS, n_train: int = MISTAKE_IMAGES,
                seed: int = 0) -> MistakeOutcome:
    """Build and train one mistake's network with plain ``model.fit``; report the error or the curves."""
    import keras

    normalised = RunConfig()  # the lessons' scaling: every mistake but its own one is made right
    x = model_inputs(data.x_train[:n_train], normalised)
    y = data.y_train[:n_train].astype(np.int32)
    x_test, y_test = model_inputs(data.x_test, normalised), data.y_test.astype(np.int32)
    with KERAS_LOCK:  # seeds are process-wide: take turns with other training
        keras.utils.set_random_seed(seed)
        return _fit_mistake(name, x, y, x_test, y_test, epochs)


def _fit_mistake(name: str, x, y, x_test, y_test, epochs: int) -> MistakeOutcome:
    try:
        model = BUILDERS[name]()
        fit = model.fit(x, y, epochs=epochs, batch_size=32, validation_split=0.2, verbose=0)
        probabilities = np.asarray(model.predict(x_test, batch_size=1000, verbose=0))
        one_answer_each = probabilities.shape == (len(y_test), 10)
        accuracy = float(np.mean(probabilities.argmax(1) == y_test)) if one_answer_each else None
    except Exception as exc:  # noqa: BLE001 - the error *is* the lesson
        return MistakeOutcome(name, _short_error(exc), {}, None)
    history = {k: [float(v) for v in vs] for k, vs in fit.history.items()}
    return MistakeOutcome(name, None, history, accuracy)


def _short_error(exc: BaseException, limit: int = 700) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    noise = ("File ", "Traceback", "Detected at node", "[[", "Graph execution error")
    lines = [line.split("  Label values:")[0] for line in text.splitlines()
             if line.strip() and not line.lstrip().startswith(noise)]
    body = "\n".join(lines).removeprefix(f"{type(exc).__name__}: ").replace("Graph execution error:", "").strip()
    text = f"{type(exc).__name__}: {body}"
    return text if len(text) <= limit else text[:limit].rstrip() + " …"
