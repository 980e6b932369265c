"""What crosses between the web process and a worker, each message declared once, and the one account of a run's
progress that both transports keep from those messages.

Over a local worker's socket pair (``local_process`` and ``local_worker``) every message travels as
``(ident, message)``: the run or short task it concerns, and one of the frozen dataclasses below, pickled by
``multiprocessing.connection`` (both ends are this app; a run's result crosses only when the run cache could not
store it, so messages stay small). ``work.train_run`` reports a run as it trains with ``Start``, ``Progress`` and
``Epoch``: a local worker forwards them over its socket, an RQ worker keeps them in its job's meta (JSON); on the
web side a ``RunProgress`` turns them into a ``JobSnapshot``'s epoch, fraction, logs and history, whichever the
transport.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..runs.results import RunResult

# --------------------------------------------------------------------------- the web process to a worker


@dataclass(frozen=True, slots=True)
class Train:
    """Train this run into the run cache at ``cache_root`` (in a thread of its own, beside the worker's other runs)."""

    config: dict[str, Any]  # ``RunConfig.to_dict()``
    cache_root: str
    data_dir: str  # "": the usual sources (``data.sources``)
    hold_dir: str  # "": none (``FMNIST_HOLD_DIR``)
    allowance: float | None = None  # seconds of training before it is stopped as overrun (None: no limit)


@dataclass(frozen=True, slots=True)
class Cancel:
    """Stop this run: nobody watches it any more."""


@dataclass(frozen=True, slots=True)
class GiveWay:
    """Stop this run between chunks, to be queued again: a run that goes first is waiting."""


@dataclass(frozen=True, slots=True)
class Call:
    """Run the short task ``work.TASKS[task](*args)`` beside the training."""

    task: str
    args: tuple


# --------------------------------------------------------------------------- a worker to the web process


@dataclass(frozen=True, slots=True)
class Called:
    """A short task's answer: its return value, or (not ``ok``) the words of its error."""

    ok: bool
    value: Any


@dataclass(frozen=True, slots=True)
class Start:
    """The run began training (epoch 1)."""


@dataclass(frozen=True, slots=True)
class Progress:
    """Part of an epoch is done: ``fraction`` of epoch ``epoch``, with the running metrics."""

    epoch: int
    fraction: float
    logs: dict[str, float]


@dataclass(frozen=True, slots=True)
class Epoch:
    """Epoch ``epoch`` ended with these metrics (validation ones included)."""

    epoch: int
    metrics: dict[str, float]


@dataclass(frozen=True, slots=True)
class Done:
    """The run is in the run cache (or, when it could not be stored, here as ``unsaved``)."""

    unsaved: RunResult | None
    from_cache: bool
    train_images: int  # in the data it trained on: the cost model's measure


@dataclass(frozen=True, slots=True)
class Yielded:
    """The run stopped to give way; it goes back in line."""


@dataclass(frozen=True, slots=True)
class Cancelled:
    """The run stopped as asked."""


@dataclass(frozen=True, slots=True)
class Failed:
    """The run failed; ``error`` says why in one line."""

    error: str


ToWorker = Train | Cancel | GiveWay | Call
RunReport = Start | Progress | Epoch  # what ``work.train_run`` reports while it trains
Outcome = Done | Yielded | Cancelled | Failed  # how a run on a local worker ended
FromWorker = Called | RunReport | Outcome


# --------------------------------------------------------------------------- a run's progress, either transport


@dataclass
class RunProgress:
    """A run's progress as its watchers see it, kept from its ``RunReport`` s: the epoch it is in and the fraction
    of it done, the latest metrics (``logs``) and every ended epoch's (``history``). Not thread-safe: its owner
    locks."""

    epoch: int = 0
    fraction: float = 0.0
    logs: dict[str, float] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)

    def take(self, report: RunReport) -> None:
        """Add what ``report`` says."""
        if isinstance(report, Start):
            self.epoch, self.fraction, self.logs, self.history = 1, 0.0, {}, {}
        elif isinstance(report, Progress):
            self.epoch, self.fraction, self.logs = report.epoch, report.fraction, _floats(report.logs)
        else:
            self.epoch, self.fraction, self.logs = report.epoch, 1.0, _floats(report.metrics)
            for name, value in self.logs.items():
                self.history.setdefault(name, []).append(value)

    def fields(self) -> dict[str, Any]:
        """Copies of epoch, fraction, logs and history, named as ``JobSnapshot`` takes them (plain JSON values too:
        an RQ job's meta holds them)."""
        return {"epoch": self.epoch, "fraction": self.fraction, "logs": dict(self.logs),
                "history": {name: list(values) for name, values in self.history.items()}}

    @classmethod
    def read(cls, stored: Mapping[str, Any]) -> RunProgress:
        """The progress that ``fields()`` wrote into ``stored`` (an RQ job's meta; missing: none yet); ValueError
        when it holds something else."""
        try:
            return cls(int(stored.get("epoch", 0)), float(stored.get("fraction", 0.0)),
                       _floats(stored.get("logs", {})),
                       {name: [float(x) for x in values] for name, values in stored.get("history", {}).items()})
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a run's progress: {exc}") from exc


def _floats(values: Mapping[str, Any]) -> dict[str, float]:
    return {name: float(value) for name, value in values.items()}
