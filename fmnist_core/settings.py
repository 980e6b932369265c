"""Every ``FMNIST_*`` environment variable, described once (``SETTINGS``) and read here alone.

One row a setting: its name, kind, default, the bounds of a number and what it does (the README's settings
table is checked against these rows by ``tests/core/config/test_settings.py``; ``readme_rows()`` writes them).
The readers parse a value, bound it and fall back to the default on a bad one (not a number, NaN, below its least
valid value), saying so once in the log:

- ``number``/``integer``: a float or an int; ``clamp`` bounds a valid value, ``positive`` refuses 0.
- ``path``/``url``: text, ``""`` when unset.
- ``flag``: on when set to anything but ``""``; ``switch``: on unless ``"0"``.

Settings are read when they are needed (not at import), so a test or a worker sees the environment of its time.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SETTINGS", "Setting", "flag", "integer", "number", "readme_rows", "setting", "text"]

KINDS = ("number", "integer", "path", "url", "flag", "switch")
log = logging.getLogger(__name__)
_warned: set[tuple[str, str]] = set()  # (name, bad value) already said in the log


FIRST_WORKER_MB = 1300  # the web process with a class (about 400 MB) and one fresh worker (840 MB resident)
MORE_WORKER_MB = 600  # each further worker process: its own memory, held under FMNIST_WORKER_MAX_MB
MORE_THREAD_MB = 300  # each further run in a worker process already there (its model, batches and programs)
SYSTEM_MB = 256  # of a host's own memory, left to its system (not taken from a container's limit)
CGROUP, PROC_SELF, MEMINFO = Path("/sys/fs/cgroup"), Path("/proc/self"), Path("/proc/meminfo")


def _cgroup_limits(cgroup: Path, proc_self: Path) -> list[float]:
    """The memory limits in MB on this process's cgroup and every cgroup above it (v2 ``memory.max``, v1
    ``memory.limit_in_bytes``), from ``/proc/self/cgroup``; "max", unreadable and missing files say nothing."""
    places = []
    with contextlib.suppress(OSError):
        for line in (proc_self / "cgroup").read_text().splitlines():
            _, _, rest = line.partition(":")
            controllers, _, path = rest.partition(":")
            if controllers == "":  # v2: 0::/path
                places.append((cgroup / "unified" if (cgroup / "unified").is_dir() else cgroup, path, "memory.max"))
            elif "memory" in controllers.split(","):  # v1: N:memory:/path
                places.append((cgroup / "memory", path, "memory.limit_in_bytes"))
    limits = []
    for root, path, name in places:
        parts = [p for p in path.split("/") if p and p != ".."]
        for depth in range(len(parts), -1, -1):  # its own cgroup, then each one above it up to the root
            with contextlib.suppress(OSError, ValueError):
                limits.append(int(root.joinpath(*parts[:depth], name).read_text().strip()) / 2**20)
    return limits


def memory_mb(cgroup: Path = CGROUP, proc_self: Path = PROC_SELF, meminfo: Path = MEMINFO) -> float | None:
    """The memory the app may use in MB: the host's (``MemTotal`` less ``SYSTEM_MB``), or a cgroup limit on this
    process (a container's, a systemd unit's ``MemoryMax``) where that is lower; None where none can be read."""
    found = _cgroup_limits(cgroup, proc_self)
    with contextlib.suppress(OSError, ValueError, IndexError):
        line = next((line for line in meminfo.read_text().splitlines() if line.startswith("MemTotal:")), "")
        found.append(int(line.split()[1]) / 1024 - SYSTEM_MB)
    found = [mb for mb in found if mb > 0]
    return min(found) if found else None


def _workers() -> float:
    """Runs at once: cores, at most 4, and no more than the memory holds: ``FIRST_WORKER_MB`` for the web process
    and the first run's worker, then ``MORE_THREAD_MB`` for each further run in a worker already there and
    ``MORE_WORKER_MB`` for each further worker process (``FMNIST_WORKER_THREADS`` runs to a process)."""
    cores = max(1, min(os.cpu_count() or 1, 4))
    memory = memory_mb()
    if memory is None:
        return float(cores)
    per_process, left, runs = integer("FMNIST_WORKER_THREADS"), memory - FIRST_WORKER_MB, 1
    while runs < cores:
        left -= MORE_THREAD_MB if runs % per_process else MORE_WORKER_MB
        if left < 0:
            break
        runs += 1
    return float(runs)


@dataclass(frozen=True)
class Setting:
    """One environment variable: how it is read and what it does (``meaning``: the README's words)."""

    name: str
    kind: str
    default: float | str | Callable[[], float]
    meaning: str
    shown: str = ""  # the default as the README says it, when not the default itself
    clamp: tuple[float, float] | None = None  # a valid number is bounded to this range
    positive: bool = False  # 0 is a bad value too

    def default_value(self) -> float | str:
        """The default, computed when it depends on the machine."""
        return self.default() if callable(self.default) else self.default

    def default_text(self) -> str:
        """The default as the README's table shows it."""
        if self.shown:
            return self.shown
        if self.kind in ("number", "integer"):
            return f"{self.default_value():g}"
        return str(self.default) if self.default else "unset"


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("FMNIST_DATA_DIR", "path", "",
            "a folder with the four IDX `.gz` files, tried before every other data source"),
    Setting("FMNIST_CACHE_DIR", "path", "",
            "the run cache's folder ([docs/run-cache.md](docs/run-cache.md)); one shared folder for several machines",
            shown="`~/.cache/fmnist-lab`"),
    Setting("FMNIST_QUEUE_URL", "url", "",
            "a Redis URL (`redis://host:6379/0`): runs go to RQ workers on any machine instead of local worker "
            "processes, and the class records live in that Redis"),
    Setting("FMNIST_WORKERS", "integer", _workers, "runs the app's local workers train at once",
            shown="cores, at most 4, as many as the memory holds: 1.3 GB for the first, 0.3 GB each further one in "
                  "the same process (0.6 GB in a new one)",
            clamp=(1, 16)),  # 0 would leave every run waiting
    Setting("FMNIST_WORKER_THREADS", "integer", 4,
            "runs one local worker process trains at once, each in a thread (1: a process for each run); "
            "TensorFlow and the data are held once a process", clamp=(1, 16)),
    Setting("FMNIST_WORKER_MAX_RUNS", "integer", 20,
            "runs a worker trains before it is replaced, for each run it trains at once (it takes no new run, and "
            "goes once those it trains end; 0: never); for `python -m fmnist_core worker`, RQ's `max_jobs`"),
    Setting("FMNIST_WORKER_MAX_MB", "number", 600.0,
            "a worker whose own memory (resident, less the file-backed library pages every worker shares: "
            "`/proc/PID/statm` resident - shared) is above this after a run, plus 300 for each run still training "
            "in it, is replaced (0: never)"),
    Setting("FMNIST_WORKER_NICE", "integer", 10,
            "how much lower a worker's CPU priority is than the server's (0: the same): training gives way to pages "
            "and the class board on a shared host", clamp=(0, 19)),
    Setting("FMNIST_IDLE_SECONDS", "number", 120.0,
            "after this many seconds with no page run, no run and no short task, the app stops its workers down to "
            "`FMNIST_IDLE_WORKERS` (0: never); the next page or Train click starts them again"),
    Setting("FMNIST_IDLE_WORKERS", "integer", 0,
            "workers kept when the app is idle (1: the next run starts without waiting about 10 s for a worker)",
            clamp=(0, 16)),
    Setting("FMNIST_MAX_RUN_SECONDS", "number", 180.0,
            "the ceiling: a page or link run estimated above it is refused"),
    Setting("FMNIST_OVERRUN", "number", 1.5,
            "a page or link run is stopped once its real training time passes the ceiling times this",
            clamp=(0, 100)),
    Setting("FMNIST_MAX_RUNS_PER_VISITOR", "integer", 3,
            "runs one browser may have waiting or training from pages", clamp=(1, 1000)),
    Setting("FMNIST_PREFETCH", "switch", "1", "0: no background training of the experiment pages' runs"),
    Setting("FMNIST_WARM_UP", "switch", "1", "0: start the workers at the first Train click, not after the first page"),
    Setting("FMNIST_CLASS_DAYS", "number", 14.0,
            "a class is deleted with its learners and records this many days after it started (the runs stay in "
            "the run cache)", positive=True),
    Setting("FMNIST_CLASS_LEARNERS", "integer", 200, "learners who may join one class", positive=True),
    Setting("FMNIST_CLASS_RECORDS", "integer", 1000, "runs one learner can record in a class", positive=True),
    Setting("FMNIST_DEBUG", "flag", "",
            "set (e.g. 1): the command line shows an unexpected error's traceback instead of one line"),
    Setting("FMNIST_HOLD_DIR", "path", "",
            "tests only: a run whose key names a file there waits, as running, until the file goes"),
    Setting("FMNIST_WHEELHOUSE", "path", "",
            "tests only: where `tests/browser/test_plain_host.py` keeps the wheels it downloaded",
            shown="`~/.cache/fmnist-lab/wheelhouse`"),
)}
assert all(s.kind in KINDS for s in SETTINGS.values())


def _bad(row: Setting, raw: str, default: float) -> float:
    """The default for a bad value, said in the log once per name and value."""
    if (row.name, raw) not in _warned:
        _warned.add((row.name, raw))
        least = "a positive number" if row.positive else "a number of at least 0"
        log.warning("%s=%r is not %s; using %g", row.name, raw[:40], least, default)
    return default


def number(name: str) -> float:
    """The number setting ``name``: parsed, bounded, else its default (a bad value is said in the log once)."""
    row = SETTINGS[name]
    if row.kind not in ("number", "integer"):
        raise TypeError(f"{name} is a {row.kind} setting, not a number")
    default = float(row.default_value())
    raw = os.environ.get(name, "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        return _bad(row, raw, default)
    if value != value or value < 0 or (row.positive and value == 0):
        return _bad(row, raw, default)
    if row.clamp:
        value = max(row.clamp[0], min(row.clamp[1], value))
    if row.kind == "integer" and math.isinf(value):
        return _bad(row, raw, default)
    return value


def integer(name: str) -> int:
    """The integer setting ``name`` (a valid fraction is cut to a whole number, as ``int`` does)."""
    if SETTINGS[name].kind != "integer":
        raise TypeError(f"{name} is a {SETTINGS[name].kind} setting, not an integer")
    return int(number(name))


def text(name: str) -> str:
    """The path or URL setting ``name``; ``""`` when it is unset."""
    if SETTINGS[name].kind not in ("path", "url"):
        raise TypeError(f"{name} is a {SETTINGS[name].kind} setting, not a path or URL")
    return os.environ.get(name, "")


def flag(name: str) -> bool:
    """The flag or switch setting ``name``: a flag is on when set, a switch unless ``"0"``."""
    row = SETTINGS[name]
    if row.kind == "flag":
        return bool(os.environ.get(name, ""))
    if row.kind == "switch":
        return os.environ.get(name, str(row.default)) != "0"
    raise TypeError(f"{name} is a {row.kind} setting, not a flag")


def setting(name: str) -> float | int | str | bool:
    """The setting ``name`` read as its kind says."""
    kind = SETTINGS[name].kind
    if kind in ("flag", "switch"):
        return flag(name)
    return integer(name) if kind == "integer" else number(name) if kind == "number" else text(name)


def readme_rows() -> list[str]:
    """The README's settings table rows for these settings, in this table's order."""
    return [f"| `{s.name}` | {s.default_text()} | {s.meaning} |" for s in SETTINGS.values()]
