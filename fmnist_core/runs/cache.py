"""Reuse: answer a configuration from the run store, read it off a longer run of its family, continue a shorter one,
or train it once (even when asked concurrently); and sweeps of configurations.

Runs of one family (``lineage``) share work: ``get_or_derive`` answers a shorter or early-stopped run from a longer
stored one (no training), and ``fetch`` (``get_or_train``) continues the longest shorter run instead of starting
over. The family's entries are scanned once for a configuration that is not stored. What asking learned (from the
cache or not, kept or not) is the answer's (``Lookup``), not the run's. ``can_answer`` reads only; the write path
(``get_or_derive``, ``fetch``, ``run_sweep``) stores what it derives or trains, and discards a damaged entry of the
configuration asked for. TensorFlow is imported only when a run really trains (``training``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ..config import RunConfig
from ..data.sources import DataError, Dataset, load_fashion_mnist
from ..reports import TrainingListener
from . import entry, lineage
from .entry import SNAPSHOTS, STATE, DamagedEntry
from .results import Origin, RunResult, RunUnavailable
from .store import Lookup, RunStore, key_of
from .training import Resume, evaluated, train

log = logging.getLogger(__name__)
Family = list[tuple[lineage.Source, RunResult]]  # the stored runs of a family that kept weights, as lineage sees them


class RunCache(RunStore):
    """The run store, and the runs it can give without training them again. Safe to share between threads."""

    def can_answer(self, config: RunConfig, data: Dataset | None = None) -> bool:
        """True when ``get_or_derive`` answers ``config`` without training: it is stored, or a longer stored run of
        its family holds it (evaluated on ``data``'s test set, when given). Reads only (the queue's cost check)."""
        if self.get(config) is not None:
            return True
        found = _derivable(config, self._family(config))
        return found is not None and (data is None or _same_test_set(found[0], data))

    def get_or_derive(self, config: RunConfig | str, data: Dataset | None = None) -> Lookup:
        """The stored run of ``config``, or one read off a longer stored run of its family (no training) and
        stored, or None; given a key only, nothing is derived. The write path: when the entry of ``config`` is
        damaged (also weights that fail their checksum) it is discarded, and ``damage`` says why."""
        return self._answer(config, data)[0]

    def fetch(self, config: RunConfig, data: Dataset | None = None,
              listener: TrainingListener | None = None) -> Lookup:
        """The cached (or derived) run for ``config``, or train it once (even if asked concurrently) and store it;
        with whether it came from the cache and whether it is kept. A run that cannot be stored (disk full,
        read-only folder) is still returned, ``saved`` False. Raises TrainingCancelled when ``listener`` stops it.
        """
        found, family = self._answer(config, data)
        return found if found.run is not None else self._train(config, data, listener, family)

    def get_or_train(self, config: RunConfig, data: Dataset | None = None,
                     listener: TrainingListener | None = None) -> RunResult:
        """``fetch``'s run alone (a run that cannot be stored is still returned)."""
        return self.fetch(config, data, listener).run

    def run_sweep(self, configs: Sequence[RunConfig], data: Dataset | None = None,
                  listener: TrainingListener | None = None) -> list[Lookup]:
        """``fetch`` each configuration, in order (``listener.on_sweep_run`` hears which run starts, and whether the
        cache answers it)."""
        listener = listener or TrainingListener()
        results = []
        for i, config in enumerate(configs):
            found, family = self._answer(config, data)
            listener.on_sweep_run(i, len(configs), config, found.run is not None)
            results.append(found if found.run is not None else self._train(config, data, listener, family))
        return results

    # ------------------------------------------------------------------ the steps

    def _answer(self, config: RunConfig | str, data: Dataset | None) -> tuple[Lookup, Family]:
        """``get_or_derive``, with the family it scanned (empty when the run was stored, or given by its key)."""
        found = self._stored(key_of(config))
        if found.run is not None or not isinstance(config, RunConfig):
            return found, []
        family = self._family(config)
        derived = self._derive(config, data, family)
        return Lookup(derived, found.damage, saved=derived is None or self._store(derived)), family

    def _stored(self, key: str) -> Lookup:
        """The stored run of ``key`` when it is sound (its weights too); else Lookup(None, damage), a damaged entry
        discarded."""
        found = self.lookup(key)
        damage = found.damage
        if found.run is not None:
            damage = self._weights_damage(key)
            if damage is None:
                return found
        if damage is not None:
            self._discard(key, damage)
        return Lookup(None, damage)

    def _train(self, config: RunConfig, data: Dataset | None, listener: TrainingListener | None,
               family: Family) -> Lookup:
        """Train ``config`` (continuing the longest shorter run of ``family``) and store it, under its lock: a run
        another thread or process stored while this one waited is returned instead."""
        with self._lock(config.key):
            stored = self._stored(config.key)
            if stored.run is not None:
                return stored
            result = train(config, data, listener, resume=self._resume(config, family))
            return Lookup(result, saved=self._store(result))

    def _family(self, config: RunConfig) -> Family:
        """The stored runs of ``config``'s family that kept weights (the one scan of the entries)."""
        return [(lineage.Source(run.key, run.config, run.history, frozenset(run.kept_epochs), run.continuable), run)
                for run in self.family_runs(lineage.family(config))]

    def _derive(self, config: RunConfig, data: Dataset | None, family: Family) -> RunResult | None:
        """``config`` read off a longer stored run of its family (no training), to be stored; None if none
        answers."""
        found = _derivable(config, family)
        if found is None:
            return None
        run, outcome = found
        try:
            data = data or load_fashion_mnist()
        except DataError:
            return None
        if not _same_test_set(run, data):
            return None
        n = outcome.epochs_run
        snapshots = self._source_arrays(run, SNAPSHOTS, lambda z: entry.epoch_weights(  # its epochs, for its timeline
            z, config, [e for e in run.kept_epochs if e <= n]))
        if snapshots is None or outcome.weights_epoch not in snapshots:
            return None
        network = snapshots[outcome.weights_epoch]
        return evaluated(config, network, data, {k: v[:n] for k, v in run.history.items()}, run.epoch_seconds[:n],
                         outcome.stopped_early_at, origin=Origin("taken", run.epochs_run),
                         snapshots={e: w for e, w in snapshots.items() if e <= n})

    def _resume(self, config: RunConfig, family: Family) -> Resume | None:
        """The training state of the longest shorter run of ``config``'s family, to continue from."""
        source = lineage.continuable(config, [s for s, _ in family])
        if source is None:
            return None
        run = dict((s.key, r) for s, r in family)[source.key]
        state = self._source_arrays(run, STATE, entry.training_state)
        snapshots = self._source_arrays(run, SNAPSHOTS, lambda z: entry.epoch_weights(z, run.config, run.kept_epochs))
        if state is None or snapshots is None:
            return None
        return Resume(run.history, run.epoch_seconds, state, snapshots, run.epochs_run)

    def _source_arrays(self, run: RunResult, name: str, read):
        """``_arrays`` of a stored run used to derive or continue another (the write path): None when it cannot
        be read; a damaged entry is discarded."""
        try:
            return self._arrays(run.key, name, read)
        except DamagedEntry as exc:
            self._discard(run.key, exc)
        except (RunUnavailable, OSError, ValueError, KeyError):
            pass
        return None

    def _store(self, result: RunResult) -> bool:
        """``put``; False (logged) when the disk refuses (full, read-only, something in the way)."""
        try:
            self.put(result)
        except OSError as exc:
            log.error("run %s could not be stored in %s: %s", result.key, self.root, exc)
            return False
        return True


def _derivable(config: RunConfig, family: Family) -> tuple[RunResult, lineage.Outcome] | None:
    """The stored run of ``config``'s family that ``config`` can be read off, and how; None if none."""
    found = lineage.derivable(config, [s for s, _ in family])
    if found is None:
        return None
    source, outcome = found
    return dict((s.key, r) for s, r in family)[source.key], outcome


def _same_test_set(run: RunResult, data: Dataset) -> bool:
    """True when ``run`` was evaluated on ``data``'s test set (same source and size), so it can be read off."""
    return data.source == run.data_source and run.evaluated_on(data.y_test)
