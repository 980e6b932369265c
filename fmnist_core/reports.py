"""What the worker processes report, TensorFlow-free: the listener that hears a training run, the exception that
cancels one, and what Keras produced for a Common mistake. Below ``net`` in the layers, so that ``net`` produces
these and the web process, the command line and the queue read them without ever importing ``net``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import RunConfig


class TrainingCancelled(Exception):
    """Raised out of training when the listener asked to stop; nothing is returned or stored."""


class TrainingListener:
    """Receives progress from training. Override what you need; every method is optional.

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


# How each Common mistake is trained (net.mistakes) and what its page says about it (lessons.mistakes)
MISTAKE_EPOCHS = 3
MISTAKE_IMAGES = 6000  # the first training images


@dataclass
class MistakeOutcome:
    """What happened to a Common mistake: the error Keras raised, or the training history and test accuracy."""

    name: str
    error: str | None
    history: dict[str, list[float]]
    test_accuracy: float | None
