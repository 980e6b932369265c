"""What each backend of the class records does on its own: the SQLite file (WAL, damaged, read-only, not to be
made) and Redis (keys that expire with their class, a Redis stopped mid-class and started again, one board for
several app servers, data it did not write). Real files and a real ``redis-server``."""

from __future__ import annotations

import sqlite3
import time

import pytest

from fmnist_core.classroom import ClassError, ClassUnavailable, RedisClassStore, SQLiteClassStore, board, open_store
from fmnist_core.classroom.codes import key_hash
from fmnist_core.classroom.redis_store import INDEX, class_key, learners_key, runs_key
from tests.core.classroom.test_store import T0, run
from tests.support import redis_server, unwritable

pytestmark = pytest.mark.usefixtures("english")  # tests/conftest.py

UNAVAILABLE = "cannot be used right now"

# --------------------------------------------------------------------------- SQLite


@pytest.fixture
def sqlite_store(tmp_path) -> SQLiteClassStore:
    return SQLiteClassStore(tmp_path / "classes.sqlite3")


def test_the_file_is_in_wal_mode_and_keeps_only_the_keys_hash(sqlite_store):
    code, key = sqlite_store.create(now=T0)
    with sqlite3.connect(sqlite_store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        (stored,) = db.execute("SELECT key_hash FROM classes").fetchone()
    assert stored == key_hash(key) and key not in sqlite_store.path.read_bytes().decode("latin-1")


def test_a_damaged_file_is_one_sentence_and_is_not_deleted(tmp_path):
    path = tmp_path / "classes.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    damaged = SQLiteClassStore(path)
    with pytest.raises(ClassUnavailable, match=UNAVAILABLE):
        damaged.create()
    with pytest.raises(ClassUnavailable):
        damaged.get("K7P2QX")
    assert path.read_bytes().startswith(b"this is not a database")


@pytest.mark.parametrize("where", ["a folder", "under a file"])
def test_a_file_that_cannot_be_made_is_one_sentence(tmp_path, where):
    (tmp_path / "taken").mkdir() if where == "a folder" else (tmp_path / "taken").write_text("x")
    path = tmp_path / "taken" if where == "a folder" else tmp_path / "taken" / "classes.sqlite3"
    with pytest.raises(ClassUnavailable, match=UNAVAILABLE):
        SQLiteClassStore(path).create()


def test_a_read_only_file_refuses_writes_with_a_sentence(sqlite_store, tmp_path):
    code, _key = sqlite_store.create()
    sqlite_store.join(code, "Anna")
    sqlite_store.close()
    assert not [n for n in ("-wal", "-shm") if (tmp_path / f"classes.sqlite3{n}").exists()]  # the WAL folded in
    with unwritable(sqlite_store.path):
        readonly = SQLiteClassStore(sqlite_store.path)
        with pytest.raises(ClassUnavailable, match=UNAVAILABLE):
            readonly.join(code, "Ben")
        assert [learner.nickname for learner in readonly.learners(code)] == ["Anna"]  # what was stored is kept
    assert [learner.nickname for learner in SQLiteClassStore(sqlite_store.path).learners(code)] == ["Anna"]


def test_the_backend_is_redis_when_the_queue_is_and_else_the_file_beside_the_run_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FMNIST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("FMNIST_QUEUE_URL", raising=False)
    embedded = open_store()
    assert isinstance(embedded, SQLiteClassStore) and embedded.path == tmp_path / "cache" / "classes.sqlite3"
    monkeypatch.setenv("FMNIST_QUEUE_URL", "redis://127.0.0.1:6399/2")
    shared = open_store(tmp_path / "ignored.sqlite3")
    assert isinstance(shared, RedisClassStore) and shared.url == "redis://127.0.0.1:6399/2"


# --------------------------------------------------------------------------- Redis

on_redis = pytest.mark.redis


@pytest.fixture(scope="module")
def server():
    """(URL, connection) of one redis-server for the module."""
    with redis_server() as found:
        yield found


@pytest.fixture
def redis_store(server) -> RedisClassStore:
    url, connection = server
    connection.flushdb()
    return RedisClassStore(url)


def everything(connection) -> dict[str, object]:
    """Every key in Redis and its value (hashes as dicts, the sorted set as a list)."""
    found = {}
    for key in connection.scan_iter("*"):
        kind = connection.type(key).decode()
        found[key.decode()] = (connection.hgetall(key) if kind == "hash" else connection.zrange(key, 0, -1)
                               if kind == "zset" else connection.get(key))
    return found


@on_redis
def test_every_key_of_a_class_expires_with_it_and_only_the_keys_hash_is_kept(server, redis_store, monkeypatch):
    _url, connection = server
    monkeypatch.setenv("FMNIST_CLASS_DAYS", "3")
    store = RedisClassStore(redis_store.url)
    code, key = store.create({"hide": "dropout"}, now=T0)
    store.join(code, "Anna", now=T0 + 5)
    store.record(code, "Anna", run(16), now=T0 + 9)
    keys = [class_key(code), learners_key(code), runs_key(code, "anna")]
    assert sorted(everything(connection)) == sorted([*keys, INDEX])
    assert [connection.pexpiretime(k) for k in keys] == [int((T0 + 3 * 86400) * 1000)] * 3
    assert connection.hget(class_key(code), "key_hash").decode() == key_hash(key)
    assert key not in repr(everything(connection))


@on_redis
def test_redis_deletes_an_expired_class_by_itself(server, redis_store, monkeypatch):
    _url, connection = server
    monkeypatch.setenv("FMNIST_CLASS_DAYS", "1")
    store = RedisClassStore(redis_store.url)
    code, _key = store.create(now=time.time() - 86400 + 1.0)  # one second left
    store.join(code, "Anna")
    deadline = time.monotonic() + 30
    while connection.exists(class_key(code), learners_key(code)):
        assert time.monotonic() < deadline, "the class never expired"
        time.sleep(0.1)
    with pytest.raises(ClassError, match="There is no class"):
        store.get(code)


@on_redis
def test_two_app_servers_on_one_redis_show_one_board(redis_store):
    one, other = redis_store, RedisClassStore(redis_store.url)
    code, key = one.create({"challenge": "acc>=0.86;units<=32"}, now=T0)
    one.join(code, "Anna", now=T0)
    other.join(code, "Ben", now=T0 + 1)
    with pytest.raises(ClassError, match="already taken"):
        other.join(code, "anna")
    one.record(code, "Ben", run(16, accuracy=0.87), now=T0 + 2)
    other.record(code, "Anna", run(128, accuracy=0.88), now=T0 + 3)
    boards = [board(s.learners(code), s.runs(code), has_challenge=True) for s in (one, other)]
    assert boards[0] == boards[1] and (boards[0].learners, boards[0].runs) == (2, 2)
    other.end(code, key, now=T0 + 4)
    assert one.get(code).ended == T0 + 4


@on_redis
def test_a_redis_stopped_mid_class_is_one_sentence_and_works_again_once_back(tmp_path, caplog):
    folder = ("--dir", str(tmp_path))
    with redis_server(None, *folder) as (url, connection):
        store = RedisClassStore(url)
        code, key = store.create(now=T0)
        store.join(code, "Anna", now=T0)
        store.record(code, "Anna", run(16), now=T0)
        connection.shutdown(save=True)  # its records are saved, as a Redis with persistence keeps them
        calls = [lambda: store.get(code), lambda: store.as_teacher(code, key), lambda: store.create(),
                 lambda: store.join(code, "Ben"), lambda: store.record(code, "Anna", run(32)),
                 lambda: store.runs(code), lambda: store.learners(code), lambda: store.count(code, "Anna"),
                 lambda: store.end(code, key)]
        for call in calls:
            with pytest.raises(ClassUnavailable, match=UNAVAILABLE) as refused:
                call()
            said = str(refused.value)
            assert "\n" not in said and "Traceback" not in said and said.count(". ") <= 2
    assert key not in caplog.text and "Redis" in caplog.text
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    with redis_server(port, *folder):
        assert store.get(code, now=T0).open  # the same store object, connected again
        store.join(code, "Ben", now=T0 + 1)
        assert store.record(code, "Ben", run(32), now=T0 + 2)
        assert [r.nickname for r in store.runs(code)] == ["Anna", "Ben"]


@on_redis
@pytest.mark.parametrize("url", ["redis://127.0.0.1:1/0", "http://example.org/", "redis://127.0.0.1:1/notanumber"])
def test_a_redis_that_cannot_be_reached_is_one_sentence(url, caplog):
    with pytest.raises(ClassUnavailable, match=UNAVAILABLE):
        RedisClassStore(url).create()


@on_redis
def test_data_this_app_did_not_write_is_a_sentence_not_a_traceback(server, redis_store):
    _url, connection = server
    connection.set(class_key("K7P2QX"), "not a hash")
    connection.hset(class_key("M8P2QX"), mapping={"created": "soon"})
    for code in ("K7P2QX", "M8P2QX"):
        with pytest.raises(ClassUnavailable, match=UNAVAILABLE):
            redis_store.get(code)
    code, _key = redis_store.create(now=T0)
    connection.hset(learners_key(code), "eve", "[not json")
    connection.hset(runs_key(code, "eve"), "k", "{}")
    redis_store.join(code, "Anna", now=T0)
    assert [learner.nickname for learner in redis_store.learners(code)] == ["Anna"] and redis_store.runs(code) == []
