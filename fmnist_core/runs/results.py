"""RunResult: what a finished training run leaves behind, and what its numbers say."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from ..config import RunConfig
from ..forward import DenseNetwork
from ..i18n import N_, _, date_time, number

VALIDATION_PREFIX = "val_"  # Keras names a metric measured on the validation split "val_<metric>"
HISTORY_KEYS = ("loss", "accuracy", VALIDATION_PREFIX + "loss", VALIDATION_PREFIX + "accuracy")
# One message per whole curve name: languages do not all put the split before the metric ("Validierungsgenauigkeit").
CURVES = {("training", "accuracy"): N_("training accuracy"), ("validation", "accuracy"): N_("validation accuracy"),
          ("training", "loss"): N_("training loss"), ("validation", "loss"): N_("validation loss")}
MEMORISING_GAP = 0.03  # training accuracy this far above validation accuracy: the network starts to memorise


# Where a run that shares its beginning with a stored run came from. Stored as data (run.json: {"how": "taken",
# "from_epochs": 30}), worded in the reader's language only where it is shown (Origin.text): these are the words.
ORIGINS = {
    # Translators: where a run came from, shown after "Ready at once: "; {n}: the longer run's epochs, e.g. 30
    "taken": N_("taken from the {n}-epoch run"),
    # Translators: where a run came from, shown after "Trained just now, "; {n}: the shorter run's epochs, e.g. 10
    "continued": N_("continued from the {n}-epoch run"),
}


def curve_name(split: str, metric: str) -> str:
    """A curve's name in the reader's language: curve_name('validation', 'accuracy') -> 'validation accuracy'."""
    return _(CURVES[split, metric])


def history_key(split: str, metric: str) -> str:
    """A curve's key in a run's history: history_key('validation', 'loss') -> 'val_loss' (Keras' naming)."""
    return (VALIDATION_PREFIX if split == "validation" else "") + metric


def curve_of(key: str) -> tuple[str, str]:
    """The (split, metric) of a history key: curve_of('val_loss') -> ('validation', 'loss')."""
    if key.startswith(VALIDATION_PREFIX):
        return "validation", key.removeprefix(VALIDATION_PREFIX)
    return "training", key


@dataclass(frozen=True)
class Origin:
    """Where a run came from: ``how`` ("taken": read off a longer run, "continued": trained on from a shorter
    one) and the epochs of that other run."""

    how: str
    from_epochs: int

    def __post_init__(self) -> None:
        if self.how not in ORIGINS or isinstance(self.from_epochs, bool) or not isinstance(self.from_epochs, int) \
                or self.from_epochs < 1:
            raise ValueError(f"not an origin: {self.how!r}, {self.from_epochs!r}")

    def text(self) -> str:
        """In the reader's language: Origin("taken", 30).text() -> 'taken from the 30-epoch run'."""
        return _(ORIGINS[self.how]).format(n=self.from_epochs)

    def to_dict(self) -> dict[str, Any]:
        return {"how": self.how, "from_epochs": self.from_epochs}

    @classmethod
    def parse(cls, stored: Any) -> Origin | None:
        """The origin as run.json holds it: a dict, None, or (entries stored before 2026-12) the English words
        'taken from the 30-epoch run'. ValueError for anything else."""
        if stored is None:
            return None
        if isinstance(stored, dict) and set(stored) == {"how", "from_epochs"}:
            return cls(stored["how"], stored["from_epochs"])
        if isinstance(stored, str):
            for how, words in ORIGINS.items():
                head, _sep, tail = words.partition("{n}")
                epochs = stored[len(head) : len(stored) - len(tail)]
                if stored.startswith(head) and stored.endswith(tail) and epochs.isdigit():
                    return cls(how, int(epochs))
        raise ValueError(f"not an origin: {str(stored)[:60]!r}")


class RunUnavailable(RuntimeError):
    """A stored run's model cannot be used (damaged or gone); the message is one sentence for the person."""


@dataclass(frozen=True)
class FitReport:
    """How the learning curves ended: the best validation epoch and the training/validation gap."""

    best_epoch: int  # epoch (from 1) with the lowest validation loss
    epochs_run: int
    gap: float  # final training accuracy minus final validation accuracy

    @property
    def memorising(self) -> bool:
        """True when training accuracy is clearly above validation accuracy."""
        return self.gap > MEMORISING_GAP

    def sentence(self) -> str:
        """'Validation loss was lowest after epoch 7 of 20. Final training accuracy is 6.6 points above validation
        accuracy — the network is starting to memorise its training images.' (below, or without the warning)."""
        # Translators: {best}: the epoch with the lowest validation loss, e.g. 7; {epochs}: epochs trained, e.g. 20;
        # {gap}: training minus validation accuracy in percentage points, without sign, e.g. "6.6" (more than 3 points
        # here)
        sentence = (_("Validation loss was lowest after epoch {best} of {epochs}. Final training accuracy is {gap} "
                      "points above validation accuracy — the network is starting to memorise its training images.")
                    if self.memorising else
                    # Translators: {best}: the epoch with the lowest validation loss, e.g. 5; {epochs}: epochs trained,
                    # e.g. 5; {gap}: training minus validation accuracy in percentage points, without sign, e.g. "1.4"
                    # (3 points or less)
                    _("Validation loss was lowest after epoch {best} of {epochs}. Final training accuracy is {gap} "
                      "points above validation accuracy.") if self.gap >= 0 else
                    # Translators: {best}: the epoch with the lowest validation loss, e.g. 5; {epochs}: epochs trained,
                    # e.g. 5; {gap}: validation minus training accuracy in percentage points, without sign, e.g. "1.2"
                    # (validation accuracy ended higher)
                    _("Validation loss was lowest after epoch {best} of {epochs}. Final training accuracy is {gap} "
                      "points below validation accuracy."))
        return sentence.format(best=self.best_epoch, epochs=self.epochs_run, gap=number(100 * abs(self.gap), 1))


@dataclass(eq=False)
class RunResult:
    """History per epoch, test metrics, timing, the config, and the trained model (loaded lazily from cache).

    What the run is, not how it was asked for: whether it came from the cache, and whether it is kept, is what
    fetching it learned (``runs.store.Lookup``, a job's ``JobSnapshot``)."""

    config: RunConfig
    history: dict[str, list[float]]
    test_loss: float
    test_accuracy: float
    train_seconds: float
    trained_at: str
    data_source: str
    test_probabilities: np.ndarray
    stopped_early_at: int | None = None
    epoch_seconds: list[float] = field(default_factory=list)  # wall time of each epoch (the first compiles)
    origin: Origin | None = None  # where it came from when it shares its beginning with another run
    snapshots: dict[int, DenseNetwork] = field(default_factory=dict, repr=False)  # fresh runs: kept weights
    state: list[np.ndarray] | None = field(default=None, repr=False)  # fresh runs: training state to continue
    kept_epochs: tuple[int, ...] = ()  # stored runs: epochs whose weights are kept (to answer shorter runs)
    continuable: bool = False  # stored runs: the training state is kept (a longer run can go on from it)
    _network: DenseNetwork | None = field(default=None, repr=False)
    _network_loader: Callable[[], DenseNetwork] | None = field(default=None, repr=False)
    _load_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def read_off_longer_run(self) -> bool:
        """True when this run was read off a longer stored run (no training at all)."""
        return self.origin is not None and self.origin.how == "taken"

    def origin_text(self) -> str | None:
        """Where this run came from, in the reader's language (None: trained alone)."""
        return self.origin.text() if self.origin is not None else None

    def provenance(self, from_cache: bool) -> str:
        """Where this run came from ('From the cache: trained 25 Nov 2026 07:52 UTC in 4.6 s', 'Trained just now in
        4.6 s'), or the stored run it shares its beginning with ('Trained just now, continued from the 10-epoch run
        ...'); ``from_cache``: stored before it was asked for."""
        seconds = number(self.train_seconds, 1)
        if self.origin and not from_cache and self.read_off_longer_run:
            # Translators: {origin}: which stored run it was read off, e.g. "taken from the 30-epoch run"
            return _("Ready at once: {origin} (its first epochs are this run; no training needed).").format(
                origin=self.origin_text())
        if self.origin and not from_cache:
            # Translators: {origin}: which stored run it continued, e.g. "continued from the 10-epoch run"; {seconds}:
            # training time in seconds, e.g. "5.2"
            return _("Trained just now, {origin}: {seconds} s of training in all.").format(origin=self.origin_text(),
                                                                                          seconds=seconds)
        if not from_cache:
            # Translators: {seconds}: training time in seconds, e.g. "4.6"
            return _("Trained just now in {seconds} s.").format(seconds=seconds)
        when = date_time(datetime.fromisoformat(self.trained_at))
        # Translators: {when}: date and time in the language's format, e.g. "25 Nov 2026, 07:52:00"; {seconds}: training
        # time in seconds, e.g. "4.6"
        return _("From the cache: trained {when} UTC in {seconds} s.").format(when=when, seconds=seconds)

    @property
    def key(self) -> str:
        """The config's stable key, which names the cache entry."""
        return self.config.key

    @property
    def epochs_run(self) -> int:
        """Epochs actually trained (fewer than configured when stopped early)."""
        return len(self.history.get("loss", []))

    @property
    def parameters(self) -> int:
        """Trainable parameter count."""
        return self.config.parameters

    def load_network(self) -> DenseNetwork:
        """The trained weights as a NumPy network, the one path every prediction takes. A stored run reads them
        from disk on the first call, checked against their checksum; damaged or unreadable weights raise
        RunUnavailable (nothing is deleted: the cache's write path discards a damaged entry)."""
        with self._load_lock:
            if self._network is None and self._network_loader is not None:
                self._network = self._network_loader()
        return self._network

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (to cross from a worker process) with its network loaded and without its lock."""
        state = dict(self.__dict__, _network=self.load_network(), _network_loader=None)
        del state["_load_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _load_lock=threading.Lock())

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities (N, 10) for uint8 images (N, 28, 28) or one (28, 28)."""
        return self.load_network().predict(images)

    def fit_report(self) -> FitReport | None:
        """The best validation epoch and the final training/validation gap (None without validation)."""
        val_loss, val_acc = self.history.get("val_loss"), self.history.get("val_accuracy")
        if not val_loss or not val_acc or not self.history.get("accuracy"):
            return None
        return FitReport(int(np.argmin(val_loss)) + 1, self.epochs_run, self.history["accuracy"][-1] - val_acc[-1])

    def evaluated_on(self, y_test: np.ndarray) -> bool:
        """True when this run's test predictions belong to the test set ``y_test`` (same size)."""
        return len(self.test_probabilities) == len(y_test)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description (everything but the model and the probabilities)."""
        return {
            "key": self.key,
            "config": self.config.to_dict(),
            "history": self.history,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
            "train_seconds": self.train_seconds,
            "trained_at": self.trained_at,
            "data_source": self.data_source,
            "parameters": self.parameters,
            "epochs_run": self.epochs_run,
            "stopped_early_at": self.stopped_early_at,
            "epoch_seconds": self.epoch_seconds,
            "origin": self.origin.to_dict() if self.origin is not None else None,
        }
