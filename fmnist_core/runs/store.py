"""The run store: finished runs on disk, one folder per config key (``entry`` says what is in it).

Reading is pure: ``get``, ``load``, ``lookup``, ``list`` and ``epoch_networks`` never write or delete anything, and
``lookup`` returns damage as a value. Writing is ``put`` (to a hidden temporary folder, renamed into place, so a
crash never leaves a half entry under a real key), ``clear``, and ``_discard`` for the write path of ``cache``.
The store treats its folder as shared with people: it only ever discards a folder that is really one of its
entries (a key-shaped name holding only its own files) and only for damage to the content, never because the
disk or the process is short of something (file handles, permissions).
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import settings
from ..config import ConfigError, RunConfig
from ..forward import DenseNetwork
from ..i18n import _
from . import entry
from .entry import PROBS_FILE, RUN_FILE, SNAPSHOTS, WEIGHTS, DamagedEntry, is_key, is_ours
from .results import RunResult, RunUnavailable

LEFTOVER_SECONDS = 600  # hidden .tmp-*/.trash-* folders older than this are leftovers of a crash
_NOT_NOW = (errno.EMFILE, errno.ENFILE, errno.EACCES, errno.ENOMEM)  # a file unreadable for these is not damaged
# A check is remembered only for files last written this long ago: file times tick coarsely (a few ms), so a
# file rewritten in place within one tick of its check would keep its stamp (git's "racy" entries, same cure).
_SETTLED_NS = 2_000_000_000
log = logging.getLogger(__name__)


class InTheWay(OSError):
    """Something that is not a run of this cache (a foreign folder, a file, a link) stands at a run's place, so the
    run cannot be stored there; it is never deleted (not ours)."""

    def __init__(self, path: Path) -> None:
        super().__init__(errno.EEXIST, "not a run of this cache, left alone", str(path))
        self.path = path


@dataclass(frozen=True)
class Lookup:
    """What asking the cache for one config found: the run (or None); when its entry was found damaged, why (plain
    English for the log; a page words its own sentence); whether the run was stored before it was asked for
    (``from_cache``; not derived or trained now); and whether it is stored now (``saved`` False: the disk refused a
    run derived or trained just now, so it is shown but not kept)."""

    run: RunResult | None
    damage: str | None = None
    from_cache: bool = False
    saved: bool = True


def default_cache_dir() -> Path:
    """``$FMNIST_CACHE_DIR``, else ``$XDG_CACHE_HOME/fmnist-lab``, else ``~/.cache/fmnist-lab``."""
    if settings.text("FMNIST_CACHE_DIR"):
        return Path(settings.text("FMNIST_CACHE_DIR"))
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fmnist-lab"


@dataclass(frozen=True)
class _Checked:
    """What one check of an entry found, and the file state it was found in."""

    raw: bytes  # run.json
    stamp: tuple[int, ...]  # (mtime, size, inode) of the probabilities and the weights, taken before hashing
    meta: entry.Meta


def _stamp(folder: Path) -> tuple[int, ...]:
    """(mtime_ns, size, inode) of an entry's probabilities and weights files."""
    out: tuple[int, ...] = ()
    for name in (PROBS_FILE, WEIGHTS):
        info = (folder / name).stat()
        out += (info.st_mtime_ns, info.st_size, info.st_ino)
    return out


def _settled(stamp: tuple[int, ...]) -> bool:
    return time.time_ns() - max(stamp[0], stamp[3]) > _SETTLED_NS


class RunStore:
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
        place = self.runs_dir / key_of(config)
        return place if os.path.lexists(place) and not is_ours(place) else None

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
        key = key_of(config)
        if not is_key(key):
            return Lookup(None)
        folder = self.runs_dir / key
        try:
            if not folder.is_dir():
                return Lookup(None)
            return Lookup(self._read(folder, key), from_cache=True)
        except (DamagedEntry, FileNotFoundError, ConfigError) as exc:
            if is_ours(folder):
                return Lookup(None, str(exc))
            log.warning("cache folder %s is not a run entry; left alone (%s)", folder, exc)
        except OSError as exc:
            log.warning("cache entry %s cannot be read now (%s); it is kept", key, exc)
        return Lookup(None)

    def list(self) -> list[RunResult]:
        """All readable entries, newest first (damaged ones and folders not ours are skipped, not touched)."""
        results = [r for r in map(self.load, self._keys()) if r is not None]
        return sorted(results, key=lambda r: r.trained_at, reverse=True)

    def family_runs(self, family: str) -> list[RunResult]:
        """The stored runs of ``family`` (``lineage.family``) that kept weights of their epochs. Entries of other
        families are passed over by their run.json alone (not checked)."""
        found = []
        for key in self._keys():
            try:
                raw = (self.runs_dir / key / RUN_FILE).read_bytes()
            except OSError:
                continue
            checked = self._checked.get(key)
            if checked is not None and checked.raw == raw:  # read before: no need to parse it again
                if not checked.meta.fields["kept_epochs"] or checked.meta.family != family:
                    continue
            elif entry.peek_family(raw) != family:
                continue
            run = self.load(key)
            if run is not None and run.kept_epochs:
                found.append(run)
        return found

    def epoch_networks(self, run: RunResult) -> dict[int, DenseNetwork]:
        """The weights ``run`` kept of its epochs (0: before training), by epoch; a fresh run's own, a stored run's
        read from disk and checked against their checksum. Reading only: damaged or unreadable snapshots raise
        RunUnavailable (nothing is deleted); a run that kept none gives {}."""
        if run.snapshots or not run.kept_epochs:
            return dict(run.snapshots)
        try:
            return self._arrays(run.key, SNAPSHOTS, lambda z: entry.epoch_weights(z, run.config, run.kept_epochs))
        except DamagedEntry:
            raise RunUnavailable(_("The weights this run kept of its epochs are damaged: train it again to see "
                                   "its epochs.")) from None
        except (OSError, ValueError, KeyError) as exc:
            raise RunUnavailable(_("The weights this run kept of its epochs cannot be read now; try again in a "
                                   "moment.")) from exc

    def _keys(self) -> list[str]:
        try:
            return [f.name for f in self.runs_dir.iterdir() if is_key(f.name)]
        except OSError:
            return []

    def _read(self, folder: Path, key: str) -> RunResult:
        """The entry's run, its run.json and checksums checked once for as long as its files stay the same.

        Every page rerun lists or loads runs, so what was checked is remembered: the run.json bytes, and the
        probabilities' and weights' (mtime, size, inode) taken before they were hashed. When all are unchanged,
        the checked fields are reused and only the probabilities are mapped again; any change checks it all.
        benchmarks/bench_cache.py: listing 300 entries 180 ms -> 49 ms, loading one 0.65 -> 0.16 ms.
        """
        raw = (folder / RUN_FILE).read_bytes()
        stamp = _stamp(folder)
        checked = self._checked.get(key)
        if checked is None or checked.raw != raw or checked.stamp != stamp:
            meta = entry.read_meta(raw, key)
            entry.check_files(folder, meta.files)
            checked = _Checked(raw, stamp, meta)
            if _settled(stamp):
                self._checked[key] = checked  # (see _SETTLED_NS)
        try:
            probabilities = np.load(folder / PROBS_FILE, mmap_mode="r", allow_pickle=False)  # read when used
        except ValueError as exc:
            raise DamagedEntry(f"test probabilities cannot be read ({exc})") from None
        if probabilities.ndim != 2 or probabilities.shape[1] != 10:
            raise DamagedEntry(f"test probabilities have shape {probabilities.shape}")
        fields, files = checked.meta.fields, checked.meta.files
        return RunResult(**fields, test_probabilities=probabilities,
                         _network_loader=lambda: self._weights(key, files, fields["config"]))

    def _weights(self, key: str, files: dict[str, Any], config: RunConfig) -> DenseNetwork:
        """An entry's network (``RunResult.load_network``); damage is a RunUnavailable for the person, and the
        entry stays (``cache.get_or_derive`` discards it when the run is asked for again)."""
        try:
            return self._arrays(key, WEIGHTS, lambda z: DenseNetwork.from_arrays(z, config), files)
        except DamagedEntry as exc:
            log.warning("the stored weights of %s are damaged: %s", key, exc)
            raise RunUnavailable(_("The stored model of this run is damaged; train it again or choose another "
                                   "run.")) from None

    def _arrays(self, key: str, name: str, read, files: dict[str, Any] | None = None):
        """``read(npz)`` of one of an entry's .npz files, checked against its checksum (in ``files``, else in its
        run.json now) first. DamagedEntry when the file fails; RunUnavailable when it cannot be read now (out of
        file handles, no permission)."""
        folder = self.runs_dir / key
        files = self._files(key) if files is None else files  # its errors are the caller's (as an argument)
        try:
            _verify(folder, files, name)
            with np.load(folder / name, allow_pickle=False) as arrays:
                return read(arrays)
        except (DamagedEntry, RunUnavailable):
            raise
        except OSError as exc:
            raise _unreadable(exc, name) from None
        except Exception as exc:  # noqa: BLE001 - a file that fails to load for any reason is damaged
            raise DamagedEntry(f"{name} cannot be loaded ({exc})") from None

    def _weights_damage(self, key: str) -> str | None:
        """Why the stored weights of ``key`` fail their checksum, or None (also when it cannot be told now). A
        sound answer for settled files is remembered, as in ``_read``: the Train page asks on every rerun."""
        folder = self.runs_dir / key
        try:
            stamp = _stamp(folder)
            if self._sound.get(key) == stamp:
                return None
            _verify(folder, self._files(key), WEIGHTS)
        except DamagedEntry as exc:
            return str(exc)
        except (OSError, RunUnavailable, ValueError, KeyError, TypeError):
            return None
        if _settled(stamp):
            self._sound[key] = stamp
        return None

    def _files(self, key: str) -> dict[str, Any]:
        return json.loads((self.runs_dir / key / RUN_FILE).read_bytes())["files"]

    # ------------------------------------------------------------------ writing

    def put(self, result: RunResult) -> Path:
        """Store a finished run atomically; returns its folder. An existing entry is kept. Raises OSError."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self._remove_leftovers()
        final = self.entry_dir(result.config)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{result.key}-", dir=self.runs_dir))
        try:
            entry.write_files(tmp, result)
            for f in tmp.iterdir():
                _fsync(f)
            try:
                os.rename(tmp, final)
            except OSError:
                if is_ours(final):  # another process stored it first
                    pass
                elif os.path.lexists(final):  # before: "stored", then "not in the run cache", for ever
                    raise InTheWay(final) from None
                else:
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return final

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
            elif is_ours(folder):
                shutil.rmtree(folder, ignore_errors=True)
                count += not folder.exists()
        return count

    def _discard(self, key: str, reason: object) -> None:
        """Remove a damaged entry of ours (only the write path calls this); a folder not ours is left alone."""
        folder = self.runs_dir / key
        self._checked.pop(key, None)
        self._sound.pop(key, None)
        if not is_ours(folder):
            log.warning("cache folder %s is not a run entry; left alone (%s)", folder, reason)
            return
        log.warning("discarding damaged cache entry %s: %s", key, reason)
        trash = folder.with_name(f".trash-{key}-{uuid.uuid4().hex[:8]}")
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
        """One at a time for ``key``, between threads and processes (a lock file beside the runs)."""
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


def key_of(config: RunConfig | str) -> str:
    """The key of ``config``, or the key itself."""
    return config.key if isinstance(config, RunConfig) else config


def _verify(folder: Path, files: dict[str, Any], name: str) -> None:
    """``entry.verify``, an OSError worded as ``_unreadable`` does."""
    try:
        entry.verify(folder, files, name)
    except OSError as exc:
        raise _unreadable(exc, name) from None


def _unreadable(exc: OSError, name: str) -> Exception:
    """What an OSError reading an entry's file means: RunUnavailable when the process or the disk is short of
    something now (file handles, permission), else damage."""
    if exc.errno in _NOT_NOW:
        # Translators: {reason}: the system's words, e.g. "Permission denied"
        return RunUnavailable(_("The stored run cannot be read right now ({reason}).").format(reason=exc.strerror))
    return DamagedEntry(f"{name} cannot be read ({exc})")


def _fsync(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())
