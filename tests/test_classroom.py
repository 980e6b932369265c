"""A class of its own, without Streamlit: codes and keys, nicknames, the SQLite store, the board's figures."""

from __future__ import annotations

import math
import sqlite3
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from fmnist_core import i18n
from fmnist_core.classroom import (
    ALPHABET,
    ClassError,
    ClassStore,
    ClassUnavailable,
    board,
    check_nickname,
    class_confusion,
    confusion_sentence,
    new_code,
    qr_png,
    read_code,
    runs_csv,
    sentences,
)
from fmnist_core.classroom.codes import folded, key_hash
from fmnist_core.config import RunConfig

from .render_sentences import fake_run

ROOT = Path(__file__).resolve().parents[1]
T0 = 1_800_000_000.0  # a fixed "now" (2027-01-15)


@pytest.fixture
def store(tmp_path) -> ClassStore:
    return ClassStore(tmp_path / "classes.sqlite3")


@pytest.fixture(autouse=True)
def english():
    i18n.set_language("en")
    yield
    i18n.set_language("en")


def run(units: int = 128, epochs: int = 5, accuracy: float | None = None, **config):
    result = fake_run(RunConfig(hidden_units=units, epochs=epochs, **config))
    return result if accuracy is None else replace(result, test_accuracy=accuracy)


# --------------------------------------------------------------------------- codes, keys, nicknames


def test_codes_are_six_unambiguous_characters_and_read_back_as_typed():
    codes = {new_code() for _ in range(300)}
    assert len(codes) == 300 and all(len(c) == 6 and set(c) <= set(ALPHABET) for c in codes)
    assert not set("0O1IL") & set(ALPHABET)
    assert read_code(" k7p2qx ") == "K7P2QX"
    assert [read_code(t) for t in ("K7P2Q", "K7P2QX0", "K0P2QX", "", None, "K7P2QX" * 1000)] == [None] * 6


@pytest.mark.parametrize("typed, shown", [
    ("  Anna  ", "Anna"),
    ("<b>x</b>", "<b>x</b>"),  # kept as typed: the page shows it as text
    ("**bold** [l](http://e)", "**bold** [l](http://e)"),
    ("👩‍🔬 Lea", "👩‍🔬 Lea"),  # an emoji sequence keeps its zero-width joiner
    ("지민", "지민"),
    ("x" * 24, "x" * 24),
])
def test_nicknames_are_kept_as_typed(typed, shown):
    assert check_nickname(typed) == shown


@pytest.mark.parametrize("typed, reason", [
    ("", "Please type a nickname"),
    ("    ", "Please type a nickname"),
    ("x" * 25, "at most 24 characters"),
    ("x" * 5000, "at most 24 characters"),
    ("ab\u202ecd", "invisible or control"),  # right-to-left override
    ("a\u200bb", "invisible or control"),  # zero-width space
    ("a\nb", "invisible or control"),
    ("a\x00b", "invisible or control"),
    ("a\u00a0b", "invisible or control"),  # a space that is not a space
])
def test_hostile_nicknames_are_refused_with_a_sentence(typed, reason):
    with pytest.raises(ClassError, match=reason):
        check_nickname(typed)


def test_folded_nicknames_are_one_name():
    assert folded("Anna") == folded("ANNA") == folded("Ａｎｎａ")


def test_a_qr_code_is_a_png():
    png = qr_png("http://localhost:8501/?class=K7P2QX")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 100


# --------------------------------------------------------------------------- the store


def test_a_class_is_created_with_its_controls_and_only_the_keys_hash_is_kept(store):
    code, key = store.create({"challenge": "small", "hide": "dropout", "colour": "red"}, now=T0)
    info = store.get(code, now=T0)
    assert info.code == code and info.open and info.controls == {"challenge": "small", "hide": "dropout"}
    assert len(key) >= 32
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        (stored,) = db.execute("SELECT key_hash FROM classes").fetchone()
    assert stored == key_hash(key) and key not in store.path.read_bytes().decode("latin-1")
    assert store.as_teacher(code.lower(), key, now=T0).code == code


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


def test_joining_taken_nicknames_and_coming_back(store):
    code, _key = store.create(now=T0)
    assert store.join(code, " Anna ", now=T0).nickname == "Anna"
    for taken in ("Anna", "anna", "ＡＮＮＡ"):
        with pytest.raises(ClassError, match="already taken in this class"):
            store.join(code, taken)
    assert store.join(code, "anna", returning=True).nickname == "Anna"  # the name as first typed
    with pytest.raises(ClassError, match="Nobody has joined"):
        store.join(code, "Ben", returning=True)
    store.join(code, "<img src=x onerror=a()>", now=T0 + 1)
    assert [learner.nickname for learner in store.learners(code)] == ["Anna", "<img src=x onerror=a()>"]


def test_runs_are_recorded_once_per_learner_and_configuration(store):
    code, _key = store.create({"challenge": "acc>=0.86;units<=32"}, now=T0)
    store.join(code, "Anna", now=T0)
    assert store.record(code, "Anna", run(16, accuracy=0.87), now=T0 + 1)
    assert not store.record(code, "anna", run(16, accuracy=0.87), now=T0 + 2)  # the same configuration again
    assert store.record(code, "Anna", run(128, accuracy=0.88), now=T0 + 3)
    records = store.runs(code)
    assert [(r.nickname, r.config.hidden_units, r.met) for r in records] == [("Anna", 16, True), ("Anna", 128, False)]
    first = records[0]
    assert first.parameters == RunConfig(hidden_units=16).parameters and first.val_accuracy is not None
    assert store.count(code, "ANNA") == 2 and store.runs(code, "Ben") == []


def test_records_need_a_learner_of_the_class(store):
    code, _key = store.create(now=T0)
    with pytest.raises(ClassError, match="has not joined"):
        store.record(code, "Ghost", run())


def test_an_ended_class_refuses_joins_and_records_and_stays_readable(store):
    code, key = store.create(now=T0)
    store.join(code, "Anna", now=T0)
    store.record(code, "Anna", run(), now=T0)
    assert not store.end(code, key, now=T0 + 60).open
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
    small = ClassStore(store.path)
    code, _key = small.create(now=T0)
    small.join(code, "a")
    small.join(code, "b")
    with pytest.raises(ClassError, match=r"full \(2 learners\)"):
        small.join(code, "c")
    small.record(code, "a", run(16))
    with pytest.raises(ClassError, match="recorded 1 runs"):
        small.record(code, "a", run(32))


def test_classes_expire_with_their_records(store, monkeypatch):
    monkeypatch.setenv("FMNIST_CLASS_DAYS", "2")
    short = ClassStore(store.path)
    old, _key = short.create(now=T0)
    short.join(old, "Anna", now=T0)
    short.record(old, "Anna", run(), now=T0)
    with pytest.raises(ClassError, match="may have expired"):
        short.get(old, now=T0 + 3 * 86400)
    new, _key = short.create(now=T0 + 3 * 86400)  # creating a class deletes the expired ones
    with sqlite3.connect(short.path) as db:
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0
        assert [row[0] for row in db.execute("SELECT code FROM classes")] == [new]


def test_a_damaged_file_is_one_sentence_and_is_not_deleted(tmp_path):
    path = tmp_path / "classes.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    damaged = ClassStore(path)
    with pytest.raises(ClassUnavailable, match="cannot be used right now"):
        damaged.create()
    with pytest.raises(ClassUnavailable):
        damaged.get("K7P2QX")
    assert path.read_bytes().startswith(b"this is not a database")


@pytest.mark.parametrize("where", ["a folder", "under a file"])
def test_a_file_that_cannot_be_made_is_one_sentence(tmp_path, where):
    (tmp_path / "taken").mkdir() if where == "a folder" else (tmp_path / "taken").write_text("x")
    path = tmp_path / "taken" if where == "a folder" else tmp_path / "taken" / "classes.sqlite3"
    with pytest.raises(ClassUnavailable, match="cannot be used right now"):
        ClassStore(path).create()


def test_a_read_only_file_refuses_writes_with_a_sentence(store, tmp_path):
    code, _key = store.create()
    store.join(code, "Anna")
    store.path.chmod(0o444)
    for name in ("-wal", "-shm"):
        (tmp_path / f"classes.sqlite3{name}").unlink(missing_ok=True)
    try:
        readonly = ClassStore(store.path)
        if readonly.path.stat().st_mode & 0o200 or __import__("os").geteuid() == 0:
            pytest.skip("root writes read-only files")
        with pytest.raises(ClassUnavailable):
            readonly.join(code, "Ben")
    finally:
        store.path.chmod(0o644)


def _join_and_record(path: str, code: str, names: list[str]) -> None:
    store = ClassStore(path)
    for name in names:
        store.join(code, name)
        for units in (16, 32, 64):
            store.record(code, name, run(units))


def test_two_threads_and_two_processes_write_side_by_side(store):
    code, _key = store.create()
    script = "import sys; from tests.test_classroom import _join_and_record as go; go(*sys.argv[1:3], sys.argv[3:])"
    processes = [subprocess.Popen([sys.executable, "-c", script, str(store.path), code,
                                   *[f"p{i}-{n}" for n in range(8)]], cwd=ROOT, stderr=subprocess.PIPE, text=True)
                 for i in range(2)]
    threads = [threading.Thread(target=_join_and_record, args=(str(store.path), code, [f"t{i}-{n}" for n in range(8)]))
               for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert [(p.wait(120), p.stderr.read()[-2000:]) for p in processes] == [(0, ""), (0, "")]
    assert len(store.learners(code)) == 32 and len(store.runs(code)) == 96


def test_two_learners_racing_for_one_nickname_get_it_once(store):
    code, _key = store.create()
    outcomes: list[str] = []

    def join() -> None:
        try:
            store.join(code, "Same")
            outcomes.append("joined")
        except ClassError:
            outcomes.append("refused")

    threads = [threading.Thread(target=join) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["joined"] + ["refused"] * 5


# --------------------------------------------------------------------------- the board


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


def test_the_boards_figures_and_sentences(store):
    code, _key = class_with_runs(store)
    runs = store.runs(code)
    found = board(store.learners(code), runs, has_challenge=True)
    assert (found.learners, found.runs) == (3, 6)
    assert [(b.nickname, b.run and b.run.test_accuracy, b.runs, b.met) for b in found.best] == [
        ("Anna", 0.88, 4, True), ("Ben", 0.87, 2, True), ("<b>Cy</b>", None, 0, False)]
    assert found.first_to_meet.nickname == "Ben"
    said = sentences(found, runs)
    assert said[0] == "2 of 3 learners met the challenge."
    assert said[1].startswith("The smallest network that met it: 24 units x 1 layer") and said[1].endswith("by Anna.")
    assert said[2] == "First to meet it: Ben at 08:00:15 UTC."
    assert said[3].startswith("Best test accuracy so far: 88.0% by Anna (128 units x 1 layer")
    assert "1 of 1 run with 3 or more hidden layers did worse than the median run with one hidden layer" in said[4]
    assert said[5].startswith("Runs on raw pixels reached a median test accuracy of 80.0%")


def test_a_board_without_runs_or_challenge(store):
    code, _key = store.create(now=T0)
    store.join(code, "Anna")
    found = board(store.learners(code), [], has_challenge=False)
    assert found.best[0].met is None and found.first_to_meet is None
    assert sentences(found, []) == ["No runs yet: the learners' runs appear here as soon as they are trained or "
                                    "looked up."]


def test_the_boards_sentences_in_korean_and_german(store):
    code, _key = class_with_runs(store)
    runs = store.runs(code)
    found = board(store.learners(code), runs, has_challenge=True)
    for language in ("ko", "de"):
        i18n.set_language(language)
        said = sentences(found, runs)
        assert len(said) == 6 and not any("learners met" in s for s in said)


class FakeCache:
    """What class_confusion reads of a run cache: an entry's run.json on disk, and its run with test predictions."""

    def __init__(self, folder, runs):
        self.runs_dir, self.runs = folder / "runs", runs
        for key in runs:
            (self.runs_dir / key).mkdir(parents=True)
            (self.runs_dir / key / "run.json").write_text("{}")
        self.loads = 0

    def load(self, key):
        self.loads += 1
        return self.runs.get(key)


def test_the_class_confusion_sums_its_runs_matrices(tmp_path):
    labels = np.array([0, 0, 6, 6, 6, 2])
    answers = {"a" * 16: [0, 0, 0, 0, 6, 4], "b" * 16: [0, 6, 0, 0, 0, 2], "c" * 16: [0] * 5}  # c: other test set
    cache = FakeCache(tmp_path, {key: replace(fake_run(RunConfig()), test_probabilities=np.eye(10)[answer])
                                 for key, answer in answers.items()})
    worst = class_confusion(["a" * 16, "b" * 16, "c" * 16, "a" * 16, "d" * 16], cache, labels)
    assert worst == (6, 0, 5)  # Shirt taken for T-shirt/top: 2 + 3
    assert confusion_sentence(worst, 2) == ("Across the class's runs, Shirt was most often taken for T-shirt/top "
                                            "(5 test images in 2 runs).")
    assert class_confusion([], cache, labels) is None and confusion_sentence(None, 0) is None
    loads = cache.loads
    assert class_confusion(["a" * 16, "b" * 16], cache, labels) == (6, 0, 5) and cache.loads == loads  # kept
    (tmp_path / "runs" / ("a" * 16) / "run.json").write_text('{"again": 1}')  # the entry was written again
    cache.runs["a" * 16] = replace(cache.runs["a" * 16], test_probabilities=np.eye(10)[[0, 0, 6, 6, 6, 2]])
    assert class_confusion(["a" * 16, "b" * 16], cache, labels) == (6, 0, 3) and cache.loads == loads + 1


def test_the_csv_has_every_run_and_defuses_formulas(store):
    code, _key = class_with_runs(store)
    store.join(code, "=HYPERLINK(1)")
    store.record(code, "=HYPERLINK(1)", run(8))
    text = runs_csv(store.runs(code))
    lines = text.splitlines()
    assert lines[0].startswith("nickname,when_utc,config_key,configuration,epochs")
    assert len(lines) == 8 and any(line.startswith("'=HYPERLINK(1)") for line in lines)
    assert "<b>Cy</b>" not in text  # Cy has no runs
    assert lines[1].split(",")[-1] == "0"  # Anna's 128-unit run did not meet the challenge


def test_the_class_chart_has_a_trace_per_learner_and_shows_nicknames_as_text():
    from fmnist_core.views import charts

    fig = charts.class_scatter([("<b>Lea</b>", 12730, 0.68, "16 units"), ("Anna", 25450, 0.84, "32 units"),
                                ("<b>Lea</b>", 50890, 0.86, "64 units")], RunConfig().parameters)
    assert [t.name for t in fig.data] == ["&lt;b&gt;Lea&lt;/b&gt;", "Anna"]  # Plotly reads HTML in names
    assert fig.data[0].hovertemplate.startswith("&lt;b&gt;Lea&lt;/b&gt;<br>") and list(fig.data[0].x) == [12730, 50890]
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.range == (0.63, 1.0)
    assert fig.layout.shapes[0].x0 == RunConfig().parameters  # the tutorial's network, labelled at the line
    assert fig.layout.annotations[0].x == pytest.approx(math.log10(RunConfig().parameters))
