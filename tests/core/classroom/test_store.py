"""One contract for both backends of the class records: the SQLite file and Redis (a real ``redis-server`` on a
free port, started once for the module and flushed between tests). Every test here runs against both, and the
two must agree: create, join, come back, taken nicknames, limits, records, the board, ending, expiry, races."""

from __future__ import annotations

import functools
import logging
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from fmnist_core.classroom import (
    ClassError,
    ClassStore,
    RedisClassStore,
    SQLiteClassStore,
    board,
    open_store,
    sentences,
)
from fmnist_core.config import RunConfig
from tests.render_sentences import fake_run
from tests.support import redis_server, together

ROOT = Path(__file__).resolve().parents[3]
T0 = 1_800_000_000.0  # a fixed "now" (2027-01-15)


@pytest.fixture(scope="module")
def redis():
    """(URL, connection) of one redis-server for the module."""
    with redis_server() as found:
        yield found


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def store(request, tmp_path) -> ClassStore:
    """An empty store of each backend."""
    if request.param == "sqlite":
        return SQLiteClassStore(tmp_path / "classes.sqlite3")
    url, connection = request.getfixturevalue("redis")
    connection.flushdb()
    return RedisClassStore(url)


pytestmark = pytest.mark.usefixtures("english")  # tests/conftest.py


def again(store: ClassStore) -> ClassStore:
    """Another store object on the same records (it reads the settings of the environment anew)."""
    return RedisClassStore(store.url) if isinstance(store, RedisClassStore) else SQLiteClassStore(store.path)


def where(store: ClassStore) -> str:
    return store.url if isinstance(store, RedisClassStore) else str(store.path)


def run(units: int = 128, epochs: int = 5, accuracy: float | None = None, **config):
    result = fake_run(RunConfig(hidden_units=units, epochs=epochs, **config))
    return result if accuracy is None else replace(result, test_accuracy=accuracy)


def class_with_runs(store):
    code, key = store.create({"challenge": "acc>=0.86;units<=32"}, now=T0)
    for i, name in enumerate(("Anna", "Ben", "<b>Cy</b>")):
        store.join(code, name, now=T0 + i)
    store.record(code, "Anna", run(128, accuracy=0.88), now=T0 + 10)
    store.record(code, "Anna", run(24, accuracy=0.865), now=T0 + 20)
    store.record(code, "Ben", run(32, accuracy=0.87), now=T0 + 15)
    store.record(code, "Ben", run(16, accuracy=0.84), now=T0 + 25)
    store.record(code, "Anna", run(128, accuracy=0.81, extra_layers=3), now=T0 + 30)
    store.record(code, "Anna", run(64, accuracy=0.80, normalize=False), now=T0 + 40)
    return code, key


def test_a_class_is_created_with_its_controls_and_the_key_works_whatever_the_case(store):
    code, key = store.create({"challenge": "small", "hide": "dropout", "colour": "red"}, now=T0)
    info = store.get(code, now=T0)
    assert info.code == code and info.open and info.created == T0
    assert info.controls == {"challenge": "small", "hide": "dropout"}
    assert len(key) >= 32 and store.as_teacher(code.lower(), key, now=T0).code == code


@pytest.mark.parametrize("key", ["", "wrong", None, "x" * 10_000])
def test_a_wrong_teacher_key_is_refused(store, key):
    code, _right = store.create(now=T0)
    with pytest.raises(ClassError, match="board link is not valid"):
        store.as_teacher(code, key, now=T0)
    with pytest.raises(ClassError, match="board link is not valid"):
        store.end(code, key, now=T0)
    assert store.get(code, now=T0).open


def test_unknown_and_malformed_codes_are_one_sentence_each(store):
    with pytest.raises(ClassError, match="There is no class K7P2QX"):
        store.get("K7P2QX")
    with pytest.raises(ClassError, match="not a class code"):
        store.get("<script>")
    with pytest.raises(ClassError, match="board link is not valid"):
        store.as_teacher("K7P2QX", "key")
    with pytest.raises(ClassError, match="There is no class K7P2QX"):
        store.join("K7P2QX", "Anna")


def test_joining_taken_nicknames_and_coming_back(store):
    code, _key = store.create(now=T0)
    assert store.join(code, " Anna ", now=T0).nickname == "Anna"
    for taken in ("Anna", "anna", "ＡＮＮＡ"):
        with pytest.raises(ClassError, match="already taken in this class"):
            store.join(code, taken)
    back = store.join(code, "anna", returning=True)
    assert (back.nickname, back.joined) == ("Anna", T0)  # the name as first typed
    with pytest.raises(ClassError, match="Nobody has joined"):
        store.join(code, "Ben", returning=True)
    store.join(code, "<img src=x onerror=a()>", now=T0 + 1)
    assert [learner.nickname for learner in store.learners(code)] == ["Anna", "<img src=x onerror=a()>"]


@pytest.mark.parametrize("typed, reason", [
    ("x" * 5000, "at most 24 characters"),
    ("ab\u202ecd", "invisible or control"),  # right-to-left override
    ("a\u200bb", "invisible or control"),  # zero-width space
    ("", "Please type a nickname"),
])
def test_hostile_nicknames_are_one_sentence_and_store_nothing(store, typed, reason):
    code, _key = store.create(now=T0)
    with pytest.raises(ClassError, match=reason):
        store.join(code, typed)
    assert store.learners(code) == []


def test_markup_and_emoji_nicknames_are_kept_as_typed(store):
    code, _key = store.create(now=T0)
    names = ["<b>x</b>", "**bold** [l](http://e)", "👩‍🔬 Lea", "지민", "a:b*c?[d]"]  # the last: glob characters
    for i, name in enumerate(names):
        store.join(code, name, now=T0 + i)
        store.record(code, name, run(8 + i))
    assert [learner.nickname for learner in store.learners(code)] == names
    assert [store.count(code, name) for name in names] == [1] * 5
    assert [r.nickname for r in store.runs(code, "A:B*C?[D]")] == ["a:b*c?[d]"]


def test_runs_are_recorded_once_per_learner_and_configuration(store):
    code, _key = store.create({"challenge": "acc>=0.86;units<=32"}, now=T0)
    store.join(code, "Anna", now=T0)
    assert store.record(code, "Anna", run(16, accuracy=0.87), now=T0 + 1)
    assert not store.record(code, "anna", run(16, accuracy=0.87), now=T0 + 2)  # the same configuration again
    assert store.record(code, "Anna", run(128, accuracy=0.88), now=T0 + 3)
    records = store.runs(code)
    assert [(r.nickname, r.config.hidden_units, r.met, r.at) for r in records] == [
        ("Anna", 16, True, T0 + 1), ("Anna", 128, False, T0 + 3)]
    first = records[0]
    assert first.parameters == RunConfig(hidden_units=16).parameters and first.val_accuracy is not None
    assert first.config == RunConfig(hidden_units=16, epochs=5) and first.key == first.config.key
    assert store.count(code, "ANNA") == 2 and store.runs(code, "Ben") == [] and store.count(code, "Ben") == 0


def test_runs_asked_for_are_the_classs_and_no_record(store):
    code, key = store.create(now=T0)
    other, _key = store.create(now=T0)
    store.join(code, "Anna", now=T0)
    store.join(other, "Ben", now=T0)
    assert store.ask(code, "anna", "k1", now=T0) and store.ask(code, "Anna", "k1", now=T0 + 1)  # again: still asked
    assert store.ask(code, "Anna", "k2", now=T0)
    assert not store.ask(code, "Ghost", "k3", now=T0)  # not in the class: nothing noted
    assert not store.ask(code, "Ben", "k9", now=T0)  # in another class
    assert store.ask(other, "Ben", "k9", now=T0)
    assert store.asked_keys(code) == {"k1", "k2"} and store.asked_keys(other) == {"k9"}
    assert store.runs(code) == [] and store.count(code, "Anna") == 0  # asking is not a record
    store.end(code, key, now=T0 + 60)
    assert not store.ask(code, "Anna", "k4") and store.asked_keys(code) == {"k1", "k2"}
    with pytest.raises(ClassError, match="There is no class"):
        store.ask("K7P2QX", "Anna", "k1")


def test_records_need_a_learner_of_the_class(store):
    code, _key = store.create(now=T0)
    with pytest.raises(ClassError, match="has not joined"):
        store.record(code, "Ghost", run())


def test_an_ended_class_refuses_joins_and_records_and_stays_readable(store):
    code, key = store.create(now=T0)
    store.join(code, "Anna", now=T0)
    store.record(code, "Anna", run(), now=T0)
    assert not store.end(code, key, now=T0 + 60).open
    assert store.end(code, key, now=T0 + 90).ended == T0 + 60  # ended once
    assert not store.record(code, "Anna", run())  # recorded before it ended: nothing to refuse
    with pytest.raises(ClassError, match="has ended"):
        store.record(code, "Anna", run(64))
    with pytest.raises(ClassError, match="has ended"):
        store.join(code, "Ben")
    assert store.join(code, "Anna", returning=True).nickname == "Anna"  # a learner still sees their runs
    assert len(store.runs(code)) == 1 and store.as_teacher(code, key).ended == T0 + 60


def test_limits_on_learners_and_records(store, monkeypatch):
    monkeypatch.setenv("FMNIST_CLASS_LEARNERS", "2")
    monkeypatch.setenv("FMNIST_CLASS_RECORDS", "1")
    small = again(store)
    code, _key = small.create(now=T0)
    small.join(code, "a")
    small.join(code, "b")
    with pytest.raises(ClassError, match=r"full \(2 learners\)"):
        small.join(code, "c")
    assert small.join(code, "a", returning=True).nickname == "a"  # coming back is not joining
    small.record(code, "a", run(16))
    with pytest.raises(ClassError, match="recorded 1 runs"):
        small.record(code, "a", run(32))
    assert not small.record(code, "a", run(16)) and small.count(code, "a") == 1
    assert small.ask(code, "a", "k1") and not small.ask(code, "a", "k2") and small.asked_keys(code) == {"k1"}


def test_classes_expire_with_their_records(store, monkeypatch, request):
    monkeypatch.setenv("FMNIST_CLASS_DAYS", "2")
    short = again(store)
    old, key = short.create(now=T0)
    short.join(old, "Anna", now=T0)
    short.record(old, "Anna", run(), now=T0)
    short.ask(old, "Anna", "k1", now=T0)
    assert short.get(old, now=T0 + 2 * 86400 - 1).code == old
    with pytest.raises(ClassError, match="may have expired"):
        short.get(old, now=T0 + 3 * 86400)
    with pytest.raises(ClassError, match="board link is not valid"):
        short.as_teacher(old, key, now=T0 + 3 * 86400)
    with pytest.raises(ClassError, match="may have expired"):
        short.join(old, "Ben", now=T0 + 3 * 86400)
    new, _key = short.create(now=T0 + 3 * 86400)  # creating a class deletes the expired ones
    assert short.runs(old) == [] and short.learners(old) == [] and short.count(old, "Anna") == 0
    assert short.asked_keys(old) == set()
    if isinstance(short, RedisClassStore):  # not one of the old class's keys is left
        assert request.getfixturevalue("redis")[1].keys(f"fmnist:class:{old}*") == []
    with pytest.raises(ClassError, match="There is no class"):
        short.get(old, now=T0)
    assert short.get(new, now=T0 + 3 * 86400).code == new and short.expire(now=T0 + 3 * 86400) == 0


def _join_and_record(place: str, code: str, names: list[str]) -> None:
    store = open_store(url=place) if place.startswith("redis://") else open_store(place, url="")
    for name in names:
        store.join(code, name)
        for units in (16, 32, 64):
            store.record(code, name, run(units))


def test_two_threads_and_two_processes_write_side_by_side_and_see_one_board(store):
    code, _key = store.create()
    script = ("import sys; from tests.core.classroom.test_store import _join_and_record as go; "
              "go(*sys.argv[1:3], sys.argv[3:])")
    processes = [subprocess.Popen([sys.executable, "-c", script, where(store), code,
                                   *[f"p{i}-{n}" for n in range(8)]], cwd=ROOT, stderr=subprocess.PIPE, text=True)
                 for i in range(2)]
    together(*[functools.partial(_join_and_record, where(store), code, [f"t{i}-{n}" for n in range(8)])
               for i in range(2)], timeout=120)
    assert [(p.wait(120), p.stderr.read()[-2000:]) for p in processes] == [(0, ""), (0, "")]
    assert len(store.learners(code)) == 32 and len(store.runs(code)) == 96
    assert board(store.learners(code), store.runs(code), False).runs == 96


@pytest.mark.parametrize("limit", [None, 3])
def test_learners_racing_for_one_nickname_or_the_last_place_get_it_once(store, monkeypatch, limit):
    if limit:
        monkeypatch.setenv("FMNIST_CLASS_LEARNERS", str(limit))
    racing = again(store)
    code, _key = racing.create()
    outcomes: list[str] = []

    def join(name: str) -> None:
        try:
            again(racing).join(code, name)
            outcomes.append("joined")
        except ClassError:
            outcomes.append("refused")

    together(*[functools.partial(join, f"n{i}" if limit else "Same") for i in range(6)])
    assert sorted(outcomes) == ["joined"] * (limit or 1) + ["refused"] * (6 - (limit or 1))
    assert len(racing.learners(code)) == (limit or 1)


def test_the_boards_figures_and_sentences_are_the_same_from_either_backend(store):
    """The board's figures and every sentence (the one test of them: ``test_classroom`` had the same on SQLite)."""
    code, _key = class_with_runs(store)
    runs = store.runs(code)
    found = board(store.learners(code), runs, has_challenge=True)
    assert (found.learners, found.runs) == (3, 6)
    assert [(b.nickname, b.run and b.run.test_accuracy, b.runs, b.met) for b in found.best] == [
        ("Anna", 0.88, 4, True), ("Ben", 0.87, 2, True), ("<b>Cy</b>", None, 0, False)]
    assert found.first_to_meet.nickname == "Ben"
    assert [r.at for r in runs] == sorted(r.at for r in runs)
    said = sentences(found, runs)
    assert said[:3] == [
        "2 of 3 learners met the challenge.",
        "The smallest network that met it: 24 units x 1 layer, 5 epochs, normalised (19,090 parameters), by Anna.",
        "First to meet it: Ben at 08:00:15 UTC."]
    assert said[3].startswith("Best test accuracy so far: 88.0% by Anna (128 units x 1 layer")
    assert "1 of 1 run with 3 or more hidden layers did worse than the median run with one hidden layer" in said[4]
    assert said[5].startswith("Runs on raw pixels reached a median test accuracy of 80.0%")


def test_the_teacher_key_never_reaches_the_log(store, caplog):
    caplog.set_level(logging.DEBUG)
    code, key = store.create(now=T0)
    store.as_teacher(code, key, now=T0)
    with pytest.raises(ClassError):
        store.as_teacher(code, key + "x", now=T0)
    store.end(code, key, now=T0)
    assert key not in caplog.text
