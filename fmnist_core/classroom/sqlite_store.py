"""The class records in one SQLite file beside the run cache (``<cache dir>/classes.sqlite3``): the embedded backend
of ``store.ClassStore``.

Tables: ``classes`` (code, the teacher key's hash, when created and ended, the exercise's teacher controls as the
link's query), ``learners`` (class, nickname as typed, its folded form, unique per class, when joined) and ``runs``
(class, learner, configuration key and values, when, test and validation accuracy, parameters, seconds, whether the
class's challenge was met), ``asked`` (class, learner, configuration key, when: the runs a learner asked for, so the
board counts the class's runs waiting or training). One record per learner and configuration. WAL mode and a busy
timeout let every session and process write side by side; every write is one ``BEGIN IMMEDIATE`` transaction and
every query is parameterised. Every failure of the file (damaged, read-only, locked too long) is a
``ClassUnavailable`` with one sentence; nothing stored is deleted because of one.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..runs.store import default_cache_dir
from .codes import folded, new_code
from .store import (
    AGAIN,
    BACK,
    ENDED,
    FILE_NAME,
    FULL,
    GONE,
    JOINED,
    RECORDED,
    STRANGER,
    TAKEN,
    UNKNOWN,
    ClassInfo,
    ClassStore,
    ClassUnavailable,
    Learner,
    Record,
)

BUSY_MS = 5000

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
CREATE TABLE IF NOT EXISTS asked (
    class TEXT NOT NULL,
    folded TEXT NOT NULL,
    config_key TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (class, folded, config_key),
    FOREIGN KEY (class, folded) REFERENCES learners(class, folded) ON DELETE CASCADE
);
"""


class SQLiteClassStore(ClassStore):
    """The class records in the SQLite file ``path`` (created on first use). Safe for threads and processes:
    each call opens its own connection."""

    def __init__(self, path: Path | str | None = None) -> None:
        super().__init__()
        self.path = Path(path) if path else default_cache_dir() / FILE_NAME
        self.where = f"class records {self.path}"
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
            raise self.unavailable(exc) from None
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            db.execute("PRAGMA synchronous = NORMAL")  # WAL: no fsync per commit, never a damaged file
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield db
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback(db)
            raise self.unavailable(exc) from None
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

    def close(self) -> None:
        """Close the connection kept open (the last one to close folds the WAL into the file); the next call opens
        the file again."""
        with self._ready_lock:
            if self._keeper is not None:
                self._keeper.close()
            self._keeper, self._ready = None, False

    def unavailable(self, exc: Exception) -> ClassUnavailable:
        self._ready = False  # look at the file again next time
        return super().unavailable(exc)

    # ------------------------------------------------------------------ classes

    def _insert_class(self, hashed: str, created: float, controls: str) -> str:
        with self._db(write=True) as db:
            while True:
                code = new_code()
                if db.execute("SELECT 1 FROM classes WHERE code = ?", (code,)).fetchone() is None:
                    break
            db.execute("INSERT INTO classes (code, key_hash, created, controls) VALUES (?, ?, ?, ?)",
                       (code, hashed, created, controls))
        return code

    def _read_class(self, code: str) -> tuple[str, float, float | None, str] | None:
        with self._db() as db:
            return db.execute("SELECT key_hash, created, ended, controls FROM classes WHERE code = ?",
                              (code,)).fetchone()

    def _set_ended(self, code: str, at: float) -> None:
        with self._db(write=True) as db:
            db.execute("UPDATE classes SET ended = ? WHERE code = ? AND ended IS NULL", (at, code))

    def _delete_before(self, cutoff: float) -> int:
        with self._db(write=True) as db:
            return db.execute("DELETE FROM classes WHERE created < ?", (cutoff,)).rowcount

    # ------------------------------------------------------------------ learners

    def _add_learner(self, info: ClassInfo, name: str, returning: bool, at: float) -> tuple[str, Learner | None]:
        with self._db(write=True) as db:
            row = db.execute("SELECT nickname, joined FROM learners WHERE class = ? AND folded = ?",
                             (info.code, folded(name))).fetchone()
            if returning:
                return (UNKNOWN, None) if row is None else (BACK, Learner(*row))
            if row is not None:
                return TAKEN, None
            ended = db.execute("SELECT ended FROM classes WHERE code = ?", (info.code,)).fetchone()
            if ended is None:
                return GONE, None
            if ended[0] is not None:
                return ENDED, None
            if db.execute("SELECT COUNT(*) FROM learners WHERE class = ?",
                          (info.code,)).fetchone()[0] >= self.max_learners:
                return FULL, None
            db.execute("INSERT INTO learners (class, folded, nickname, joined) VALUES (?, ?, ?, ?)",
                       (info.code, folded(name), name, at))
        return JOINED, Learner(name, at)

    def learners(self, code: str) -> list[Learner]:
        with self._db() as db:
            rows = db.execute("SELECT nickname, joined FROM learners WHERE class = ? ORDER BY joined, nickname",
                              (str(code),)).fetchall()
        return [Learner(*row) for row in rows]

    # ------------------------------------------------------------------ runs

    def _add_record(self, info: ClassInfo, fold: str, record: Record) -> str:
        r = record
        with self._db(write=True) as db:
            if db.execute("SELECT 1 FROM learners WHERE class = ? AND folded = ?",
                          (info.code, fold)).fetchone() is None:
                return STRANGER
            if db.execute("SELECT 1 FROM runs WHERE class = ? AND folded = ? AND config_key = ?",
                          (info.code, fold, r.config_key)).fetchone() is not None:
                return AGAIN
            if db.execute("SELECT ended FROM classes WHERE code = ?", (info.code,)).fetchone()[0] is not None:
                return ENDED
            if db.execute("SELECT COUNT(*) FROM runs WHERE class = ? AND folded = ?",
                          (info.code, fold)).fetchone()[0] >= self.max_records:
                return FULL
            db.execute("INSERT INTO runs (class, folded, config_key, config, at, test_accuracy, val_accuracy, "
                       "parameters, seconds, met) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (info.code, fold, r.config_key, r.config, r.at, r.test_accuracy, r.val_accuracy,
                        r.parameters, r.seconds, None if r.met is None else int(r.met)))
        return RECORDED

    def _records(self, code: str, fold: str | None) -> list[tuple[str, Record]]:
        query = ("SELECT l.nickname, r.config_key, r.config, r.at, r.test_accuracy, r.val_accuracy, r.parameters, "
                 "r.seconds, r.met FROM runs r JOIN learners l ON l.class = r.class AND l.folded = r.folded "
                 "WHERE r.class = ?")
        args: tuple[Any, ...] = (code,)
        if fold is not None:
            query, args = query + " AND r.folded = ?", (*args, fold)
        with self._db() as db:
            rows = db.execute(query, args).fetchall()
        return [(row[0], Record(*row[1:8], None if row[8] is None else bool(row[8]))) for row in rows]

    def count(self, code: str, nickname: str) -> int:
        with self._db() as db:
            return db.execute("SELECT COUNT(*) FROM runs WHERE class = ? AND folded = ?",
                              (str(code), folded(nickname))).fetchone()[0]

    def _add_asked(self, info: ClassInfo, fold: str, key: str, at: float) -> bool:
        with self._db(write=True) as db:
            if db.execute("SELECT 1 FROM asked WHERE class = ? AND folded = ? AND config_key = ?",
                          (info.code, fold, key)).fetchone() is not None:
                return True
            open_class = db.execute("SELECT 1 FROM classes WHERE code = ? AND ended IS NULL", (info.code,)).fetchone()
            learner = db.execute("SELECT 1 FROM learners WHERE class = ? AND folded = ?", (info.code, fold)).fetchone()
            if open_class is None or learner is None or db.execute(
                    "SELECT COUNT(*) FROM asked WHERE class = ? AND folded = ?",
                    (info.code, fold)).fetchone()[0] >= self.max_records:
                return False
            db.execute("INSERT INTO asked (class, folded, config_key, at) VALUES (?, ?, ?, ?)",
                       (info.code, fold, key, at))
        return True

    def asked_keys(self, code: str) -> set[str]:
        with self._db() as db:
            return {row[0] for row in db.execute("SELECT DISTINCT config_key FROM asked WHERE class = ?", (str(code),))}


def _rollback(db: sqlite3.Connection) -> None:
    try:
        if db.in_transaction:
            db.execute("ROLLBACK")
    except sqlite3.Error:
        pass
