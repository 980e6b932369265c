"""Keras callbacks used by training (imported only once TensorFlow is needed)."""

from __future__ import annotations

from collections.abc import Callable

import keras

from ..config import RunConfig
from ..reports import TrainingCancelled, TrainingListener


class ListenerBridge(keras.callbacks.Callback):
    """Forwards Keras callback events to a TrainingListener and cancels (TrainingCancelled) when it asks."""

    def __init__(self, listener: TrainingListener, steps: int) -> None:
        super().__init__()
        self.listener, self.steps, self.epoch = listener, steps, 1

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1
        self._check()

    def on_train_batch_end(self, batch, logs=None):
        fraction = min(1.0, (batch + 1) / self.steps)
        self.listener.on_progress(self.epoch, fraction, {k: float(v) for k, v in (logs or {}).items()})
        self._check()

    def on_epoch_end(self, epoch, logs=None):
        self.listener.on_epoch_end(epoch + 1, {k: float(v) for k, v in (logs or {}).items()})
        self._check()

    def _check(self):
        if self.listener.should_stop():
            raise TrainingCancelled("training was stopped")


class StopAtAccuracy(keras.callbacks.Callback):
    """Stop training once an epoch's training accuracy reaches ``target``."""

    def __init__(self, target: float) -> None:
        super().__init__()
        self.target = target

    def on_epoch_end(self, epoch, logs=None):
        if (logs or {}).get("accuracy", 0.0) >= self.target:
            self.model.stop_training = True


class EpochEnd(keras.callbacks.Callback):
    """Calls ``action(epoch)`` (from 1) at the end of every epoch, after the other callbacks' decisions."""

    def __init__(self, action) -> None:
        super().__init__()
        self.action = action

    def on_epoch_end(self, epoch, logs=None):
        self.action(epoch + 1)


def training_callbacks(config: RunConfig, listener: TrainingListener, steps: int,
                       epoch_done: Callable[[int], None]) -> list[keras.callbacks.Callback]:
    """The callbacks of a run of ``config``: progress to ``listener`` (raising TrainingCancelled when it asks to
    stop), its stopping rules (a training-accuracy target, EarlyStopping on validation loss), then
    ``epoch_done(epoch)`` after the others decided."""
    callbacks: list[keras.callbacks.Callback] = [ListenerBridge(listener, steps)]
    if config.target_accuracy:
        callbacks.append(StopAtAccuracy(config.target_accuracy))
    if config.patience:
        callbacks.append(
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=True)
        )
    return [*callbacks, EpochEnd(epoch_done)]
