"""Training a RunConfig (through ``net``, imported only when a run really trains), with progress reported to a
``net.listener.TrainingListener``; ``evaluated`` turns a trained network into a RunResult."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from ..config import RunConfig
from ..data.sources import Dataset, load_fashion_mnist
from ..forward import DenseNetwork, cross_entropy
from ..reports import TrainingCancelled, TrainingListener
from .lineage import keeps_snapshot, resumable
from .results import HISTORY_KEYS, Origin, RunResult


@dataclass
class Resume:
    """A stored run to continue: its history and epoch times, training state and kept weights."""

    history: dict[str, list[float]]
    epoch_seconds: list[float]
    state: list[np.ndarray]
    snapshots: dict[int, DenseNetwork]
    epochs: int  # epochs the stored run trained (where this one goes on from)


def train(config: RunConfig, data: Dataset | None = None, listener: TrainingListener | None = None,
          resume: Resume | None = None) -> RunResult:
    """Train the network ``config`` describes on ``data`` (default: Fashion-MNIST) and evaluate it on the test set.

    With ``resume``, training goes on from the end of that shorter run of the same family instead of starting
    over; the result is the same, number for number, as training from scratch. Raises TrainingCancelled if
    ``listener.should_stop()`` returns True.
    """
    from ..net import fitters
    from ..net.callbacks import training_callbacks
    from ..net.fast_fit import steps_per_epoch
    from ..net.model import KERAS_LOCK

    data = data or load_fashion_mnist()
    listener = listener or TrainingListener()
    steps = steps_per_epoch(len(data.x_train), config.validation_split, config.batch_size)
    done = len(resume.history["loss"]) if resume else 0
    snapshots = dict(resume.snapshots) if resume else {}
    epoch_seconds = list(resume.epoch_seconds) if resume else []

    with KERAS_LOCK:  # seeds are process-wide: only seeding and building take turns (the start weights are
        # drawn here; dropout has its own seeded generator and the shuffle its own (seed, epoch) one), so
        # several runs can train at once in one process and each stays reproducible
        fitter = fitters.take(config)  # a kept one of this shape (compiled already) or a new one
        model = fitter.model
        if resume:
            fitter.load_state(resume.state)
        elif keeps_snapshot(config, 0):
            snapshots[0] = DenseNetwork.from_model(model, config)  # "before training": the timeline's first frame
    listener.on_run_start(config, steps)
    clock = [time.perf_counter()]

    def epoch_done(epoch: int) -> None:
        now = time.perf_counter()
        epoch_seconds.append(round(now - clock[0], 4))
        clock[0] = now
        if keeps_snapshot(config, epoch):
            snapshots[epoch] = DenseNetwork.from_model(model, config)

    callbacks = training_callbacks(config, listener, steps, epoch_done)
    try:
        fit_history = fitter.fit(
            np.asarray(data.x_train, np.uint8),
            data.y_train,
            epochs=config.epochs,
            batch_size=config.batch_size,
            validation_split=config.validation_split,
            seed=config.seed,
            callbacks=callbacks,
            initial_epoch=done,
        )
    except TrainingCancelled:  # cancelled, gave way or overran: its compiled programs serve the next run
        fitters.give(config, fitter)
        raise
    state = fitter.state() if resumable(config) else None
    network = DenseNetwork.from_model(model, config)  # after EarlyStopping restored the best weights
    fitters.give(config, fitter)

    history = {k: (resume.history[k] if resume else []) + fit_history.get(k, []) for k in HISTORY_KEYS
               if (resume and k in resume.history) or k in fit_history}
    epochs_run = len(history.get("loss", []))
    return evaluated(config, network, data, history, epoch_seconds,
                     stopped_early_at=epochs_run if epochs_run < config.epochs else None,
                     origin=Origin("continued", resume.epochs) if resume else None,
                     snapshots=snapshots, state=state)


def evaluated(config: RunConfig, network: DenseNetwork, data: Dataset, history: dict[str, list[float]],
              epoch_seconds: list[float], stopped_early_at: int | None, origin: Origin | None = None,
              snapshots: dict[int, DenseNetwork] | None = None, state: list[np.ndarray] | None = None) -> RunResult:
    """A finished run: ``network`` evaluated on the test set (the one prediction path, NumPy)."""
    y_test = np.asarray(data.y_test, np.int32)
    probabilities = network.predict(np.asarray(data.x_test, np.uint8)) if len(y_test) else np.zeros((0, 10))
    return RunResult(
        config=config,
        history=history,
        test_loss=cross_entropy(probabilities, y_test),
        test_accuracy=float(np.mean(probabilities.argmax(axis=1) == y_test)) if len(y_test) else float("nan"),
        train_seconds=round(sum(epoch_seconds), 3),
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        data_source=data.source,
        test_probabilities=probabilities,
        stopped_early_at=stopped_early_at,
        epoch_seconds=epoch_seconds,
        origin=origin,
        snapshots=snapshots or {},
        state=state,
        _network=network,
    )
