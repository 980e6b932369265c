"""Runs that share a beginning share the work.

Each epoch's shuffle depends only on (seed, epoch), and the start weights only on the seed, so a run of N
epochs is exactly the first N epochs of a longer run with the same other settings: its *family*. From a
stored run of the family this module reads off what another member would give:

- fewer epochs: the history cut at N and the weights of epoch N;
- early stopping (a training-accuracy target, or validation-loss patience that keeps the best epoch's
  weights, as Keras's callbacks do): where it would stop and which epoch's weights it would keep, when the
  stored history reaches that far;
- more epochs: which stored run to continue (its optimizer state is kept for that).

Pure bookkeeping over histories; no TensorFlow, no files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..config import RunConfig

SNAPSHOT_BUDGET = 64 * 2**20  # bytes of per-epoch weights a run may keep; bigger runs keep SNAPSHOT_EPOCHS only
SNAPSHOT_EPOCHS = frozenset({0, 1, 2, 3, 5, 10, 15, 20, 30, 50, 100})  # 0: the weights it started from
HUGE_BUDGET = 4 * SNAPSHOT_BUDGET  # a run whose SNAPSHOT_EPOCHS weigh more keeps its last epoch only


def family(config: RunConfig) -> str:
    """The key shared by every run that differs from ``config`` only in epochs and early stopping."""
    return config.with_(epochs=1, target_accuracy=0.0, patience=0).key


def keeps_snapshot(config: RunConfig, epoch: int) -> bool:
    """Whether a run of ``config`` keeps its weights of ``epoch`` (0: before training): every epoch when that is
    small, else the epochs of SNAPSHOT_EPOCHS and the last, and for a huge network the last only."""
    epoch_bytes = 4 * config.parameters
    if epoch_bytes * (config.epochs + 1) <= SNAPSHOT_BUDGET or epoch == config.epochs:
        return True
    return epoch in SNAPSHOT_EPOCHS and epoch_bytes * len(SNAPSHOT_EPOCHS) <= HUGE_BUDGET


@dataclass(frozen=True)
class Outcome:
    """What training a configuration gives, read off a longer history."""

    epochs_run: int  # epochs trained before it stopped
    weights_epoch: int  # the epoch whose weights it ends with (the best one under patience)
    stopped_early_at: int | None  # epochs_run when it stopped before its configured epochs


def outcome(config: RunConfig, history: Mapping[str, Sequence[float]]) -> Outcome | None:
    """Where ``config`` stops on this family history, or None when the history is too short to tell.

    Emulates the training callbacks exactly: Keras ``EarlyStopping(monitor="val_loss", patience=p,
    restore_best_weights=True)`` (its first epoch sets the best; it stops once ``wait >= patience`` after
    epoch 0; it restores the best weights at the end) and ``StopAtAccuracy`` (stop once accuracy >= target).
    """
    available = len(history.get("loss", ()))
    best = None
    wait = best_epoch = 0
    stop = None
    for epoch in range(min(available, config.epochs)):
        if config.patience:
            current = history["val_loss"][epoch]
            wait += 1
            if best is None or current < best:
                best, best_epoch, wait = current, epoch, 0
            elif wait >= config.patience and epoch > 0:
                stop = epoch
        if config.target_accuracy and history["accuracy"][epoch] >= config.target_accuracy:
            stop = epoch
        if stop is not None:
            break
    if stop is None and available < config.epochs:
        return None
    epochs_run = stop + 1 if stop is not None else config.epochs
    weights_epoch = best_epoch + 1 if config.patience else epochs_run
    return Outcome(epochs_run, weights_epoch, epochs_run if epochs_run < config.epochs else None)


def resumable(config: RunConfig) -> bool:
    """A run whose final state is its training state (no early stopping moved its weights)."""
    return not config.target_accuracy and not config.patience


@dataclass(frozen=True)
class Source:
    """A stored run of a family: its config, history and the epochs it kept weights of."""

    key: str
    config: RunConfig
    history: Mapping[str, Sequence[float]]
    snapshot_epochs: frozenset[int]
    can_continue: bool  # its training state (optimizer included) is stored


def derivable(config: RunConfig, sources: Sequence[Source]) -> tuple[Source, Outcome] | None:
    """A stored run that answers ``config`` without training (the shortest that does), with the outcome."""
    for source in sorted(sources, key=lambda s: len(s.history["loss"])):
        if source.config == config:
            continue
        found = outcome(config, source.history)
        if found is not None and found.weights_epoch in source.snapshot_epochs:
            return source, found
    return None


def continuable(config: RunConfig, sources: Sequence[Source]) -> Source | None:
    """The longest stored run that ``config`` can continue (fewer epochs, training state kept)."""
    if not resumable(config):
        return None
    shorter = [s for s in sources if s.can_continue and len(s.history["loss"]) < config.epochs]
    return max(shorter, key=lambda s: len(s.history["loss"]), default=None)
