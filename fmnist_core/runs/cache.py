"""The on-disk run cache: one folder per config key with the model, history and test predictions.

Layout of an entry ``<root>/runs/<key>/``: ``weights.npz`` (the trained network), ``test_probabilities.npy``,
for trained runs ``snapshots.npz`` (weights of kept epochs) and ``state.npz`` (the training state, to go on
from), and ``run.json`` (config, history, metrics, and the SHA-256 of every other file). Entries are written
to a hidden temporary folder and renamed into place, so a crash never leaves a half entry under a real key.
A per-key lock (threads and processes) makes concurrent requests for one config train it once.

Runs of one family (``lineage``) share work: ``get_or_derive`` answers a shorter or early-stopped run from a
longer stored one, and ``get_or_train`` continues the longest shorter run instead of starting over.

Reading is pure: ``get``, ``load``, ``lookup``, ``list`` and ``can_answer`` never write or delete anything, and
``lookup`` returns damage as a value. Only the write path (``get_or_derive``, ``get_or_train``, ``put``) stores,
and discards a damaged entry. The cache treats its folder as shared with people: it only ever discards a folder
that is really one of its entries (a key-shaped name holding only its own files) and only for damage to the
content, never because the disk or the process is short of something (file handles, permissions). Reading
validates every field.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..config import ConfigError, RunConfig
from ..data.sources import DataError, Dataset, load_fashion_mnist
from ..forward import DenseNetwork
from ..i18n import _
from . import lineage
from .results import HISTORY_KEYS, Origin, RunResult, RunUnavailable
from .training import Resume, TrainingListener, evaluated, train

CACHE_DIR_ENV = "FMNIST_CACHE_DIR"
FORMAT_VERSION = 4  # 3: NumPy weights, snapshots, state, (seed, epoch) shuffles; 4: Philox dropout. Older: retrained
_WEIGHTS, _RUN_FILE, _PROBS_FILE = "weights.npz", "run.json", "test_probabilities.npy"
_SNAPSHOTS, _STATE = "snapshots.npz", "state.npz"
_OUR_FILES = {_WEIGHTS, _RUN_FILE, _PROBS_FILE, _SNAPSHOTS, _STATE}
_KEY = re.compile(r"[0-9a-f]{16}")
LEFTOVER_SECONDS = 600  # hidden .tmp-*/.trash-* folders older than this are leftovers of a crash
_NOT_NOW = (errno.EMFILE, errno.ENFILE, errno.EACCES, errno.ENOMEM)  # a file unreadable for these is not damaged
log = logging.getLogger(__name__)


class DamagedEntry(ValueError):
    """The content of a cache entry is damaged (the write path discards it)."""


class InTheWay(OSError):
    """Something that is not a run of this cache (a foreign folder, a file, a link) stands at a run's place, so the
    run cannot be stored there; it is never deleted (not ours)."""

    def __init__(self, path: Path) -> None:
        super().__init__(errno.EEXIST, "not a run of this cache, left alone", str(path))
        self.path = path


@dataclass(frozen=True)
class Lookup:
    """What the cache holds for one config: the run (or None) and, when its entry was found damaged, why (plain
    English for the log; a page words its own sentence)."""

    run: RunResult | None
    damage: str | None = None


def default_cache_dir() -> Path:
    """``$FMNIST_CACHE_DIR``, else ``$XDG_CACHE_HOME/fmnist-lab``, else ``~/.cache/fmnist-lab``."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fmnist-lab"


def is_key(name: str) -> bool:
    """True when ``name`` has the form of a config key (16 lowercase hex digits)."""
    return isinstance(name, str) and _KEY.fullmatch(name) is not None


def sha256(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class _Checked:
    """What one check of an entry found, and the file state it was found in."""

    raw: bytes  # run.json
    stamp: tuple[int, ...]  # (mtime, size, inode) of the probabilities and the weights, taken before hashing
    fields: dict[str, Any]  # RunResult fields read from run.json
    files: dict[str, Any]  # run.json's file table (checksums)
    family: str | None


# A check is remembered only for files last written this long ago: file times tick coarsely (a few ms), so a
# file rewritten in place within one tick of its check would keep its stamp (git's "racy" entries, same cure).
_SETTLED_NS = 2_000_000_000


def _stamp(folder: Path) -> tuple[int, ...]:
    """(mtime_ns, size, inode) of an entry's probabilities and weights files."""
    out: tuple[int, ...] = ()
    for name in (_PROBS_FILE, _WEIGHTS):
        info = (folder / name).stat()
        out += (info.st_mtime_ns, info.st_size, info.st_ino)
    return out


class RunCache:
    """Finished runs on disk, keyed by ``RunConfig.key``. Safe to share between threads."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root else default_cache_dir()
        self.runs_dir = self.root / "runs"
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._checked: dict[str, _Checked] = {}  # key -> the last check of its entry (see _read)
        self._sound: dict[str, tuple[int, ...]] = {}  # key -> the stamp its weights' checksum last matched at

    # ------------------------------------------------------------------ reading

    def entry_dir(self, config: RunConfig) -> Path:
        """Folder of the entry for ``config`` (it may not exist)."""
        return self.runs_dir / config.key

    def in_the_way(self, config: RunConfig | str) -> Path | None:
        """What stands at the place of ``config``'s run and is not a run of this cache (a foreign folder, a file,
        a link), so the run cannot be stored; None when nothing does."""
        place = self.runs_dir / _key_of(config)
        return place if os.path.lexists(place) and not _is_ours(place) else None

    def get(self, config: RunConfig | str) -> RunResult | None:
        """The stored run of ``config`` (or of a key), or None. Never derives, writes or deletes."""
        return self.lookup(config).run

    def load(self, key: str) -> RunResult | None:
        """The stored run named ``key``, or None (``get`` by key)."""
        return self.lookup(key).run

    def lookup(self, config: RunConfig | str) -> Lookup:
        """The stored run of ``config`` (or of a key), and why its entry is damaged when it is. Writes nothing.

        A name that is not a key, or a folder that is not one of ours, is no entry (and no damage). When the entry
        cannot be read for a reason outside it (out of file handles, no permission), the answer is Lookup(None).
        """
        key = _key_of(config)
        if not is_key(key):
            return Lookup(None)
        folder = self.runs_dir / key
        try:
            if not folder.is_dir():
                return Lookup(None)
            return Lookup(self._read(folder, key))
        except (DamagedEntry, FileNotFoundError, ConfigError) as exc:
            if _is_ours(folder):
                return Lookup(None, str(exc))
            log.warning("cache folder %s is not a run entry; left alone (%s)", folder, exc)
        except OSError as exc:
            log.warning("cache entry %s cannot be read now (%s); it is kept", key, exc)
        return Lookup(None)

    def can_answer(self, config: RunConfig, data: Dataset | None = None) -> bool:
        """True when ``get_or_derive`` answers ``config`` without training: it is stored, or a longer stored run of
        its family holds it (evaluated on ``data``'s test set, when given). Reads only (the queue's cost check)."""
        if self.get(config) is not None:
            return True
        found = self._derivable(config)
        return found is not None and (data is None or _same_test_set(found[0], data))

    def _read(self, folder: Path, key: str) -> RunResult:
        """The entry's run, its run.json and checksums checked once for as long as its files stay the same.

        Every page rerun lists or loads runs, so what was checked is remembered: the run.json bytes, and the
        probabilities' and weights' (mtime, size, inode) taken before they were hashed. When all are unchanged,
        the checked fields are reused and only the probabilities are mapped again; any change checks it all.
        tests/bench_cache.py: listing 300 entries 180 ms -> 49 ms, loading one 0.65 -> 0.16 ms.
        """
        raw = (folder / _RUN_FILE).read_bytes()
        stamp = _stamp(folder)
        checked = self._checked.get(key)
        if checked is None or checked.raw != raw or checked.stamp != stamp:
            checked = _Checked(raw, stamp, *self._check(folder, key, raw))
            if time.time_ns() - max(stamp[0], stamp[3]) > _SETTLED_NS:
                self._checked[key] = checked  # (see _SETTLED_NS)
        probs_path = folder / _PROBS_FILE
        try:
            probabilities = np.load(probs_path, mmap_mode="r", allow_pickle=False)  # read when used
        except ValueError as exc:
            raise DamagedEntry(f"test probabilities cannot be read ({exc})") from None
        if probabilities.ndim != 2 or probabilities.shape[1] != 10:
            raise DamagedEntry(f"test probabilities have shape {probabilities.shape}")
        config, files = checked.fields["config"], checked.files
        return RunResult(**checked.fields, test_probabilities=probabilities, from_cache=True,
                         _network_loader=lambda: self._weights(folder, files, config))

    def _weights(self, folder: Path, files: dict[str, Any], config: RunConfig) -> DenseNetwork:
        """An entry's network (``RunResult.load_network``); damage is a RunUnavailable for the person, and the
        entry stays (``get_or_derive`` discards it when the run is asked for again)."""
        try:
            return self._arrays(folder, files, _WEIGHTS, lambda z: DenseNetwork.from_arrays(z, config))
        except DamagedEntry as exc:
            log.warning("the stored weights of %s are damaged: %s", folder.name, exc)
            raise RunUnavailable(_("The stored model of this run is damaged; train it again or choose another "
                                   "run.")) from None

    def _check(self, folder: Path, key: str, raw: bytes) -> tuple[dict[str, Any], dict[str, Any], str | None]:
        """Every field of run.json and the checksum of the probabilities; (RunResult fields, files, family)."""
        try:
            meta = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise DamagedEntry(f"run.json is not valid JSON ({exc})") from None
        if not isinstance(meta, dict):
            raise DamagedEntry("run.json is not a JSON object")
        if meta.get("format") != FORMAT_VERSION:
            raise DamagedEntry(f"format {meta.get('format')!r}, expected {FORMAT_VERSION}")
        config = RunConfig.from_dict(_field(meta, "config", dict))
        if config.key != key:
            raise DamagedEntry("its config does not match its key")
        files = _field(meta, "files", dict)
        probs_path, weights_path = folder / _PROBS_FILE, folder / _WEIGHTS
        if not isinstance(files.get(_WEIGHTS), dict) or files.get(_PROBS_FILE, {}).get("sha256") != sha256(probs_path):
            raise DamagedEntry("test probabilities do not match their checksum")
        if not weights_path.is_file() or weights_path.stat().st_size != files[_WEIGHTS].get("bytes"):
            raise DamagedEntry("the weights file is missing or has the wrong size")
        trained_at = _field(meta, "trained_at", str)
        try:
            datetime.fromisoformat(trained_at)
        except ValueError:
            raise DamagedEntry(f"trained_at {trained_at[:40]!r} is not a date") from None
        stopped = meta.get("stopped_early_at")
        if stopped is not None and (not isinstance(stopped, int) or isinstance(stopped, bool) or stopped < 1):
            raise DamagedEntry("stopped_early_at is not an epoch")
        kept = meta.get("kept_epochs", [])
        if not isinstance(kept, list) or not all(isinstance(e, int) and not isinstance(e, bool) for e in kept):
            raise DamagedEntry("kept_epochs is not a list of epochs")
        try:
            origin = Origin.parse(meta.get("origin"))  # a dict; the English words in entries stored before 2026-12
        except (ValueError, TypeError):
            raise DamagedEntry("origin is not an origin") from None
        epoch_seconds = meta.get("epoch_seconds", [])
        if not isinstance(epoch_seconds, list) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in epoch_seconds):
            raise DamagedEntry("epoch_seconds is not a list of numbers")
        fields = {
            "config": config,
            "history": _history(_field(meta, "history", dict)),
            "test_loss": _number(meta, "test_loss"),
            "test_accuracy": _number(meta, "test_accuracy"),
            "train_seconds": _number(meta, "train_seconds"),
            "trained_at": trained_at,
            "data_source": _field(meta, "data_source", str),
            "stopped_early_at": stopped,
            "epoch_seconds": [float(v) for v in epoch_seconds],
            "origin": origin,
            "kept_epochs": tuple(kept) if _SNAPSHOTS in files else (),
            "continuable": _STATE in files,
        }
        family = meta.get("family")
        return fields, files, family if isinstance(family, str) else None

    def _arrays(self, folder: Path, files: dict[str, Any], name: str, read):
        """``read(npz)`` of one of an entry's .npz files, checked against its checksum first. DamagedEntry when the
        file fails; RunUnavailable when it cannot be read now (out of file handles, no permission)."""
        try:
            _verify(folder, files, name)
            with np.load(folder / name, allow_pickle=False) as arrays:
                return read(arrays)
        except (DamagedEntry, RunUnavailable):
            raise
        except OSError as exc:
            raise _unreadable(exc, name) from None
        except Exception as exc:  # noqa: BLE001 - a weights file that fails to load for any reason is damaged
            raise DamagedEntry(f"{name} cannot be loaded ({exc})") from None

    def _weights_damage(self, key: str) -> str | None:
        """Why the stored weights of ``key`` fail their checksum, or None (also when it cannot be told now). A
        sound answer for settled files is remembered, as in ``_read``: the Train page asks on every rerun."""
        folder = self.runs_dir / key
        try:
            stamp = _stamp(folder)
            if self._sound.get(key) == stamp:
                return None
            _verify(folder, self._files(key), _WEIGHTS)
        except DamagedEntry as exc:
            return str(exc)
        except (OSError, RunUnavailable, ValueError, KeyError, TypeError):
            return None
        if time.time_ns() - max(stamp[0], stamp[3]) > _SETTLED_NS:
            self._sound[key] = stamp
        return None

    def _files(self, key: str) -> dict[str, Any]:
        return json.loads((self.runs_dir / key / _RUN_FILE).read_bytes())["files"]

    # ------------------------------------------------------------------ the family of a run

    def _sources(self, config: RunConfig) -> list[tuple[lineage.Source, RunResult]]:
        """The stored runs of ``config``'s family that kept weights, read from their run.json files."""
        family, found = lineage.family(config), []
        try:
            names = [f.name for f in self.runs_dir.iterdir() if is_key(f.name)]
        except OSError:
            return []
        for name in names:
            try:
                raw = (self.runs_dir / name / _RUN_FILE).read_bytes()
                checked = self._checked.get(name)
                if checked is not None and checked.raw == raw:  # read before: no need to parse it again
                    if not checked.fields["kept_epochs"] or checked.family != family:
                        continue
                else:
                    meta = json.loads(raw)
                    if not meta.get("kept_epochs") or meta.get("family") != family:
                        continue
            except (OSError, ValueError, AttributeError):
                continue
            run = self.load(name)
            if run is not None and run.kept_epochs:
                found.append((lineage.Source(run.key, run.config, run.history, frozenset(run.kept_epochs),
                                             run.continuable), run))
        return found

    def _derivable(self, config: RunConfig) -> tuple[RunResult, lineage.Outcome] | None:
        """The stored run of ``config``'s family that ``config`` can be read off, and how; None if none."""
        sources = self._sources(config)
        found = lineage.derivable(config, [s for s, _ in sources])
        if found is None:
            return None
        source, outcome = found
        return dict((s.key, r) for s, r in sources)[source.key], outcome

    def _derive(self, config: RunConfig, data: Dataset | None) -> RunResult | None:
        """``config`` read off a longer stored run of its family (no training), stored; None if none answers."""
        found = self._derivable(config)
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
        snapshots = self._source_arrays(run, _SNAPSHOTS, lambda z: _epoch_weights(  # its epochs, for its timeline
            z, config, [e for e in run.kept_epochs if e <= n]))
        if snapshots is None or outcome.weights_epoch not in snapshots:
            return None
        network = snapshots[outcome.weights_epoch]
        result = evaluated(config, network, data, {k: v[:n] for k, v in run.history.items()},
                           run.epoch_seconds[:n], outcome.stopped_early_at, origin=Origin("taken", run.epochs_run),
                           snapshots={e: w for e, w in snapshots.items() if e <= n})
        self._store(result)
        return result

    def _resume(self, config: RunConfig) -> Resume | None:
        """The training state of the longest shorter run of ``config``'s family, to continue from."""
        sources = self._sources(config)
        source = lineage.continuable(config, [s for s, _ in sources])
        if source is None:
            return None
        run = dict((s.key, r) for s, r in sources)[source.key]
        state = self._source_arrays(run, _STATE, lambda z: [z[f"v{i}"] for i in range(len(z.files))])
        snapshots = self._source_arrays(run, _SNAPSHOTS, lambda z: _epoch_weights(z, run.config, run.kept_epochs))
        if state is None or snapshots is None:
            return None
        return Resume(run.history, run.epoch_seconds, state, snapshots, run.epochs_run)

    def _source_arrays(self, run: RunResult, name: str, read):
        """``_arrays`` of a stored run used to derive or continue another (the write path): None when it cannot
        be read; a damaged entry is discarded."""
        folder = self.runs_dir / run.key
        try:
            return self._arrays(folder, self._files(run.key), name, read)
        except DamagedEntry as exc:
            self._discard(folder, exc)
        except (RunUnavailable, OSError, ValueError, KeyError):
            pass
        return None

    def epoch_networks(self, run: RunResult) -> dict[int, DenseNetwork]:
        """The weights ``run`` kept of its epochs (0: before training), by epoch; a fresh run's own, a stored run's
        read from disk and checked against their checksum. Reading only: damaged or unreadable snapshots raise
        RunUnavailable (nothing is deleted); a run that kept none gives {}."""
        if run.snapshots or not run.kept_epochs:
            return dict(run.snapshots)
        try:
            return self._arrays(self.runs_dir / run.key, self._files(run.key), _SNAPSHOTS,
                                lambda z: _epoch_weights(z, run.config, run.kept_epochs))
        except DamagedEntry:
            raise RunUnavailable(_("The weights this run kept of its epochs are damaged: train it again to see "
                                   "its epochs.")) from None
        except (OSError, ValueError, KeyError) as exc:
            raise RunUnavailable(_("The weights this run kept of its epochs cannot be read now; try again in a "
                                   "moment.")) from exc

    def list(self) -> list[RunResult]:
        """All readable entries, newest first (damaged ones and folders not ours are skipped, not touched)."""
        try:
            names = [f.name for f in self.runs_dir.iterdir() if is_key(f.name)]
        except OSError:
            return []
        results = [r for r in map(self.load, names) if r is not None]
        return sorted(results, key=lambda r: r.trained_at, reverse=True)

    # ------------------------------------------------------------------ writing

    def put(self, result: RunResult) -> Path:
        """Store a finished run atomically; returns its folder. An existing entry is kept. Raises OSError."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self._remove_leftovers()
        final = self.entry_dir(result.config)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{result.key}-", dir=self.runs_dir))
        try:
            np.savez(tmp / _WEIGHTS, **result.load_network().arrays())
            np.save(tmp / _PROBS_FILE, np.asarray(result.test_probabilities, np.float32))
            if result.snapshots:
                np.savez(tmp / _SNAPSHOTS, **{f"e{epoch}_{name}": array for epoch, network in result.snapshots.items()
                                              for name, array in network.arrays().items()})
            if result.state is not None:
                np.savez(tmp / _STATE, **{f"v{i}": array for i, array in enumerate(result.state)})
            files = {f.name: {"sha256": sha256(f), "bytes": f.stat().st_size} for f in tmp.iterdir()}
            meta = result.to_dict() | {"format": FORMAT_VERSION, "files": files,
                                       "family": lineage.family(result.config),
                                       "kept_epochs": sorted(result.snapshots)}
            meta.pop("from_cache")
            (tmp / _RUN_FILE).write_text(json.dumps(meta, indent=1))
            for f in tmp.iterdir():
                _fsync(f)
            try:
                os.rename(tmp, final)
            except OSError:
                if _is_ours(final):  # another process stored it first
                    pass
                elif os.path.lexists(final):  # before: "stored", then "not in the run cache", for ever
                    raise InTheWay(final) from None
                else:
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return final

    def get_or_derive(self, config: RunConfig | str, data: Dataset | None = None) -> Lookup:
        """The stored run of ``config``, or one read off a longer stored run of its family (no training) and
        stored, or None; given a key only, nothing is derived. The write path: when the entry of ``config`` is
        damaged (also weights that fail their checksum) it is discarded, and ``damage`` says why."""
        key = _key_of(config)
        found = self.lookup(key)
        damage = found.damage
        if found.run is not None:
            damage = self._weights_damage(key)
            if damage is None:
                return found
        if damage is not None:
            self._discard(self.runs_dir / key, damage)
        derived = self._derive(config, data) if isinstance(config, RunConfig) else None
        return Lookup(derived, damage)

    def get_or_train(
        self,
        config: RunConfig,
        data: Dataset | None = None,
        listener: TrainingListener | None = None,
    ) -> RunResult:
        """The cached (or derived) run for ``config``, or train it once (even if asked concurrently), store and
        return it. A run that cannot be stored (disk full, read-only folder) is still returned, ``saved`` False.
        """
        cached = self.get_or_derive(config, data).run
        if cached is not None:
            return cached
        with self._lock(config.key):
            cached = self.get_or_derive(config, data).run
            if cached is not None:
                return cached
            result = train(config, data, listener, resume=self._resume(config))
            self._store(result)
            return result

    def _store(self, result: RunResult) -> None:
        """``put``, or log and mark the result unsaved when the disk refuses (full, read-only)."""
        try:
            self.put(result)
        except OSError as exc:
            log.error("run %s could not be stored in %s: %s", result.key, self.root, exc)
            result.saved = False

    def clear(self) -> int:
        """Delete every entry of ours (and leftovers); returns how many entries were really removed."""
        count = 0
        try:
            folders = list(self.runs_dir.iterdir())
        except OSError:
            return 0
        for folder in folders:
            if folder.name.startswith((".tmp-", ".trash-")):
                shutil.rmtree(folder, ignore_errors=True)
            elif _is_ours(folder):
                shutil.rmtree(folder, ignore_errors=True)
                count += not folder.exists()
        return count

    # ------------------------------------------------------------------ helpers

    def _discard(self, folder: Path, reason: object) -> None:
        """Remove a damaged entry of ours (only the write path calls this); a folder not ours is left alone."""
        self._checked.pop(folder.name, None)
        self._sound.pop(folder.name, None)
        if not _is_ours(folder):
            log.warning("cache folder %s is not a run entry; left alone (%s)", folder, reason)
            return
        log.warning("discarding damaged cache entry %s: %s", folder.name, reason)
        trash = folder.with_name(f".trash-{folder.name}-{uuid.uuid4().hex[:8]}")
        try:
            os.rename(folder, trash)
        except OSError:
            return
        shutil.rmtree(trash, ignore_errors=True)

    def _remove_leftovers(self) -> None:
        """Delete hidden temporary and trash folders that a crash left behind (older than a few minutes)."""
        try:
            for folder in self.runs_dir.iterdir():
                if folder.name.startswith((".tmp-", ".trash-")) and \
                        time.time() - folder.stat().st_mtime > LEFTOVER_SECONDS:
                    shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass

    @contextmanager
    def _lock(self, key: str) -> Iterator[None]:
        with self._locks_guard:
            thread_lock = self._locks.setdefault(key, threading.Lock())
        with thread_lock:
            try:
                lock_dir = self.root / "locks"
                lock_dir.mkdir(parents=True, exist_ok=True)
                handle = open(lock_dir / f"{key}.lock", "w")  # noqa: SIM115 - closed by `with handle` below
            except OSError as exc:  # a read-only cache: still train (in this process, one at a time)
                log.warning("no lock file for %s in %s (%s); training without one", key, self.root, exc)
                yield
                return
            with handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)


def _key_of(config: RunConfig | str) -> str:
    return config.key if isinstance(config, RunConfig) else config


def _same_test_set(run: RunResult, data: Dataset) -> bool:
    """True when ``run`` was evaluated on ``data``'s test set (same source and size), so it can be read off."""
    return data.source == run.data_source and run.evaluated_on(data.y_test)


def _verify(folder: Path, files: dict[str, Any], name: str) -> None:
    """DamagedEntry when an entry's file ``name`` does not match its checksum in ``files`` (or is missing);
    RunUnavailable when it cannot be read now (out of file handles, no permission)."""
    try:
        if not isinstance(files.get(name), dict) or sha256(folder / name) != files[name].get("sha256"):
            raise DamagedEntry(f"{name} does not match its checksum")
    except OSError as exc:
        raise _unreadable(exc, name) from None


def _epoch_weights(arrays, config: RunConfig, epochs) -> dict[int, DenseNetwork]:
    """The networks of ``epochs`` from a snapshots.npz (arrays named ``e<epoch>_kernel_0``, ...), by epoch."""
    return {e: DenseNetwork.from_arrays(arrays, config, prefix=f"e{e}_") for e in epochs}


def _unreadable(exc: OSError, name: str) -> Exception:
    """What an OSError reading an entry's file means: RunUnavailable when the process or the disk is short of
    something now (file handles, permission), else damage."""
    if exc.errno in _NOT_NOW:
        # Translators: {reason}: the system's words, e.g. "Permission denied"
        return RunUnavailable(_("The stored run cannot be read right now ({reason}).").format(reason=exc.strerror))
    return DamagedEntry(f"{name} cannot be read ({exc})")


def _is_ours(folder: Path) -> bool:
    """A run entry: a key-shaped name, a folder (not a link) holding nothing but the cache's own files."""
    try:
        return is_key(folder.name) and folder.is_dir() and not folder.is_symlink() and \
            {f.name for f in folder.iterdir()} <= _OUR_FILES
    except OSError:
        return False


def _field(meta: dict[str, Any], name: str, kind: type) -> Any:
    value = meta.get(name)
    if not isinstance(value, kind):
        raise DamagedEntry(f"{name} is missing or not a {kind.__name__}")
    return value


def _number(meta: dict[str, Any], name: str) -> float:
    value = meta.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DamagedEntry(f"{name} is missing or not a number")
    return float(value)


def _history(raw: dict[str, Any]) -> dict[str, list[float]]:
    """The history, checked: loss and accuracy present, known keys only, equal lengths, numbers."""
    if not {"loss", "accuracy"} <= set(raw) or not set(raw) <= set(HISTORY_KEYS):
        raise DamagedEntry("the history lacks loss/accuracy or has unknown entries")
    history = {}
    for name, values in raw.items():
        if not isinstance(values, list) or not values or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):  # NaN is a real loss
            raise DamagedEntry(f"the history's {name} is not a list of numbers")
        history[name] = [float(v) for v in values]
    if len({len(v) for v in history.values()}) != 1:
        raise DamagedEntry("the history's lists have different lengths")
    return history


def _fsync(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())
