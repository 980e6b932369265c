"""The classroom queue's rules, written once and followed by both transports (local worker processes, RQ).

- **Visitors.** The rules count a *visitor* (one browser, across its page loads and tabs), not a page session:
  every page load is a new session, so counting sessions let one browser queue run after run as "first" runs.
- **Tiers.** A visitor's only live run is a *first* run; their second and later live runs (queued or running)
  are *more* runs; prefetched experiment runs are *background*. Workers take first, then more, then background;
  first come, first served within a tier. So a learner's later runs wait behind other learners' first runs, and
  a visitor's later run that holds a worker gives way (between chunks, back in line) when a first run waits.
- **A few runs each.** A visitor has at most ``FMNIST_MAX_RUNS_PER_VISITOR`` (default 3) live runs from pages.
- **Nobody watching.** A run whose watchers' sessions all ended (tabs closed; Streamlit drops a session after
  ``server.disconnectedSessionTTL``) leaves the queue, as if each had pressed Stop.
- **Promotion.** A learner asking for a configuration that waits as a background run takes it over: it moves
  to that learner's tier, and their Stop can cancel it.
- **Ceiling.** A run started from a page or a link is refused when its estimated training time here is above
  ``FMNIST_MAX_RUN_SECONDS`` (default 180), and stopped when its real training time passes that ceiling times
  ``OVERRUN`` (an estimate can be wrong); the command line has no ceiling.
- **Costs.** Estimates follow the size of the data in use and learn from the speed of finished runs, each kind
  of run (batch size and network size) from its own kind only and at most 2x either way, so that one kind of
  run cannot pull every estimate.
- **Stop means "I stop watching".** A run is cancelled when its last watcher leaves.
- **Waits.** What is left of the running runs plus the runs ahead, shared by the workers.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import IntEnum

from .. import settings
from ..config import FIELDS, RunConfig
from ..i18n import N_, _, ngettext, number

TRAIN_IMAGES = 60_000
CORRECTION_BOUND = 2.0  # a kind of run's estimate moves at most 2x either way from the measured priors
# Translators: why a run ended as failed; shown as "Training failed: {reason}. The app is still running; …"
OVERRAN = N_("it trained much longer than its estimate and than runs started from a page or a link may take here, "
             "so it was stopped for the others' sake; make it smaller, or train it from the command line")


class Tier(IntEnum):
    """Which queue a waiting run is in; lower goes first."""

    FIRST = 0
    MORE = 1
    BACKGROUND = 2


def tier(visitor_live_runs: int, background: bool = False) -> Tier:
    """The tier of a new run for a visitor who already has ``visitor_live_runs`` live runs (queued or running)."""
    if background:
        return Tier.BACKGROUND
    return Tier.FIRST if visitor_live_runs == 0 else Tier.MORE


class Refused(ValueError):
    """A run is too big to start from a page or a link; the message says why and what to do instead."""


def max_run_seconds() -> float:
    """The ceiling for runs started from a page or a link: ``FMNIST_MAX_RUN_SECONDS``, default 180."""
    return settings.number("FMNIST_MAX_RUN_SECONDS")


def max_runs_per_visitor() -> int:
    """Live runs (queued or running) one visitor may have from pages: ``FMNIST_MAX_RUNS_PER_VISITOR``, default 3."""
    return settings.integer("FMNIST_MAX_RUNS_PER_VISITOR")  # 1 to 1000


def overrun() -> float:
    """A page run is stopped when its training time passes the ceiling times this: ``FMNIST_OVERRUN``, 1.5."""
    return settings.number("FMNIST_OVERRUN")  # at most 100


def allowance(limit: bool, max_seconds: float) -> float | None:
    """Training seconds a run may take before it is stopped: None (no limit) for the command line and the
    background, the ceiling times ``overrun()`` for a run started from a page or a link."""
    return max_seconds * overrun() if limit else None


def check_visitor(live_runs: int, limit: int) -> None:
    """Raise Refused when a visitor who already has ``live_runs`` live runs may not start another."""
    if live_runs >= limit:
        # Translators: {n}: the most runs one browser may have waiting or training at once, e.g. 3
        raise Refused(ngettext(
            "You already have {n} run waiting or training. Wait for it to finish, or stop it, before you start "
            "another one (so that everyone gets a turn).",
            "You already have {n} runs waiting or training. Wait for one to finish, or stop one, before you start "
            "another one (so that everyone gets a turn).", limit).format(n=limit))


def local_workers() -> int:
    """Runs the embedded queue trains at once: ``FMNIST_WORKERS``, else one per core (at most 4) that the memory
    holds. Measured on this project's 2-core machine: two runs at once finish the pair 1.6x sooner, each run 1.2x
    slower."""
    return settings.integer("FMNIST_WORKERS")  # 1 to 16: 0 would leave every run waiting


def runs_per_worker() -> int:
    """Runs one local worker process trains at once, each in a thread: ``FMNIST_WORKER_THREADS``, default 4 (1: a
    process for each run). Measured here: two runs as two threads of one process are as fast as in two processes,
    give the same weights bit for bit, and hold TensorFlow once (1.2 GB at the peak against 1.85 GB)."""
    return settings.integer("FMNIST_WORKER_THREADS")


@dataclass
class CostModel:
    """Estimated training seconds of a config on this machine, corrected by the speed of finished runs.

    seconds = overhead + epochs x (parameters x training images x per_unit x small-batch penalty + steps x
    per_step). The priors were measured here: the default network (101,770 parameters, 48,000 images, 1,500
    steps of 32) trains an epoch in about 0.4 s, and building plus compiling costs about 1.5 s. Tiny batches
    turn matrix products into slow matrix-vector products: the penalty (1 + 32/batch) / 2 is 1 at batch 32.
    """

    per_unit: float = 7.3e-11
    per_step: float = 3e-5
    overhead: float = 1.5
    train_images: int = TRAIN_IMAGES  # the size of the training set in use (before the validation split)
    corrections: dict[tuple[int, int], float] = field(default_factory=dict)  # kind of run -> measured / prior
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @staticmethod
    def kind(config: RunConfig) -> tuple[int, int]:
        """A kind of run: its batch size in powers of 4, its parameters in half-decades (1, 4, 16, 64, …;
        the default network, 101,770 parameters, is in 10^5-10^5.5)."""
        return (config.batch_size.bit_length() - 1) // 2, int(2 * math.log10(max(1, config.parameters)))

    def estimate(self, config: RunConfig) -> float:
        """Seconds to build and train ``config`` from scratch here."""
        return self.overhead + self._epochs_cost(config, config.epochs) * self.corrections.get(self.kind(config), 1.0)

    def _epochs_cost(self, config: RunConfig, epochs: int) -> float:
        images = self.train_images - int(self.train_images * config.validation_split)
        steps = -(-images // config.batch_size)
        penalty = (1 + 32 / config.batch_size) / 2
        return epochs * (config.parameters * images * self.per_unit * penalty + steps * self.per_step)

    def observe(self, config: RunConfig, train_seconds: float, epochs: int, train_images: int | None = None) -> None:
        """Learn from a finished run: ``epochs`` trained in ``train_seconds`` (the run's own epoch times) on a
        training set of ``train_images``. Moves its kind's correction a third of the way (in log terms) towards
        what was measured, never beyond ``CORRECTION_BOUND`` either way: other kinds are not touched."""
        if epochs <= 0 or train_seconds <= 0:
            return
        with self._lock:
            if train_images:
                self.train_images = train_images
            measured = train_seconds / max(self._epochs_cost(config, epochs), 1e-9)
            kind = self.kind(config)
            moved = self.corrections.get(kind, 1.0) ** 0.7 * measured**0.3
            self.corrections[kind] = min(CORRECTION_BOUND, max(1 / CORRECTION_BOUND, moved))


def wait_seconds(costs: CostModel, running: Iterable[tuple[RunConfig, float]], ahead: Iterable[RunConfig],
                 workers: int) -> float:
    """About how long until a queued run starts: what is left of the running runs ((config, share done) pairs)
    plus the runs ahead of it, shared by ``workers``."""
    left = sum(max(0.0, costs.estimate(config) * (1 - done)) for config, done in running)
    return (left + sum(costs.estimate(config) for config in ahead)) / max(1, workers)


def check_cost(config: RunConfig, costs: CostModel, max_seconds: float,
               cached: Callable[[RunConfig], bool] = lambda config: False) -> None:
    """Raise Refused, with the reason and the command line to use instead, when ``config`` is estimated above
    ``max_seconds`` of training here (a run the cache can answer, asked only then, is never refused)."""
    seconds = costs.estimate(config)
    if seconds > max_seconds and not cached(config):
        # Translators: {time}: the estimated training time, e.g. "7 minutes"; {allowed}: the limit, e.g. "2 minutes"
        # (both from "{n} s" / "{n} minutes" / "{n} hours" / "{n} days"); {command}: a command line, e.g. "python -m
        # fmnist_core train --epochs 100 --hidden-units 1024" (keep as it is)
        raise Refused(_(
            "This run would take about {time} to train here, more than the {allowed} allowed for runs started "
            "from a page or a link (so that everyone gets a turn). Make it smaller (fewer epochs or units, a "
            "bigger batch), or train it from the command line: {command}").format(
            time=duration(seconds), allowed=duration(max_seconds),
            command=f"python -m fmnist_core train {command_flags(config)}"))


def duration(seconds: float) -> str:
    """'45 s', '3 minutes', '2 hours', '4 days', in the reader's language."""
    if seconds < 90:
        # Translators: a duration in seconds; {n}: e.g. "45" (below 90). Put into "This run would take about {time}…"
        return _("{n} s").format(n=number(seconds))
    if seconds < 5400:
        # Translators: a duration; {n}: a whole number from 2 to 90, e.g. "7"
        return _("{n} minutes").format(n=number(seconds / 60))
    if seconds < 2 * 86400:
        # Translators: a duration; {n}: a whole number from 2 to 48, e.g. "3"
        return _("{n} hours").format(n=number(seconds / 3600))
    # Translators: a duration; {n}: a whole number from 2 up, e.g. "3"
    return _("{n} days").format(n=number(seconds / 86400))


def command_flags(config: RunConfig) -> str:
    """The command-line flags of the settings that differ from the defaults."""
    parts = []
    for spec in FIELDS:
        value = getattr(config, spec.name)
        if value != spec.default:
            parts.append(f"{spec.flag}" if spec.type is bool and value else
                         f"--no-{spec.flag[2:]}" if spec.type is bool else f"{spec.flag} {spec.format(value)}")
    return " ".join(parts)
