"""The class records in Redis (``FMNIST_QUEUE_URL``): the backend of ``store.ClassStore`` for several app servers
behind one address, which then show one board.

Keys, all under ``fmnist:class:<CODE>``:

- ``fmnist:class:<CODE>``: a hash of the class (``key_hash``, ``created``, ``controls``, ``ended`` once ended);
- ``fmnist:class:<CODE>:learners``: a hash, the folded nickname -> ``[nickname as typed, joined]`` (JSON);
- ``fmnist:class:<CODE>:runs:<folded nickname>``: a hash, the configuration key -> the record (JSON);
- ``fmnist:class:<CODE>:asked:<folded nickname>``: a set of the configuration keys the learner asked for (the
  board counts the class's runs waiting or training with it);
- ``fmnist:classes``: a sorted set of the codes by when they were created, so that ``expire`` finds old classes.

Every key of a class expires with the class (``PEXPIREAT`` at its creation plus ``FMNIST_CLASS_DAYS``), so Redis
deletes a class with its records by itself; ``expire`` deletes them sooner on a clock of its own (tests). A join
and a record are each one Lua script (one atomic step in Redis: a nickname is given once, the limits hold for any
number of app servers). Nothing is pickled: only JSON and strings. A Redis that is down, or answers with an error,
is a ``ClassUnavailable`` with the same sentence as a damaged SQLite file.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from .codes import ClassError, folded, new_code
from .store import GONE, ClassInfo, ClassStore, Learner, Record, as_json, from_json

PREFIX = "fmnist:class:"
INDEX = "fmnist:classes"
TIMEOUT = 5.0  # seconds: a Redis that does not answer is a sentence, not a page that hangs

CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'key_hash', ARGV[1], 'created', ARGV[2], 'controls', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[5])
return 1
"""
END = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'ended', ARGV[1])
"""
JOIN = """
local found = redis.call('HGET', KEYS[2], ARGV[1])
if ARGV[3] == '1' then
  if found then return {'back', found} end
  return {'unknown', ''}
end
if found then return {'taken', ''} end
if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone', ''} end
if redis.call('HEXISTS', KEYS[1], 'ended') == 1 then return {'ended', ''} end
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[4]) then return {'full', ''} end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIREAT', KEYS[2], ARGV[5])
return {'joined', ARGV[2]}
"""
RECORD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 'stranger' end
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 1 then return 'again' end
if redis.call('HEXISTS', KEYS[1], 'ended') == 1 then return 'ended' end
if redis.call('HLEN', KEYS[3]) >= tonumber(ARGV[4]) then return 'full' end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
redis.call('PEXPIREAT', KEYS[3], ARGV[5])
return 'recorded'
"""
ASK = """
if redis.call('SISMEMBER', KEYS[3], ARGV[2]) == 1 then return 1 end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HEXISTS', KEYS[1], 'ended') == 1 then return 0 end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
if redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[3]) then return 0 end
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('PEXPIREAT', KEYS[3], ARGV[4])
return 1
"""


def class_key(code: str) -> str:
    return f"{PREFIX}{code}"


def learners_key(code: str) -> str:
    return f"{PREFIX}{code}:learners"


def runs_key(code: str, fold: str) -> str:
    return f"{PREFIX}{code}:runs:{fold}"


def asked_key(code: str, fold: str) -> str:
    return f"{PREFIX}{code}:asked:{fold}"


class RedisClassStore(ClassStore):
    """The class records in the Redis at ``url`` (e.g. ``redis://host:6379/0``). Safe for threads and processes:
    redis-py's connection pool is shared by the threads."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        address = urlsplit(url)
        self.where = f"class records in Redis at {address.hostname}:{address.port or 6379}"  # never a password
        self._client: Any = None
        self._scripts: dict[str, Any] = {}
        self._lock = threading.Lock()

    @contextmanager
    def _redis(self) -> Iterator[Any]:
        """The connection, inside which every error of Redis (down, not answering, refusing) is one sentence."""
        from redis.exceptions import RedisError

        try:
            with self._lock:
                self._connect()
            yield self._client
        except ClassError:
            raise
        except (RedisError, ValueError, TypeError, KeyError) as exc:  # a URL that is not Redis's; data not ours
            raise self.unavailable(exc) from None

    def _connect(self) -> None:
        """Make the client and its scripts once (it connects on its first command, and again after an outage)."""
        from redis import Redis

        if self._client is None:
            client = Redis.from_url(self.url, decode_responses=True, socket_timeout=TIMEOUT,
                                    socket_connect_timeout=TIMEOUT)
            self._scripts = {name: client.register_script(text) for name, text in
                             (("create", CREATE), ("end", END), ("join", JOIN), ("record", RECORD), ("ask", ASK))}
            self._client = client

    def _until(self, created: float) -> int:
        """When a class created at ``created`` expires, in Unix milliseconds (for PEXPIREAT)."""
        return int(self.expires_at(created) * 1000)

    # ------------------------------------------------------------------ classes

    def _insert_class(self, hashed: str, created: float, controls: str) -> str:
        with self._redis():
            while True:
                code = new_code()
                if self._scripts["create"](keys=[class_key(code), INDEX],
                                           args=[hashed, repr(created), controls, self._until(created), code]):
                    return code

    def _read_class(self, code: str) -> tuple[str, float, float | None, str] | None:
        with self._redis() as redis:
            found = redis.hgetall(class_key(code))
            if not found:
                return None
            ended = found.get("ended")
            return found["key_hash"], float(found["created"]), None if ended is None else float(ended), \
                found.get("controls", "{}")

    def _set_ended(self, code: str, at: float) -> None:
        with self._redis():
            self._scripts["end"](keys=[class_key(code)], args=[repr(at)])

    def _delete_before(self, cutoff: float) -> int:
        with self._redis() as redis:
            codes = redis.zrangebyscore(INDEX, "-inf", f"({cutoff!r}")
            for code in codes:
                redis.delete(class_key(code))  # first: a join or record now finds no class
                folds = redis.hkeys(learners_key(code))
                redis.delete(learners_key(code), *(runs_key(code, fold) for fold in folds),
                             *(asked_key(code, fold) for fold in folds))
                redis.zrem(INDEX, code)
            return len(codes)

    # ------------------------------------------------------------------ learners

    def _add_learner(self, info: ClassInfo, name: str, returning: bool, at: float) -> tuple[str, Learner | None]:
        with self._redis():
            outcome, value = self._scripts["join"](
                keys=[class_key(info.code), learners_key(info.code)],
                args=[folded(name), json.dumps([name, at]), "1" if returning else "0", self.max_learners,
                      self._until(info.created)])
        if not value:
            return outcome, None
        learner = _learner(value)
        return (outcome, learner) if learner is not None else (GONE, None)

    def learners(self, code: str) -> list[Learner]:
        with self._redis() as redis:
            found = redis.hgetall(learners_key(str(code)))
        learners = [learner for learner in map(_learner, found.values()) if learner is not None]
        return sorted(learners, key=lambda learner: (learner.joined, learner.nickname))

    # ------------------------------------------------------------------ runs

    def _add_record(self, info: ClassInfo, fold: str, record: Record) -> str:
        with self._redis():
            return self._scripts["record"](
                keys=[class_key(info.code), learners_key(info.code), runs_key(info.code, fold)],
                args=[fold, record.config_key, as_json(record), self.max_records, self._until(info.created)])

    def _records(self, code: str, fold: str | None) -> list[tuple[str, Record]]:
        with self._redis() as redis:
            learners = ({fold: redis.hget(learners_key(code), fold)} if fold is not None
                        else redis.hgetall(learners_key(code)))
            folds = [f for f, value in learners.items() if value is not None]
            pipe = redis.pipeline(transaction=False)
            for f in folds:
                pipe.hgetall(runs_key(code, f))
            found = pipe.execute()
        records = []
        for f, runs in zip(folds, found, strict=True):
            learner = _learner(learners[f])
            if learner is not None:
                records += [(learner.nickname, r) for r in map(from_json, runs.values()) if r is not None]
        return records

    def count(self, code: str, nickname: str) -> int:
        with self._redis() as redis:
            return int(redis.hlen(runs_key(str(code), folded(nickname))))

    def _add_asked(self, info: ClassInfo, fold: str, key: str, at: float) -> bool:
        with self._redis():
            return bool(self._scripts["ask"](
                keys=[class_key(info.code), learners_key(info.code), asked_key(info.code, fold)],
                args=[fold, key, self.max_records, self._until(info.created)]))

    def asked_keys(self, code: str) -> set[str]:
        with self._redis() as redis:
            folds = redis.hkeys(learners_key(str(code)))
            return set(redis.sunion([asked_key(str(code), fold) for fold in folds])) if folds else set()


def _learner(value: str) -> Learner | None:
    """A learner from its JSON ``[nickname, joined]``, or None when it is not one."""
    try:
        name, joined = json.loads(value)
        return Learner(str(name), float(joined))
    except (ValueError, TypeError):
        return None
