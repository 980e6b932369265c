"""Training a RunConfig, with progress reported through a small listener interface."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np

from ..config import RunConfig
from ..data.sources import Dataset, load_fashion_mnist
from ..net.forward import cross_entropy
from .results import HISTORY_KEYS, RunResult


class TrainingCancelled(Exception):
    """Raised out of ``train`` when the listener asked to stop; nothing is returned or stored."""


class TrainingListener:
    """Receives progress from ``train``. Override what you need; every method is optional.

    Epochs are numbered from 1. ``should_stop`` is polled several times per epoch.
    """

    def on_run_start(self, config: RunConfig, steps_per_epoch: int) -> None:
        """Training is about to begin (the model is built)."""

    def on_progress(self, epoch: int, fraction: float, logs: dict[str, float]) -> None:
        """Inside an epoch: ``fraction`` of it (0-1] done, with the running loss and accuracy."""

    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None:
        """An epoch finished with its loss, accuracy, val_loss and val_accuracy."""

    def should_stop(self) -> bool:
        """Return True to cancel the run cleanly."""
        return False

    def on_sweep_run(self, index: int, total: int, config: RunConfig, cached: bool) -> None:
        """In a sweep: run ``index`` (from 0) of ``total`` begins; ``cached`` if it comes from the run cache."""


def train(config: RunConfig, data: Dataset | None = None, listener: TrainingListener | None = None) -> RunResult:
    """Train the network ``config`` describes on ``data`` (default: Fashion-MNIST) and evaluate it on the test set.

    Raises TrainingCancelled if ``listener.should_stop()`` returns True.
    """
    import keras

    from ..net.callbacks import ListenerBridge, StopAtAccuracy
    from ..net.fast_fit import FastFitter, steps_per_epoch
    from ..net.model import KERAS_LOCK, build_model

    data = data or load_fashion_mnist()
    listener = listener or TrainingListener()
    y_test = np.asarray(data.y_test, np.int32)
    steps = steps_per_epoch(len(data.x_train), config.validation_split, config.batch_size)

    with KERAS_LOCK:  # seeds are process-wide: runs in one process take turns to stay reproducible
        keras.utils.set_random_seed(config.seed)
        model = build_model(config)
        fitter = FastFitter(model, normalize=config.normalize)
        listener.on_run_start(config, steps)
        callbacks: list[keras.callbacks.Callback] = [ListenerBridge(listener, steps, TrainingCancelled)]
        if config.target_accuracy:
            callbacks.append(StopAtAccuracy(config.target_accuracy))
        if config.patience:
            callbacks.append(
                keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=True)
            )
        start = time.perf_counter()
        fit_history = fitter.fit(
            np.asarray(data.x_train, np.uint8),
            data.y_train,
            epochs=config.epochs,
            batch_size=config.batch_size,
            validation_split=config.validation_split,
            seed=config.seed,
            callbacks=callbacks,
        )
        train_seconds = time.perf_counter() - start
        probabilities = fitter.predict(np.asarray(data.x_test, np.uint8))

    history = {k: fit_history[k] for k in HISTORY_KEYS if k in fit_history}
    epochs_run = len(history.get("loss", []))
    return RunResult(
        config=config,
        history=history,
        test_loss=cross_entropy(probabilities, y_test),
        test_accuracy=float(np.mean(probabilities.argmax(axis=1) == y_test)) if len(y_test) else float("nan"),
        train_seconds=round(train_seconds, 3),
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        data_source=data.source,
        test_probabilities=probabilities,
        stopped_early_at=epochs_run if epochs_run < config.epochs else None,
        _model=model,
    )

