"""AppTest tests of a class: starting one, joining it with a nickname, its records, and the board."""

from __future__ import annotations

import re

import pytest

from fmnist_core import i18n
from fmnist_core.classroom import RedisClassStore, SQLiteClassStore
from fmnist_core.config import RunConfig, config_to_query
from fmnist_core.queue import JobStatus
from fmnist_core.runs.cache import RunCache
from pages.ui.runner import get_runner
from tests.browser.helpers import free_port
from tests.support import TINY, finish, open_app, open_page, redis_server, texts, until


@pytest.fixture
def store(synthetic_env) -> SQLiteClassStore:
    return SQLiteClassStore(synthetic_env / "classes.sqlite3")


@pytest.fixture
def tiny_run(synthetic_env):
    return RunCache(synthetic_env).get_or_train(TINY)


def join(at, nickname: str, back: bool = False):
    at.text_input(key="class_nickname").input(nickname)
    label = "I joined before: come back" if back else "Join"
    return next(b for b in at.button if b.label == label).click().run()


def test_a_teacher_starts_a_class_and_gets_two_links_with_qr_codes(store):
    at = open_page("pages/class.py")
    assert not at.exception and at.title[0].value == "Start a class"
    at.selectbox(key="class_challenge").set_value("small")
    at.multiselect(key="class_hide").set_value(["dropout"])
    next(b for b in at.button if b.label == "Start a class").click().run()
    assert not at.exception and not at.error
    (started,) = texts(at.success)
    code = re.fullmatch(r"Class ([A-Z0-9]{6}) has started\.", started)[1]
    learners, board = (c.value for c in at.code)
    assert learners == f"http://localhost:8501/?class={code}&challenge=small&hide=dropout"
    key = re.fullmatch(rf"http://localhost:8501/board\?class={code}&key=([\w-]+)", board)[1]
    assert [img.caption for image in at.get("image") for img in image.proto.imgs] == [
        f"QR code of the learners' link (class {code})", "QR code of the board link"]
    assert store.as_teacher(code, key).controls == {"challenge": "small", "hide": "dropout"}


def test_a_goal_that_is_not_one_starts_no_class(store):
    at = open_page("pages/class.py")
    at.selectbox(key="class_challenge").set_value("custom")
    at.text_input(key="class_goal").input("accuracy>0.9")
    next(b for b in at.button if b.label == "Start a class").click().run()
    assert any("is not a goal" in e.value for e in at.error) and not at.code
    assert not store.path.exists() or not store.learners("K7P2QX")


def test_a_learner_joins_trains_and_comes_back_with_the_nickname(store, tiny_run):
    code, _key = store.create()
    link = {"class": code} | config_to_query(TINY)
    at = open_app(link)
    assert at.subheader[0].value == f"Join the class {code}" and not at.get("plotly_chart")  # the nickname first
    join(at, "**Anna** <b>")
    assert not at.exception and not at.error
    assert any(t.startswith("From the cache") for t in texts(at.success))  # the page goes on to the run
    caption = next(c.value for c in at.caption if c.value.startswith("You are"))
    assert caption == f"You are \\*\\*Anna\\*\\* \\<b\\> in class {code}. Your runs in {code}\\: 1"  # as plain text
    assert [(r.nickname, r.key) for r in store.runs(code)] == [("**Anna** <b>", TINY.key)]
    at.run()  # a rerun records nothing new
    assert store.count(code, "**anna** <b>") == 1

    again = open_app(link)  # a reload: a new session, the same link
    join(again, "**ANNA** <b>", back=True)
    assert not again.exception
    assert f"Your runs in {code}: 1" in [s.value for s in again.subheader]
    assert store.count(code, "**Anna** <b>") == 1


def test_a_taken_nickname_is_refused_in_the_page(store, synthetic_env):
    code, _key = store.create()
    store.join(code, "Anna")
    at = open_app({"class": code})
    join(at, " anna ")
    assert any("The nickname “anna” is already taken in this class" in e.value for e in at.error)
    assert not any(b.label == "Train" for b in at.button)  # still asked for a nickname
    join(at, "x" * 24 + "\u202e")
    assert not at.exception


def test_a_hostile_nickname_is_one_sentence(store, synthetic_env):
    code, _key = store.create()
    at = open_app({"class": code})
    at.text_input(key="class_nickname").set_value("a\u202eb")  # typed past max_chars by a script: the store checks it
    next(b for b in at.button if b.label == "Join").click().run()
    assert [e.value for e in at.error] == ["A nickname cannot contain invisible or control characters; please type "
                                           "it again with letters, digits, signs or emoji."]


@pytest.mark.parametrize("value, said", [("ZZZZZZ", "There is no class ZZZZZZ"), ("<b>x", "not a class code")])
def test_an_unknown_class_is_one_sentence_and_the_page_goes_on(synthetic_env, value, said):
    at = open_app({"class": value})
    assert not at.exception and at.title[0].value == "Train the network"
    assert any(said in e.value.replace("\\", "") for e in at.error)
    assert at.slider(key="epochs") is not None


@pytest.mark.parametrize("query", [{"key": "wrong"}, {}, {"key": ""}])
def test_the_board_refuses_a_wrong_key(store, query):
    code, key = store.create()
    at = open_page("pages/board.py", {"class": code} | query)
    assert not at.exception
    assert [e.value.replace("\\", "") for e in at.error] == [
        "This board link is not valid: the class code or the teacher key is wrong, or the class has expired. Use the "
        "board link shown when the class was started."]
    assert not at.get("plotly_chart") and not at.metric


def class_with_runs(store, tiny_run):
    code, key = store.create({"challenge": "acc>=0.05;units<=16"})
    for name in ("Anna", "<b>Ben</b>"):
        store.join(code, name)
    store.record(code, "Anna", tiny_run)
    bigger = RunCache(store.path.parent).get_or_train(TINY.with_(hidden_units=32))
    store.record(code, "<b>Ben</b>", bigger)
    return code, key


def test_the_board_shows_the_class_and_ends_it(store, tiny_run):
    code, key = class_with_runs(store, tiny_run)
    at = open_page("pages/board.py", {"class": code, "key": key})
    assert not at.exception and not at.error
    assert at.title[0].value == f"Class {code}"
    assert {m.label: m.value for m in at.metric} == {"Learners joined": "2", "Runs": "2",
                                                     "Training now": "0", "Waiting now": "0"}
    said = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert said[0] == "- 1 of 2 learners met the challenge."
    assert said[2].startswith("- First to meet it\\: Anna at")
    assert "<b>" not in " ".join(said)  # nicknames only as plain text
    assert {c.key for c in at.get("plotly_chart")} == {"class_scatter"}
    table = next(d.value for d in at.dataframe)
    assert sorted(table["learner"]) == ["<b>Ben</b>", "Anna"] and list(table["runs"]) == [1, 1]
    assert dict(zip(table["learner"], table["challenge met"], strict=True)) == {"Anna": True, "<b>Ben</b>": False}
    assert any(m.value.startswith("Across the class's runs,") for m in at.markdown)
    (download,) = at.get("download_button")
    assert download.proto.label == "Download CSV"
    at.button(key="class_end").click().run()
    assert any(t.startswith("This class ended at") for t in texts(at.info))
    assert not store.get(code).open and len(store.runs(code)) == 2


def test_the_board_reads_in_korean(store, tiny_run):
    from tests.core.i18n.test_i18n import english_words, visible_text

    code, key = store.create({"challenge": "small"})
    store.join(code, "지민")
    store.record(code, "지민", tiny_run)
    try:
        at = open_page("pages/board.py", {"class": code, "key": key, "lang": "ko"})
        assert not at.exception and not at.error
        assert english_words([t.replace(code, "") for t in visible_text(at)]) == []
        teach = open_page("pages/class.py", {"lang": "ko"})
        assert english_words(visible_text(teach)) == []
    finally:
        i18n.set_language("en")


def test_a_learners_runs_count_on_the_compare_page(store, tiny_run):
    code, _key = store.create()
    store.join(code, "Anna")
    store.record(code, "Anna", tiny_run)
    RunCache(store.path.parent).get_or_train(RunConfig(epochs=2, hidden_units=16))
    at = open_page("pages/compare.py", {"class": code})
    join(at, "Anna", back=True)
    assert not at.exception
    assert any(c.value == f"You are Anna in class {code}. Your runs in {code}\\: 1" for c in at.caption)


def test_the_class_exercise_holds_when_the_learner_comes_back_without_it(store, synthetic_env):
    """A learner back on the Train page from the menu (no link values) still has the class's challenge and
    hidden settings."""
    code, _key = store.create({"challenge": "small", "hide": "dropout"})
    at = open_app({"class": code, "challenge": "small", "hide": "dropout"})
    join(at, "Anna")
    at.query_params.clear()
    at.run()
    assert any(m.value.startswith("**Challenge**") for m in at.markdown)
    assert "dropout" not in [s.key for s in at.slider]


def start_a_class(at):
    next(b for b in at.button if b.label == "Start a class").click().run()
    return at


@pytest.mark.redis
def test_with_a_queue_in_redis_the_class_lives_there_and_every_server_shows_one_board(synthetic_env, monkeypatch):
    with redis_server() as (url, _connection):
        monkeypatch.setenv("FMNIST_QUEUE_URL", url)
        at = start_a_class(open_page("pages/class.py"))
        assert not at.exception and not at.error
        key = re.search(r"key=([\w-]+)", at.code[1].value)[1]
        code = re.search(r"class=(\w+)", at.code[0].value)[1]
        other_server = RedisClassStore(url)  # another app server on the same Redis
        other_server.join(code, "Anna")
        board = open_page("pages/board.py", {"class": code, "key": key})
        assert not board.exception and not board.error
        assert {m.label: m.value for m in board.metric}["Learners joined"] == "1"
        assert not (synthetic_env / "classes.sqlite3").exists()


def test_a_redis_that_is_down_is_one_sentence_on_the_class_pages(synthetic_env, monkeypatch):
    monkeypatch.setenv("FMNIST_QUEUE_URL", f"redis://127.0.0.1:{free_port()}/0")  # nobody listens there
    sentence = ("The class records cannot be used right now (the server's file of classes is damaged, read-only or "
                "busy); nothing stored is lost. Please try again later or tell the person who hosts the app.")
    at = start_a_class(open_page("pages/class.py"))
    assert not at.exception and [e.value.replace("\\", "") for e in at.error] == [sentence] and not at.code
    board = open_page("pages/board.py", {"class": "K7P2QX", "key": "k" * 32})
    assert not board.exception and [e.value.replace("\\", "") for e in board.error] == [sentence]


def test_the_board_counts_its_learners_runs_while_they_train_and_no_one_elses(store, tmp_path, monkeypatch):
    holds = tmp_path / "holds"
    holds.mkdir()
    monkeypatch.setenv("FMNIST_HOLD_DIR", str(holds))  # a run whose key names a file there waits, as running
    monkeypatch.setenv("FMNIST_PREFETCH", "0")
    mine, someone_elses = TINY.with_(seed=11), TINY.with_(seed=12)
    for config in (mine, someone_elses):
        (holds / config.key).touch()
    code, key = store.create()
    at = open_app({"class": code} | config_to_query(mine))
    join(at, "Anna")
    at.form_submit_button[0].click().run()  # Train: the learner's run is asked for in the class
    runner = get_runner()  # the page's own runner (one per process and cache folder)
    outside = runner.submit(someone_elses, "a visitor outside the class")
    until(lambda: all(runner.get(c.key).snapshot().status is JobStatus.RUNNING for c in (mine, someone_elses)))

    def figures() -> dict[str, str]:
        board = open_page("pages/board.py", {"class": code, "key": key})
        assert [c.key for c in board.get("plotly_chart")] == ["class_scatter"]  # with no run yet too
        return {m.label: m.value for m in board.metric}

    assert figures() == {"Learners joined": "1", "Runs": "0", "Training now": "1", "Waiting now": "0"}
    for config in (mine, someone_elses):
        (holds / config.key).unlink()
    finish(at)
    assert outside.wait(300)
    assert figures() == {"Learners joined": "1", "Runs": "1", "Training now": "0", "Waiting now": "0"}
