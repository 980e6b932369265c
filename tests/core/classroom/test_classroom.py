"""A class of its own, without Streamlit: codes and keys, nicknames, the board's figures (the class records'
store has its contract in ``test_class_store``)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from fmnist_core import i18n
from fmnist_core.classroom import (
    ALPHABET,
    ClassError,
    SQLiteClassStore,
    board,
    check_nickname,
    class_confusion,
    confusion_sentence,
    new_code,
    of_class,
    qr_png,
    read_code,
    runs_csv,
    sentences,
)
from fmnist_core.classroom.codes import folded
from fmnist_core.config import RunConfig
from tests.core.classroom.test_store import T0, class_with_runs, run
from tests.render_sentences import fake_run

pytestmark = pytest.mark.usefixtures("english")  # tests/conftest.py


@pytest.fixture
def store(tmp_path) -> SQLiteClassStore:
    return SQLiteClassStore(tmp_path / "classes.sqlite3")


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


# --------------------------------------------------------------------------- the board


# The board's figures and sentences for a class with runs: test_store's
# test_the_boards_figures_and_sentences_are_the_same_from_either_backend (both backends).


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
    thirty = charts.class_scatter([(f"L{i:02d}", 12730, 0.8, "16 units") for i in range(30)], RunConfig().parameters)
    assert fig.layout.height == 460 and thirty.layout.height >= 30 * 18  # a legend line for every learner


def test_the_board_counts_the_runs_its_class_asked_for():
    class Job:  # what of_class reads of the queue's jobs
        def __init__(self, key: str, background: bool = False) -> None:
            self.key, self.background = key, background

    jobs = [Job("a"), Job("b"), Job("c", background=True), Job("d")]
    assert of_class({"a", "c", "d", "z"}, jobs) == 2  # a and d; c is a background run, z is not in the queue
    assert of_class(set(), jobs) == 0 and of_class({"a"}, []) == 0
