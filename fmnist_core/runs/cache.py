"""The on-disk run cache: one folder per config key with the model, history and test predictions.

Layout of an entry ``<root>/runs/<key>/``: ``model.keras``, ``test_probabilities.npy`` and ``run.json``
(config, history, metrics, and the SHA-256 of the two other files). Entries are written to a hidden
temporary folder and renamed into place, so a crash never leaves a half entry under a real key. A per-key
lock (threads and processes) makes concurrent requests for one config train it once.

The cache treats its folder as shared with people: it only ever discards a folder that is really one of its
entries (a key-shaped name holding only its own files) and only for damage to the content, never because
the disk or the process is short of something (file handles, permissions). Reading validates every field.
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
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..config import ConfigError, RunConfig
from ..data.sources import Dataset
from .results import HISTORY_KEYS, RunResult, RunUnavailable
from .training import TrainingListener, train

CACHE_DIR_ENV = "FMNIST_CACHE_DIR"
FORMAT_VERSION = 2  # 2: checksums, and epochs shuffled by (seed, epoch); entries of format 1 are retrained
_MODEL_FILE, _RUN_FILE, _PROBS_FILE = "model.keras", "run.json", "test_probabilities.npy"
_OUR_FILES = {_MODEL_FILE, _RUN_FILE, _PROBS_FILE}
_KEY = re.compile(r"[0-9a-f]{16}")
LEFTOVER_SECONDS = 600  # hidden .tmp-*/.trash-* folders older than this are leftovers of a crash
log = logging.getLogger(__name__)


class CacheWarning(UserWarning):
    """A damaged cache entry was found and discarded."""


class DamagedEntry(ValueError):
    """The content of a cache entry is damaged (the entry is discarded)."""


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


class RunCache:
    """Finished runs on disk, keyed by ``RunConfig.key``. Safe to share between threads."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root else default_cache_dir()
        self.runs_dir = self.root / "runs"
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # ------------------------------------------------------------------ reading

    def entry_dir(self, config: RunConfig) -> Path:
        """Folder of the entry for ``config`` (it may not exist)."""
        return self.runs_dir / config.key

    def get(self, config: RunConfig) -> RunResult | None:
        """The stored run for ``config``, or None (see ``load``)."""
        return self.load(config.key)

    def load(self, key: str) -> RunResult | None:
        """The stored run named ``key``, or None. A damaged entry is discarded with a CacheWarning.

        A name that is not a key, or a folder that is not one of ours, is never touched. When the entry cannot
        be read for a reason outside it (out of file handles, no permission), it is kept and None is returned.
        """
        if not is_key(key):
            return None
        folder = self.runs_dir / key
        try:
            if not folder.is_dir():
                return None
            return self._read(folder, key)
        except (DamagedEntry, FileNotFoundError, ConfigError) as exc:
            self._discard(folder, exc)
        except OSError as exc:
            log.warning("cache entry %s cannot be read now (%s); it is kept", key, exc)
        return None

    def _read(self, folder: Path, key: str) -> RunResult:
        try:
            meta = json.loads((folder / _RUN_FILE).read_bytes())
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
        probs_path, model_path = folder / _PROBS_FILE, folder / _MODEL_FILE
        if not isinstance(files.get(_MODEL_FILE), str) or files.get(_PROBS_FILE) != sha256(probs_path):
            raise DamagedEntry("test probabilities do not match their checksum")
        if not model_path.is_file() or model_path.stat().st_size != meta.get("model_bytes"):
            raise DamagedEntry("the model file is missing or has the wrong size")
        try:
            probabilities = np.load(probs_path, mmap_mode="r", allow_pickle=False)  # read when used
        except ValueError as exc:
            raise DamagedEntry(f"test probabilities cannot be read ({exc})") from None
        if probabilities.ndim != 2 or probabilities.shape[1] != 10:
            raise DamagedEntry(f"test probabilities have shape {probabilities.shape}")
        trained_at = _field(meta, "trained_at", str)
        try:
            datetime.fromisoformat(trained_at)
        except ValueError:
            raise DamagedEntry(f"trained_at {trained_at[:40]!r} is not a date") from None
        stopped = meta.get("stopped_early_at")
        if stopped is not None and (not isinstance(stopped, int) or isinstance(stopped, bool) or stopped < 1):
            raise DamagedEntry("stopped_early_at is not an epoch")
        cache, model_sum = self, files[_MODEL_FILE]
        return RunResult(
            config=config,
            history=_history(_field(meta, "history", dict)),
            test_loss=_number(meta, "test_loss"),
            test_accuracy=_number(meta, "test_accuracy"),
            train_seconds=_number(meta, "train_seconds"),
            trained_at=trained_at,
            data_source=_field(meta, "data_source", str),
            test_probabilities=probabilities,
            from_cache=True,
            stopped_early_at=stopped,
            _model_loader=lambda: cache._load_model(folder, model_sum),
        )

    def _load_model(self, folder: Path, expected_sha256: str):
        """The entry's Keras model, checked against its checksum; a model that fails is discarded."""
        from ..net.model import load_model

        path = folder / _MODEL_FILE
        try:
            if sha256(path) != expected_sha256:
                raise DamagedEntry("the model file does not match its checksum")
            return load_model(path)
        except OSError as exc:
            if exc.errno in (errno.EMFILE, errno.ENFILE, errno.EACCES, errno.ENOMEM):
                raise RunUnavailable(f"The stored model cannot be read right now ({exc.strerror}).") from None
            reason: BaseException = exc
        except Exception as exc:  # noqa: BLE001 - a model file that fails to load for any reason is damaged
            reason = exc
        self._discard(folder, reason)
        raise RunUnavailable("The stored model of this run was damaged and has been discarded; "
                             "train it again or choose another run.")

    def list(self) -> list[RunResult]:
        """All readable entries, newest first (damaged ones are discarded, folders not ours are left alone)."""
        try:
            names = [f.name for f in self.runs_dir.iterdir() if is_key(f.name)]
        except OSError:
            return []
        self._remove_leftovers()
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
            result.model.save(tmp / _MODEL_FILE)
            np.save(tmp / _PROBS_FILE, np.asarray(result.test_probabilities, np.float32))
            meta = result.to_dict() | {"format": FORMAT_VERSION, "model_bytes": (tmp / _MODEL_FILE).stat().st_size,
                                       "files": {name: sha256(tmp / name) for name in (_MODEL_FILE, _PROBS_FILE)}}
            meta.pop("from_cache")
            (tmp / _RUN_FILE).write_text(json.dumps(meta, indent=1))
            for f in tmp.iterdir():
                _fsync(f)
            try:
                os.rename(tmp, final)
            except OSError:
                if not final.is_dir():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return final

    def get_or_train(
        self,
        config: RunConfig,
        data: Dataset | None = None,
        listener: TrainingListener | None = None,
    ) -> RunResult:
        """The cached run for ``config``, or train it once (even if asked concurrently), store and return it.

        A run that cannot be stored (disk full, read-only folder) is still returned, with ``saved`` False.
        """
        cached = self.get(config)
        if cached is not None:
            return cached
        with self._lock(config.key):
            cached = self.get(config)
            if cached is not None:
                return cached
            result = train(config, data, listener)
            try:
                self.put(result)
            except OSError as exc:
                log.error("run %s could not be stored in %s: %s", config.key, self.root, exc)
                result.saved = False
            return result

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

    def _discard(self, folder: Path, reason: BaseException) -> None:
        if not _is_ours(folder):
            log.warning("cache folder %s is not a run entry; left alone (%s)", folder, reason)
            return
        message = f"discarding damaged cache entry {folder.name}: {reason}"
        warnings.warn(message, CacheWarning, stacklevel=3)
        log.warning(message)
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
                handle = open(lock_dir / f"{key}.lock", "w")
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
