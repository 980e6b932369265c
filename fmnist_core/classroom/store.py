"""The class records' one interface, ``ClassStore``, and the rules both of its backends share.

``ClassStore`` holds what a class *means*: codes are read and checked, nicknames checked and folded, teacher keys
kept only as their hash, classes expire ``FMNIST_CLASS_DAYS`` days after they were created, a class holds at most
``FMNIST_CLASS_LEARNERS`` learners and a learner at most ``FMNIST_CLASS_RECORDS`` records, and every refusal is one
sentence. A backend only stores: it implements the few ``_``-methods below, each one atomic (a join's nickname
check, learner count and insert happen as one step, so two learners racing for a name get it once).

- ``sqlite_store.SQLiteClassStore``: one SQLite file beside the run cache (the embedded default);
- ``redis_store.RedisClassStore``: the Redis of ``FMNIST_QUEUE_URL``, so that several app servers show one board.

``classroom.open_store`` picks one. Every failure of the storage itself (a damaged or read-only file, a Redis that
is down) is a ``ClassUnavailable`` with one sentence; nothing stored is deleted because of one.
"""

from __future__ import annotations

import json
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import settings
from ..config import ConfigError, RunConfig
from ..i18n import _
from ..runs.results import RunResult
from .codes import ClassError, check_nickname, folded, key_hash, key_matches, new_key, read_code

FILE_NAME = "classes.sqlite3"
CONTROL_KEYS = ("hide", "lock", "challenge")  # the teacher controls a class's link may carry
log = logging.getLogger(__name__)

# What a backend's join and record steps answer.
JOINED, BACK, UNKNOWN, TAKEN, ENDED, FULL, GONE = "joined", "back", "unknown", "taken", "ended", "full", "gone"
RECORDED, AGAIN, STRANGER = "recorded", "again", "stranger"


class ClassUnavailable(ClassError):
    """The class records cannot be read or written now (the file is damaged, read-only or busy; Redis is down)."""


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


@dataclass(frozen=True)
class Record:
    """What is stored of one run in a class (the configuration as JSON), before it is read back as a ClassRun."""

    config_key: str
    config: str
    at: float
    test_accuracy: float
    val_accuracy: float | None
    parameters: int
    seconds: float
    met: bool | None


class ClassStore(ABC):
    """The class records: the methods the pages and the board use. Safe for threads and processes."""

    where = "class records"  # what the log names when the storage fails

    def __init__(self) -> None:
        self.days = settings.number("FMNIST_CLASS_DAYS")
        self.max_learners = settings.integer("FMNIST_CLASS_LEARNERS")
        self.max_records = settings.integer("FMNIST_CLASS_RECORDS")

    # ------------------------------------------------------------------ what a backend implements

    @abstractmethod
    def _insert_class(self, hashed: str, created: float, controls: str) -> str:
        """Store a new class under a fresh code (``new_code``, drawn again while taken); its code."""
        raise NotImplementedError

    @abstractmethod
    def _read_class(self, code: str) -> tuple[str, float, float | None, str] | None:
        """(key hash, created, ended, controls as JSON) of the class ``code``, or None."""
        raise NotImplementedError

    @abstractmethod
    def _set_ended(self, code: str, at: float) -> None:
        """Mark the class ended at ``at`` (unless it has ended before)."""
        raise NotImplementedError

    @abstractmethod
    def _add_learner(self, info: ClassInfo, name: str, returning: bool, at: float) -> tuple[str, Learner | None]:
        """In one atomic step: BACK and the learner stored (``returning``) or UNKNOWN; else TAKEN, ENDED, FULL
        (``self.max_learners``), GONE (the class is no more) or JOINED and the new learner."""
        raise NotImplementedError

    @abstractmethod
    def _add_record(self, info: ClassInfo, fold: str, record: Record) -> str:
        """In one atomic step: STRANGER (no such learner), AGAIN (recorded before), ENDED, FULL
        (``self.max_records``), GONE or RECORDED."""
        raise NotImplementedError

    @abstractmethod
    def _delete_before(self, cutoff: float) -> int:
        """Delete the classes created before ``cutoff`` with their learners and records; how many."""
        raise NotImplementedError

    @abstractmethod
    def learners(self, code: str) -> list[Learner]:
        """The class's learners, in the order they joined."""
        raise NotImplementedError

    @abstractmethod
    def _records(self, code: str, fold: str | None) -> list[tuple[str, Record]]:
        """(nickname as first typed, record) of the class's records (one learner's, with ``fold``)."""
        raise NotImplementedError

    @abstractmethod
    def count(self, code: str, nickname: str) -> int:
        """How many runs ``nickname`` has recorded in the class."""
        raise NotImplementedError

    @abstractmethod
    def _add_asked(self, info: ClassInfo, fold: str, key: str, at: float) -> bool:
        """In one atomic step: note that the learner ``fold`` asked for the run ``key`` when the class is open,
        the learner is in it and has fewer than ``self.max_records`` noted; whether it was noted (again: True)."""
        raise NotImplementedError

    @abstractmethod
    def asked_keys(self, code: str) -> set[str]:
        """The configuration keys the class's learners asked for, trained or not yet."""
        raise NotImplementedError

    # ------------------------------------------------------------------ failures

    def unavailable(self, exc: Exception) -> ClassUnavailable:
        """The one sentence for a storage that fails (the log says what failed; never a teacher key)."""
        log.warning("%s: %s: %s", self.where, type(exc).__name__, str(exc)[:300])
        return ClassUnavailable(_("The class records cannot be used right now (the server's file of classes is "
                                  "damaged, read-only or busy); nothing stored is lost. Please try again later "
                                  "or tell the person who hosts the app."))

    @staticmethod
    def _no_class(code: str) -> ClassError:
        # Translators: {code}: a class code, e.g. "K7P2QX"
        return ClassError(_("There is no class {code} on this server (it may have expired); check the link or ask "
                            "your teacher.").format(code=code))

    # ------------------------------------------------------------------ classes

    def create(self, controls: Mapping[str, str] | None = None, now: float | None = None) -> tuple[str, str]:
        """A new class with the link's teacher controls (``hide``, ``lock``, ``challenge``); returns (code, key).
        The key is returned once: only its hash is kept. Expired classes are deleted first."""
        now = time.time() if now is None else now
        kept = {k: str(v)[:300] for k, v in (controls or {}).items() if k in CONTROL_KEYS and v}
        self.expire(now)
        key = new_key()
        return self._insert_class(key_hash(key), now, json.dumps(kept)), key

    def get(self, code: object, now: float | None = None) -> ClassInfo:
        """The class named ``code``, or ClassError: not a code, no such class, or expired."""
        found = read_code(code)
        if found is None:
            raise ClassError(_("That is not a class code: a class code has 6 letters and digits, like K7P2QX."))
        row = self._read_class(found)
        if row is None or self._expired(row[1], now):
            raise self._no_class(found)
        return ClassInfo(found, row[1], row[2], _controls(row[3]))

    def as_teacher(self, code: object, key: object, now: float | None = None) -> ClassInfo:
        """The class, when ``key`` is its teacher key; else ClassError (the same sentence for an unknown class and
        a wrong key: the board says nothing about which codes exist)."""
        refusal = ClassError(_("This board link is not valid: the class code or the teacher key is wrong, or the "
                               "class has expired. Use the board link shown when the class was started."))
        found = read_code(code)
        if found is None or not isinstance(key, str):
            raise refusal
        row = self._read_class(found)
        if row is None or not key_matches(key, row[0]) or self._expired(row[1], now):
            raise refusal
        return ClassInfo(found, row[1], row[2], _controls(row[3]))

    def end(self, code: str, key: str, now: float | None = None) -> ClassInfo:
        """End the class (no more joins or records; its board stays readable); ClassError with a wrong key."""
        info = self.as_teacher(code, key, now)
        self._set_ended(info.code, time.time() if now is None else now)
        return self.get(info.code, now)

    def expire(self, now: float | None = None) -> int:
        """Delete the classes created more than the setting's days ago, with their learners and records."""
        return self._delete_before((time.time() if now is None else now) - self.days * 86400)

    def _expired(self, created: float, now: float | None) -> bool:
        return created < (time.time() if now is None else now) - self.days * 86400

    def expires_at(self, created: float) -> float:
        """When a class created at ``created`` expires (Unix seconds)."""
        return created + self.days * 86400

    # ------------------------------------------------------------------ learners

    def join(self, code: str, nickname: object, returning: bool = False, now: float | None = None) -> Learner:
        """Join the class as ``nickname`` (``returning``: come back as one who joined before). ClassError with the
        sentence when the class is ended or full, the nickname is not allowed, taken (joining) or unknown
        (coming back)."""
        info = self.get(code, now)
        name = check_nickname(nickname)
        outcome, learner = self._add_learner(info, name, returning, time.time() if now is None else now)
        if outcome in (JOINED, BACK) and learner is not None:
            return learner
        if outcome == UNKNOWN:
            # Translators: {name}: the nickname typed, shown as plain text; {code}: e.g. "K7P2QX"
            raise ClassError(_("Nobody has joined {code} as “{name}” yet: check the spelling, or join with "
                               "it as a new nickname.").format(name=name, code=info.code))
        if outcome == TAKEN:
            # Translators: {name}: the nickname typed, shown as plain text
            raise ClassError(_("The nickname “{name}” is already taken in this class; please choose another "
                               "one (or, if it is yours, come back with it).").format(name=name))
        if outcome == ENDED:
            raise ClassError(_("This class has ended: no one can join it any more."))
        if outcome == FULL:
            # Translators: {n}: the most learners a class can have, e.g. 200
            raise ClassError(_("This class is full ({n} learners); ask your teacher.").format(n=self.max_learners))
        raise self._no_class(info.code)

    # ------------------------------------------------------------------ runs

    def record(self, code: str, nickname: str, result: RunResult, now: float | None = None) -> bool:
        """Record that ``nickname`` trained or looked up ``result`` in the class (once per configuration);
        returns True when it is a new record, False when it was recorded before. ClassError when the learner is
        not in the class, the class has ended, or the learner has reached the records' limit."""
        info = self.get(code, now)
        history = result.history.get("val_accuracy") or []
        challenge = class_challenge(info)
        record = Record(result.key, json.dumps(result.config.to_dict(), sort_keys=True),
                        time.time() if now is None else now, float(result.test_accuracy),
                        float(history[-1]) if history else None, int(result.parameters), float(result.train_seconds),
                        None if challenge is None else bool(challenge.met(result)))
        outcome = self._add_record(info, folded(nickname), record)
        if outcome == RECORDED:
            return True
        if outcome == AGAIN:
            return False  # recorded before (also before the class ended: nothing to say)
        if outcome == STRANGER:
            # Translators: {name}: a nickname, shown as plain text; {code}: e.g. "K7P2QX"
            raise ClassError(_("“{name}” has not joined {code}; join the class again.").format(
                name=nickname, code=info.code))
        if outcome == ENDED:
            raise ClassError(_("This class has ended, so this run was not added to it."))
        if outcome == FULL:
            # Translators: {n}: the most runs one learner can record in a class, e.g. 1,000
            raise ClassError(_("You have recorded {n} runs in this class, the most one learner can; this one "
                               "was not added.").format(n=self.max_records))
        raise self._no_class(info.code)

    def ask(self, code: str, nickname: str, key: str, now: float | None = None) -> bool:
        """Note that ``nickname`` asked for the run ``key`` (before it is trained), so the board can count the
        class's runs waiting or training now; False when nothing was noted (not in the class, the class ended, or
        the learner's records' limit reached). ClassError when there is no such class."""
        info = self.get(code, now)
        return self._add_asked(info, folded(nickname), str(key), time.time() if now is None else now)

    def runs(self, code: str, nickname: str | None = None) -> list[ClassRun]:
        """The class's records (one learner's, with ``nickname``), oldest first."""
        found = [_run(name, record) for name, record in
                 self._records(str(code), None if nickname is None else folded(nickname))]
        return sorted((run for run in found if run is not None), key=lambda r: (r.at, r.nickname))


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
    except (ValueError, TypeError):
        return {}
    return {k: str(v) for k, v in found.items() if k in CONTROL_KEYS} if isinstance(found, dict) else {}


def _run(nickname: str, record: Record) -> ClassRun | None:
    """A record as read back (a record whose configuration no longer reads is skipped, and logged)."""
    try:
        parsed = RunConfig.from_dict(json.loads(record.config))
    except (ValueError, TypeError, ConfigError) as exc:
        log.warning("class record of %s skipped: its configuration cannot be read (%s)", record.config_key, exc)
        return None
    return ClassRun(nickname, parsed, record.config_key, record.at, record.test_accuracy, record.val_accuracy,
                    record.parameters, record.seconds, record.met)


def as_json(record: Record) -> str:
    """A record as one JSON text (what Redis stores)."""
    return json.dumps(record.__dict__)


def from_json(text: Any) -> Record | None:
    """A record from ``as_json``'s text, or None when it is not one (logged)."""
    try:
        found = json.loads(text)
        return Record(**found) if isinstance(found, dict) else None
    except (ValueError, TypeError) as exc:
        log.warning("class record skipped: it cannot be read (%s)", exc)
        return None
