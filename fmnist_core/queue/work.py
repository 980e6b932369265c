"""What a worker process does, whichever transport brought the work: train a run into the run cache, run a
Common mistake through Keras, write a ``.keras`` file, warm TensorFlow up. Only worker processes import this
module's Keras parts (through ``net``); the web process never calls these functions itself.

``FMNIST_HOLD_DIR`` (tests and demonstrations): a run whose config key names a file in that folder waits,
as running, before it trains, until the file is removed; a file named ``<key>@<n>`` holds it after epoch ``n``
(its progress reported). Stop works while it waits. It lets a test hold a
worker busy for exactly as long as it needs, whatever the speed of the machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import settings
from ..config import RunConfig
from ..data.sources import load_fashion_mnist
from ..reports import TrainingCancelled, TrainingListener
from ..runs.cache import RunCache
from ..runs.store import Lookup
from .rules import OVERRAN
from .wire import Epoch, Progress, RunReport, Start

Report = Callable[[RunReport], None]  # told a run's ``Start``, ``Progress`` and ``Epoch`` s (``wire``)


class ReportingListener(TrainingListener):
    """Forwards training progress to ``report`` (progress at most every ``every`` seconds, every epoch end)."""

    def __init__(self, report: Report, should_stop: Callable[[], bool], every: float = 0.2,
                 after_epoch: Callable[[int], None] = lambda epoch: None) -> None:
        self.report, self._stop, self.every, self._last = report, should_stop, every, 0.0
        self.after_epoch = after_epoch  # called once an epoch's end is reported (the hold below)

    def on_run_start(self, config: RunConfig, steps_per_epoch: int) -> None:
        self.report(Start())

    def on_progress(self, epoch: int, fraction: float, logs: dict[str, float]) -> None:
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self.report(Progress(epoch=epoch, fraction=fraction, logs=logs))

    def on_epoch_end(self, epoch: int, metrics: dict[str, float]) -> None:
        self.report(Epoch(epoch=epoch, metrics=metrics))
        self.after_epoch(epoch)

    def should_stop(self) -> bool:
        return self._stop()


def _hold(key: str, hold_dir: str | None, should_stop: Callable[[], bool]) -> None:
    folder = hold_dir if hold_dir is not None else settings.text("FMNIST_HOLD_DIR")
    if not folder:
        return
    marker = Path(folder) / key
    while marker.exists():
        if should_stop():
            raise TrainingCancelled("training was stopped")
        time.sleep(0.05)


class RunOverran(RuntimeError):
    """A page run trained past its allowance (``rules.allowance``) and was stopped; ``str()`` is ``OVERRAN``."""

    def __init__(self) -> None:
        super().__init__(OVERRAN)


def train_run(config: RunConfig, cache_root: str, report: Report, should_stop: Callable[[], bool],
              data_dir: str | None = None, hold_dir: str | None = None,
              allowance: float | None = None) -> tuple[Lookup, int]:
    """Fetch or train ``config`` into the run cache at ``cache_root``; (what fetching found, training images in the
    data).

    Raises TrainingCancelled when ``should_stop`` says so, RunOverran when its training (the clock starts once the
    data are loaded) passes ``allowance`` seconds; any other error is the run's failure."""
    _hold(config.key, hold_dir, should_stop)
    data = load_fashion_mnist(data_dir)
    started, overran = time.monotonic(), []

    def stop() -> bool:
        if allowance is not None and time.monotonic() - started > allowance:
            overran.append(True)
            return True
        return should_stop()

    try:
        listener = ReportingListener(report, stop, after_epoch=lambda epoch: _hold(f"{config.key}@{epoch}", hold_dir,
                                                                                    stop))
        found = RunCache(cache_root).fetch(config, data, listener)
    except TrainingCancelled:
        if overran:
            raise RunOverran() from None
        raise
    return found, len(data.x_train)


# --------------------------------------------------------------------------- short tasks (``Runner.call``)


def mistake(name: str, data_dir: str | None = None) -> Any:
    """One Common mistake built and trained through Keras (a ``MistakeOutcome``)."""
    from ..net.mistakes import run_mistake

    return run_mistake(name, load_fashion_mnist(data_dir))


def keras_file(cache_root: str, key: str) -> bytes:
    """The ``.keras`` file of the stored run ``key`` (RunUnavailable when it is gone or damaged)."""
    from ..net.model import keras_file as to_keras
    from ..runs.results import RunUnavailable

    run = RunCache(cache_root).load(key)
    if run is None:
        raise RunUnavailable("That run is no longer in the cache; choose another one.")
    return to_keras(run.load_network())


def warm_up() -> None:
    """Import TensorFlow and build and compile the default model once, so the first run starts at once."""
    from ..net import fitters
    from ..net.model import KERAS_LOCK

    with KERAS_LOCK:
        fitters.give(RunConfig(), fitters.take(RunConfig()))  # kept for the first default run (traced at its start)


TASKS: dict[str, Callable[..., Any]] = {"mistake": mistake, "keras_file": keras_file, "warm_up": warm_up}
