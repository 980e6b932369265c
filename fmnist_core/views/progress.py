"""A text progress bar for the command line (a TrainingListener writing to stderr)."""

from __future__ import annotations

import sys
from typing import TextIO

from ..config import RunConfig
from ..i18n import N_, _, number
from ..reports import TrainingListener

_SHORT_NAMES = {"loss": N_("loss"), "accuracy": N_("acc"), "val_loss": N_("val loss"), "val_accuracy": N_("val acc")}


def format_metrics(epoch: int, epochs: int, metrics: dict[str, float]) -> str:
    """'epoch 3/10 · loss 0.41 · acc 0.85 · val acc 0.86', for whatever metrics are present."""
    # Translators: the start of the live progress line; {epoch}: e.g. 3; {epochs}: e.g. 10 -> "epoch 3/10 · loss 0.41"
    parts = [_("epoch {epoch}/{epochs}").format(epoch=epoch, epochs=epochs)]
    for key, label in _SHORT_NAMES.items():
        if key in metrics:
            parts.append(f"{_(label)} {number(metrics[key], 2 if 'acc' in key else 3)}")
    return " · ".join(parts)


class TextProgress(TrainingListener):
    """Draws ``[#####.....] epoch 3/10 · loss 0.41`` on one line of a terminal, or one line per epoch otherwise."""

    def __init__(self, stream: TextIO = sys.stderr, prefix: str = "", width: int = 30) -> None:
        self.stream, self.prefix, self.width = stream, prefix, width
        self.epochs = 1
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def on_sweep_run(self, index: int, total: int, config: RunConfig, cached: bool) -> None:
        self.prefix = f"[{index + 1}/{total}] "
        if cached:
            self._write(f"{self.prefix}{config.describe()}: already cached", final=True)

    def on_run_start(self, config: RunConfig, steps_per_epoch: int) -> None:
        self.epochs = config.epochs
        self._write(f"{self.prefix}training {config.describe()}", final=True)

    def on_progress(self, epoch: int, fraction: float, logs: dict[str, float]) -> None:
        if self.tty:
            done = (epoch - 1 + fraction) / self.epochs
            filled = int(done * self.width)
            bar = "#" * filled + "." * (self.width - filled)
            self._write(f"{self.prefix}[{bar}] {format_metrics(epoch, self.epochs, logs)}")

    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None:
        self._write(f"{self.prefix}{format_metrics(epoch, self.epochs, metrics)}", final=not self.tty)
        if self.tty and epoch == self.epochs:
            self.stream.write("\n")

    def _write(self, text: str, final: bool = False) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + text + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
