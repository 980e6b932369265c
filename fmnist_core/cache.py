"""The on-disk run cache: one folder per config key with the model, history and test predictions.

Layout of an entry ``<root>/runs/<key>/``: ``model.keras``, ``run.json`` (config, history, metrics) and
``test_probabilities.npy``. Entries are written to a temporary folder and renamed into place, so a crash
never leaves a half entry under a real key. A per-key lock (threads and processes) makes concurrent
requests for one config train it once.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import tempfile
import threading
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .config import RunConfig
from .data import Dataset
from .results import RunResult
from .training import TrainingListener, train

CACHE_DIR_ENV = "FMNIST_CACHE_DIR"
FORMAT_VERSION = 1
_MODEL_FILE, _RUN_FILE, _PROBS_FILE = "model.keras", "run.json", "test_probabilities.npy"
log = logging.getLogger(__name__)


class CacheWarning(UserWarning):
    """A damaged cache entry was found and discarded."""


def default_cache_dir() -> Path:
    """``$FMNIST_CACHE_DIR``, else ``$XDG_CACHE_HOME/fmnist-lab``, else ``~/.cache/fmnist-lab``."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fmnist-lab"


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
        """The stored run for ``config``, or None. A damaged entry is discarded with a warning."""
        return self.load(config.key)

    def load(self, key: str) -> RunResult | None:
        """The stored run named ``key``, or None. A damaged entry is discarded with a warning."""
        folder = self.runs_dir / key
        if not folder.is_dir():
            return None
        try:
            result = self._read(folder)
            if result.key != key:
                raise ValueError("its config does not match its key")
            return result
        except Exception as exc:  # noqa: BLE001 - any damage means: discard and retrain
            self._discard(folder, exc)
            return None

    def _read(self, folder: Path) -> RunResult:
        meta = json.loads((folder / _RUN_FILE).read_text())
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT_VERSION}")
        model_path = folder / _MODEL_FILE
        if not model_path.is_file() or model_path.stat().st_size != meta["model_bytes"]:
            raise ValueError("model file is missing or has the wrong size")
        probabilities = np.load(folder / _PROBS_FILE, mmap_mode="r", allow_pickle=False)  # read when used
        if probabilities.ndim != 2 or probabilities.shape[1] != 10:
            raise ValueError(f"test probabilities have shape {probabilities.shape}")
        return RunResult(
            config=RunConfig.from_dict(meta["config"]),
            history={k: [float(v) for v in vs] for k, vs in meta["history"].items()},
            test_loss=float(meta["test_loss"]),
            test_accuracy=float(meta["test_accuracy"]),
            train_seconds=float(meta["train_seconds"]),
            trained_at=str(meta["trained_at"]),
            data_source=str(meta["data_source"]),
            test_probabilities=probabilities,
            from_cache=True,
            stopped_early_at=meta.get("stopped_early_at"),
            _model_loader=lambda: _load_model(model_path),
        )

    def list(self) -> list[RunResult]:
        """All readable entries, newest first (damaged ones are discarded)."""
        if not self.runs_dir.is_dir():
            return []
        keys = [f.name for f in self.runs_dir.iterdir() if f.is_dir() and not f.name.startswith(".")]
        results = [r for r in map(self.load, keys) if r is not None]
        return sorted(results, key=lambda r: r.trained_at, reverse=True)

    # ------------------------------------------------------------------ writing

    def put(self, result: RunResult) -> Path:
        """Store a finished run atomically; returns its folder. An existing entry is kept."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        final = self.entry_dir(result.config)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{result.key}-", dir=self.runs_dir))
        try:
            result.model.save(tmp / _MODEL_FILE)
            np.save(tmp / _PROBS_FILE, result.test_probabilities.astype(np.float32))
            meta = result.summary() | {"format": FORMAT_VERSION, "model_bytes": (tmp / _MODEL_FILE).stat().st_size}
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
        """The cached run for ``config``, or train it once (even if asked concurrently), store and return it."""
        cached = self.get(config)
        if cached is not None:
            return cached
        with self._lock(config.key):
            cached = self.get(config)
            if cached is not None:
                return cached
            result = train(config, data, listener)
            self.put(result)
            return result

    def clear(self) -> int:
        """Delete every entry; returns how many were removed."""
        count = 0
        if self.runs_dir.is_dir():
            for folder in self.runs_dir.iterdir():
                if folder.is_dir():
                    if not folder.name.startswith("."):  # hidden ones are temp or trash folders
                        count += 1
                    shutil.rmtree(folder, ignore_errors=True)
        return count

    def remove(self, config: RunConfig) -> bool:
        """Delete one entry; True if it existed."""
        folder = self.entry_dir(config)
        existed = folder.is_dir()
        shutil.rmtree(folder, ignore_errors=True)
        return existed

    # ------------------------------------------------------------------ helpers

    def _discard(self, folder: Path, reason: BaseException) -> None:
        message = f"discarding damaged cache entry {folder.name}: {reason}"
        warnings.warn(message, CacheWarning, stacklevel=3)
        log.warning(message)
        trash = folder.with_name(f".trash-{folder.name}-{uuid.uuid4().hex[:8]}")
        try:
            os.rename(folder, trash)
        except OSError:
            return
        shutil.rmtree(trash, ignore_errors=True)

    @contextmanager
    def _lock(self, key: str) -> Iterator[None]:
        with self._locks_guard:
            thread_lock = self._locks.setdefault(key, threading.Lock())
        with thread_lock:
            lock_dir = self.root / "locks"
            lock_dir.mkdir(parents=True, exist_ok=True)
            with open(lock_dir / f"{key}.lock", "w") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _load_model(path: Path):
    import keras

    return keras.saving.load_model(path, compile=False)
