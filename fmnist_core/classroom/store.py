"""The classes' records in one SQLite file beside the run cache (``<cache dir>/classes.sqlite3``).

Tables: ``classes`` (code, the teacher key's hash, when created and ended, the exercise's teacher controls as the
link's query), ``learners`` (class, nickname as typed, its folded form, unique per class, when joined) and
``runs`` (class, learner, configuration key and values, when, test and validation accuracy, parameters, seconds,
whether the class's challenge was met). One record per learner and configuration: a learner looking at a run
again records nothing new. WAL mode and a busy timeout let every session and process write side by side; every
query is parameterised. A class is deleted with its records ``FMNIST_CLASS_DAYS`` days after it was created
(never a run of the run cache). Every failure of the file (damaged, read-only, locked too long) is a
``ClassUnavailable`` with one sentence; nothing stored is deleted because of one.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import ConfigError, RunConfig
from ..i18n import _
from ..runs.results import RunResult
from ..runs.store import default_cache_dir
from .codes import ClassError, check_nickname, folded, key_hash, key_matches, new_code, new_key, read_code

FILE_NAME = "classes.sqlite3"
DAYS_ENV, LEARNERS_ENV, RECORDS_ENV = "FMNIST_CLASS_DAYS", "FMNIST_CLASS_LEARNERS", "FMNIST_CLASS_RECORDS"
DEFAULT_DAYS, DEFAULT_LEARNERS, DEFAULT_RECORDS = 14.0, 200, 1000
CONTROL_KEYS = ("hide", "lock", "challenge")  # the teacher controls a class's link may carry
BUSY_MS = 5000
log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS classes (
    code TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL,
    created REAL NOT NULL,
    ended REAL,
    controls TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS learners (
    class TEXT NOT NULL REFERENCES classes(code) ON DELETE CASCADE,
    folded TEXT NOT NULL,
    nickname TEXT NOT NULL,
    joined REAL NOT NULL,
    PRIMARY KEY (class, folded)
);
CREATE TABLE IF NOT EXISTS runs (
    class TEXT NOT NULL,
    folded TEXT NOT NULL,
    config_key TEXT NOT NULL,
    config TEXT NOT NULL,
    at REAL NOT NULL,
    test_accuracy REAL NOT NULL,
    val_accuracy REAL,
    parameters INTEGER NOT NULL,
    seconds REAL NOT NULL,
    met INTEGER,
    PRIMARY KEY (class, folded, config_key),
    FOREIGN KEY (class, folded) REFERENCES learners(class, folded) ON DELETE CASCADE
);
"""


class ClassUnavailable(ClassError):
    """The class records cannot be read or written now (the file is damaged, read-only or busy)."""


def _setting(name: str, default: float) -> float:
    """A positive number from the environment, else ``default`` (a bad value is said in the log)."""
    raw = os.environ.get(name, "")
    try:
        value = float(raw) if raw else default
        if value > 0:
            return value
    except ValueError:
        pass
    log.warning("%s=%r is not a positive number; using %s", name, raw[:40], default)
    return default


@dataclass(frozen=True)
class ClassInfo:
    """One class: its code, when it was created and ended (Unix seconds), and the link's teacher controls."""

    code: str
    created: float
    ended: float | None
    controls: dict[str, str]

    @property
    def open(self) -> bool:
        return self.ended is None


@dataclass(frozen=True)
class Learner:
    nickname: str
    joined: float


@dataclass(frozen=True)
class ClassRun:
    """One learner's record of one configuration."""

    nickname: str
    config: RunConfig
    key: str
    at: float
    test_accuracy: float
    val_accuracy: float | None
    parameters: int
    seconds: float
    met: bool | None  # None: the class has no challenge


class ClassStore:
    """The class records in the SQLite file ``path`` (created on first use). Safe for threads and processes:
    each call opens its own connection."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else default_cache_dir() / FILE_NAME
        self.days = _setting(DAYS_ENV, DEFAULT_DAYS)
        self.max_learners = int(_setting(LEARNERS_ENV, DEFAULT_LEARNERS))
        self.max_records = int(_setting(RECORDS_ENV, DEFAULT_RECORDS))
        self._ready = False
        self._ready_lock = threading.Lock()
        self._keeper: sqlite3.Connection | None = None

    # ------------------------------------------------------------------ the file

    @contextmanager
    def _db(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection in one transaction (``write``: taken for writing at once, so counts stay true)."""
        try:
            self._prepare()
            db = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:  # OSError: its folder cannot be made (a file, no permission)
            raise self._unavailable(exc) from None
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            db.execute("PRAGMA synchronous = NORMAL")  # WAL: no fsync per commit, never a damaged file
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield db
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback(db)
            raise self._unavailable(exc) from None
        except BaseException:
            _rollback(db)
            raise
        finally:
            db.close()

    def _prepare(self) -> None:
        """Create the file and its tables on first use, in WAL mode."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None, check_same_thread=False)
            try:
                db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
                if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    db.execute("PRAGMA journal_mode = WAL")
                db.executescript(SCHEMA)
            except sqlite3.Error:
                db.close()
                raise
            if self._keeper is not None:
                self._keeper.close()
            # Kept open, unused, for as long as the store: the last connection to close checkpoints the WAL into
            # the file and deletes it (about 5 ms a call when every call was the last one).
            self._keeper = db
            self._ready = True

    def _unavailable(self, exc: Exception) -> ClassUnavailable:
        log.warning("class records %s: %s: %s", self.path, type(exc).__name__, exc)
        self._ready = False  # look at the file again next time
        return ClassUnavailable(_("The class records cannot be used right now (the server's file of classes is "
                                  "damaged, read-only or busy); nothing stored is lost. Please try again later "
                                  "or tell the person who hosts the app."))

    # ------------------------------------------------------------------ classes

    def create(self, controls: Mapping[str, str] | None = None, now: float | None = None) -> tuple[str, str]:
        """A new class with the link's teacher controls (``hide``, ``lock``, ``challenge``); returns (code, key).
        The key is returned once: only its hash is kept. Expired classes are deleted first."""
        now = time.time() if now is None else now
        kept = {k: str(v)[:300] for k, v in (controls or {}).items() if k in CONTROL_KEYS and v}
        self.expire(now)
        key = new_key()
        with self._db(write=True) as db:
            while True:
                code = new_code()
                if db.execute("SELECT 1 FROM classes WHERE code = ?", (code,)).fetchone() is None:
                    break
            db.execute("INSERT INTO classes (code, key_hash, created, controls) VALUES (?, ?, ?, ?)",
                       (code, key_hash(key), now, json.dumps(kept)))
        return code, key

    def get(self, code: object, now: float | None = None) -> ClassInfo:
        """The class named ``code``, or ClassError: not a code, no such class, or expired."""
        found = read_code(code)
        if found is None:
            raise ClassError(_("That is not a class code: a class code has 6 letters and digits, like K7P2QX."))
        with self._db() as db:
            row = db.execute("SELECT code, created, ended, controls FROM classes WHERE code = ?",
                             (found,)).fetchone()
        if row is None or self._expired(row[1], now):
            # Translators: {code}: a class code, e.g. "K7P2QX"
            raise ClassError(_("There is no class {code} on this server (it may have expired); check the link or "
                               "ask your teacher.").format(code=found))
        return ClassInfo(row[0], row[1], row[2], _controls(row[3]))

    def as_teacher(self, code: object, key: object, now: float | None = None) -> ClassInfo:
        """The class, when ``key`` is its teacher key; else ClassError (the same sentence for an unknown class and
        a wrong key: the board says nothing about which codes exist)."""
        refusal = ClassError(_("This board link is not valid: the class code or the teacher key is wrong, or the "
                               "class has expired. Use the board link shown when the class was started."))
        found = read_code(code)
        if found is None or not isinstance(key, str):
            raise refusal
        with self._db() as db:
            row = db.execute("SELECT key_hash, created FROM classes WHERE code = ?", (found,)).fetchone()
        if row is None or not key_matches(key, row[0]) or self._expired(row[1], now):
            raise refusal
        return self.get(found, now)

    def end(self, code: str, key: str, now: float | None = None) -> ClassInfo:
        """End the class (no more joins or records; its board stays readable); ClassError with a wrong key."""
        info = self.as_teacher(code, key, now)
        with self._db(write=True) as db:
            db.execute("UPDATE classes SET ended = ? WHERE code = ? AND ended IS NULL",
                       (time.time() if now is None else now, info.code))
        return self.get(info.code, now)

    def expire(self, now: float | None = None) -> int:
        """Delete the classes created more than the setting's days ago, with their learners and records."""
        cutoff = (time.time() if now is None else now) - self.days * 86400
        with self._db(write=True) as db:
            return db.execute("DELETE FROM classes WHERE created < ?", (cutoff,)).rowcount

    def _expired(self, created: float, now: float | None) -> bool:
        return created < (time.time() if now is None else now) - self.days * 86400

    # ------------------------------------------------------------------ learners

    def join(self, code: str, nickname: object, returning: bool = False, now: float | None = None) -> Learner:
        """Join the class as ``nickname`` (``returning``: come back as one who joined before). ClassError with the
        sentence when the class is ended or full, the nickname is not allowed, taken (joining) or unknown
        (coming back)."""
        info = self.get(code, now)
        name = check_nickname(nickname)
        with self._db(write=True) as db:
            row = db.execute("SELECT nickname, joined FROM learners WHERE class = ? AND folded = ?",
                             (info.code, folded(name))).fetchone()
            if returning:
                if row is None:
                    # Translators: {name}: the nickname typed, shown as plain text; {code}: e.g. "K7P2QX"
                    raise ClassError(_("Nobody has joined {code} as “{name}” yet: check the spelling, or join with "
                                       "it as a new nickname.").format(name=name, code=info.code))
                return Learner(row[0], row[1])
            if row is not None:
                # Translators: {name}: the nickname typed, shown as plain text
                raise ClassError(_("The nickname “{name}” is already taken in this class; please choose another "
                                   "one (or, if it is yours, come back with it).").format(name=name))
            if not info.open:
                raise ClassError(_("This class has ended: no one can join it any more."))
            joined = db.execute("SELECT COUNT(*) FROM learners WHERE class = ?", (info.code,)).fetchone()[0]
            if joined >= self.max_learners:
                # Translators: {n}: the most learners a class can have, e.g. 200
                raise ClassError(_("This class is full ({n} learners); ask your teacher.").format(
                    n=self.max_learners))
            at = time.time() if now is None else now
            db.execute("INSERT INTO learners (class, folded, nickname, joined) VALUES (?, ?, ?, ?)",
                       (info.code, folded(name), name, at))
        return Learner(name, at)

    def learners(self, code: str) -> list[Learner]:
        """The class's learners, in the order they joined."""
        with self._db() as db:
            rows = db.execute("SELECT nickname, joined FROM learners WHERE class = ? ORDER BY joined, nickname",
                              (str(code),)).fetchall()
        return [Learner(*row) for row in rows]

    # ------------------------------------------------------------------ runs

    def record(self, code: str, nickname: str, result: RunResult, now: float | None = None) -> bool:
        """Record that ``nickname`` trained or looked up ``result`` in the class (once per configuration);
        returns True when it is a new record, False when it was recorded before. ClassError when the learner is
        not in the class, the class has ended, or the learner has reached the records' limit."""
        info = self.get(code, now)
        history = result.history.get("val_accuracy") or []
        challenge = class_challenge(info)
        met = None if challenge is None else challenge.met(result)
        row = (info.code, folded(nickname), result.key, json.dumps(result.config.to_dict(), sort_keys=True),
               time.time() if now is None else now, float(result.test_accuracy),
               float(history[-1]) if history else None, int(result.parameters), float(result.train_seconds),
               None if met is None else int(met))
        with self._db(write=True) as db:
            if db.execute("SELECT 1 FROM learners WHERE class = ? AND folded = ?", row[:2]).fetchone() is None:
                # Translators: {name}: a nickname, shown as plain text; {code}: e.g. "K7P2QX"
                raise ClassError(_("“{name}” has not joined {code}; join the class again.").format(
                    name=nickname, code=info.code))
            if db.execute("SELECT 1 FROM runs WHERE class = ? AND folded = ? AND config_key = ?",
                          row[:3]).fetchone() is not None:
                return False  # recorded before (also before the class ended: nothing to say)
            if not info.open:
                raise ClassError(_("This class has ended, so this run was not added to it."))
            count = db.execute("SELECT COUNT(*) FROM runs WHERE class = ? AND folded = ?", row[:2]).fetchone()[0]
            if count >= self.max_records:
                # Translators: {n}: the most runs one learner can record in a class, e.g. 1,000
                raise ClassError(_("You have recorded {n} runs in this class, the most one learner can; this one "
                                   "was not added.").format(n=self.max_records))
            db.execute("INSERT INTO runs (class, folded, config_key, config, at, test_accuracy, val_accuracy, "
                       "parameters, seconds, met) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        return True

    def runs(self, code: str, nickname: str | None = None) -> list[ClassRun]:
        """The class's records (one learner's, with ``nickname``), oldest first."""
        query = ("SELECT l.nickname, r.config, r.config_key, r.at, r.test_accuracy, r.val_accuracy, r.parameters, "
                 "r.seconds, r.met FROM runs r JOIN learners l ON l.class = r.class AND l.folded = r.folded "
                 "WHERE r.class = ?")
        args: tuple[Any, ...] = (str(code),)
        if nickname is not None:
            query, args = query + " AND r.folded = ?", (*args, folded(nickname))
        with self._db() as db:
            rows = db.execute(query + " ORDER BY r.at, l.nickname", args).fetchall()
        return [run for run in map(_run, rows) if run is not None]

    def count(self, code: str, nickname: str) -> int:
        """How many runs ``nickname`` has recorded in the class."""
        with self._db() as db:
            return db.execute("SELECT COUNT(*) FROM runs WHERE class = ? AND folded = ?",
                              (str(code), folded(nickname))).fetchone()[0]


def class_challenge(info: ClassInfo):  # -> lessons.Challenge | None
    """The class's challenge, from the controls it was started with (None: none, or not usable)."""
    from ..lessons.challenges import parse_challenge

    text = info.controls.get("challenge")
    if not text:
        return None
    try:
        return parse_challenge(text)
    except ConfigError:
        return None


def _controls(raw: str) -> dict[str, str]:
    try:
        found = json.loads(raw)
    except ValueError:
        return {}
    return {k: str(v) for k, v in found.items() if k in CONTROL_KEYS} if isinstance(found, dict) else {}


def _run(row: tuple) -> ClassRun | None:
    """A record as read from the file (a record whose configuration no longer reads is skipped, and logged)."""
    nickname, config, key, at, test, val, parameters, seconds, met = row
    try:
        parsed = RunConfig.from_dict(json.loads(config))
    except (ValueError, TypeError, ConfigError) as exc:
        log.warning("class record of %s skipped: its configuration cannot be read (%s)", key, exc)
        return None
    return ClassRun(nickname, parsed, key, at, test, val, parameters, seconds, None if met is None else bool(met))


def _rollback(db: sqlite3.Connection) -> None:
    try:
        if db.in_transaction:
            db.execute("ROLLBACK")
    except sqlite3.Error:
        pass
