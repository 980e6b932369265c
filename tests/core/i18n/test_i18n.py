"""Languages: complete catalogs, numbers the language's way, every page in each language, no English on Korean pages."""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from fmnist_core import i18n
from fmnist_core.config import RunConfig, config_to_query
from fmnist_core.data.sources import CLASS_NAMES
from fmnist_core.runs.cache import RunCache
from tests.support import TINY, finish, open_app, open_page, together

ROOT = Path(__file__).resolve().parents[3]
TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT]
PAGES = ["pages/train.py", "pages/data.py", "pages/concepts.py", "pages/compare.py", "pages/epochs.py",
         "pages/units.py", "pages/layers.py", "pages/normalisation.py", "pages/dropout.py",
         "pages/early_stopping.py", "pages/mistakes.py", "pages/classify.py", "pages/class.py"]


pytestmark = pytest.mark.usefixtures("english")  # tests/conftest.py


# --------------------------------------------------------------------------- catalogs


def source_messages() -> dict[str, str]:
    """Every message the code wraps in _(), N_() or ngettext(), extracted the way pybabel extract does (babel.cfg)."""
    method_map = [(pattern.strip("[]").split(": ")[1], "python")
                  for pattern in (ROOT / "babel.cfg").read_text().splitlines() if pattern.startswith("[python:")]
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            ROOT, method_map, keywords={"_": None, "N_": None, "ngettext": (1, 2)}):
        msgid = message if isinstance(message, str) else message[0]
        found[msgid] = filename
    return found


def catalog(code: str):
    with (i18n.LOCALE_DIR / code / "LC_MESSAGES" / f"{i18n.DOMAIN}.po").open("rb") as handle:
        return read_po(handle, locale=code)


def fields(text: str) -> list[str]:
    """The str.format fields of a message ('{run}', '{:g}' -> 'run', ':g')."""
    return sorted(f"{name}:{spec}" for _, name, spec, _ in string.Formatter().parse(text) if name is not None)


def test_the_code_wraps_enough_sentences_for_the_check_below_to_mean_something():
    messages = source_messages()
    assert len(messages) > 400
    assert "Train the network" in messages and "Best test accuracy: {run} with {accuracy}." in messages
    assert "Coat" in messages  # class names are in the catalogs too


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(code):
    po = catalog(code)
    problems = []
    for msgid, filename in source_messages().items():
        entry = po.get(msgid)
        strings = [] if entry is None else [entry.string] if isinstance(entry.string, str) else list(entry.string)
        if entry is None or not all(strings) or entry.fuzzy:
            problems.append(f"{code}: no translation for {msgid!r} ({filename})")
            continue
        for translated in strings:
            if fields(translated) != fields(msgid):
                problems.append(f"{code}: placeholders of {msgid!r} differ in {translated!r}")
    assert not problems, "\n".join(problems)


def test_a_missing_translation_is_named_by_the_check(tmp_path, monkeypatch):
    """The completeness check fails with the message id when one translation is taken out."""
    po = catalog("de")
    po["Train the network"].string = ""
    from babel.messages.pofile import write_po

    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.po").open("wb") as handle:
        write_po(handle, po)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    with pytest.raises(AssertionError, match="no translation for 'Train the network'"):
        test_every_message_is_translated_with_the_same_placeholders("de")


def test_a_stale_compiled_catalog_is_not_used(tmp_path, monkeypatch):
    """Without a current .mo (a fresh checkout, or a .po edited since `make locales`), the .po is compiled in memory."""
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_bytes((i18n.LOCALE_DIR / "de" / "LC_MESSAGES" / "messages.po").read_bytes())
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.catalog.cache_clear()
    try:
        i18n.set_language("de")
        assert i18n._("Train the network") == "Netz trainieren"
    finally:
        i18n.catalog.cache_clear()


@pytest.mark.parametrize("damage", ["mo", "po", "both"])
def test_a_damaged_catalog_on_disk_is_not_a_traceback(tmp_path, monkeypatch, caplog, damage):
    """A damaged .mo falls back to its .po; a damaged .po (and no usable .mo) to English, said in the log."""
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = (i18n.LOCALE_DIR / "de" / "LC_MESSAGES" / "messages.po").read_bytes()
    (folder / "messages.po").write_bytes(b'msgid "x\n\x00' + po[: len(po) // 3] if damage != "mo" else po)
    (folder / "messages.mo").write_bytes(b"not a catalog")  # newer than the .po
    if damage == "po":
        (folder / "messages.mo").unlink()
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.catalog.cache_clear()
    try:
        i18n.set_language("de")
        said = i18n._("Train the network")
    finally:
        i18n.catalog.cache_clear()
    assert said == ("Netz trainieren" if damage == "mo" else "Train the network")
    assert "damaged" in caplog.text or "cannot be read" in caplog.text


# --------------------------------------------------------------------------- words, numbers, dates


def test_sentences_numbers_and_dates_follow_the_language():
    config = RunConfig(hidden_units=256, extra_layers=1, epochs=1)
    moment = datetime(2026, 11, 25, 7, 52)
    said = {}
    for code in i18n.LANGUAGES:
        i18n.set_language(code)
        said[code] = (config.describe(), i18n.percent(0.8782), i18n.number(12345.5, 1), i18n.date_time(moment))
    assert said["en"] == ("256 units x 2 layers, 1 epoch, normalised", "87.82%", "12,345.5", "25 Nov 2026, 07:52:00")
    assert said["de"][0] == "256 Einheiten x 2 Schichten, 1 Epoche, normalisiert"
    assert said["de"][1:3] == ("87,82\xa0%", "12.345,5") and said["de"][3].startswith("25.11.2026")
    assert said["ko"][0] == "유닛 256개 × 은닉층 2개, 1 에포크, 정규화" and said["ko"][1] == "87.82%"
    assert "2026. 11. 25." in said["ko"][3]


def test_plural_forms_follow_the_language():
    i18n.set_language("de")
    assert [RunConfig(epochs=n).describe().split(", ")[1] for n in (1, 2)] == ["1 Epoche", "2 Epochen"]
    i18n.set_language("ko")
    assert [RunConfig(epochs=n).describe().split(", ")[1] for n in (1, 2)] == ["1 에포크", "2 에포크"]


def test_class_names_keep_their_english_label_beside_the_translation():
    i18n.set_language("ko")
    assert i18n.class_name("Coat") == "코트(Coat)"  # the catalog's own pattern: Korean puts no space before "("
    i18n.set_language("de")
    assert i18n.class_name("Coat") == "Mantel (Coat)" and i18n.class_name("Pullover") == "Pullover"
    i18n.set_language("en")
    assert [i18n.class_name(n) for n in CLASS_NAMES] == list(CLASS_NAMES)


def test_a_class_name_differing_only_in_case_is_shown_as_translated():
    """German writes 'T-Shirt/Top': the translation, not the English 'T-shirt/top' it equals ignoring case."""
    i18n.set_language("de")
    assert i18n.class_name("T-shirt/top") == "T-Shirt/Top"


def test_a_count_range_with_equal_ends_is_one_number():
    from fmnist_core.data.statistics import counts_caption

    i18n.set_language("en")
    assert counts_caption(np.full(10, 6000), np.full(10, 1000)).startswith("Training: 6,000 per class; test: 1,000.")
    assert counts_caption(np.array([38, 41]), np.array([10, 10])).startswith("Training: 38–41 per class; test: 10.")
    i18n.set_language("de")
    assert "6.000–6.000" not in counts_caption(np.full(10, 6000), np.full(10, 1000))


def test_a_failure_that_says_what_to_do_gets_no_second_advice():
    """A lost worker's reason ends 'press Train to try again': no 'try another configuration' after it."""
    from fmnist_core.queue.base import WORKER_LOST, failure_sentence

    i18n.set_language("en")
    assert failure_sentence(WORKER_LOST).format(reason=WORKER_LOST) == (
        "Training failed: the worker training this run stopped unexpectedly; press Train to try again.")
    assert failure_sentence("Graph execution error").endswith("try another configuration.")


@pytest.mark.parametrize("code", ["en", "ko", "de"])
def test_a_switchs_default_in_a_link_error_is_on_or_off_in_the_language(code):
    """normalize=maybe falls back to the default, shown as the switch's word ('on', '켬', 'an'), not as '1'."""
    from fmnist_core.config import config_from_query

    i18n.set_language(code)
    config, problems = config_from_query({"normalize": "maybe"})
    reason = i18n._("{name} must be true or false").format(name="normalize")
    expected = i18n._("The link's {name}={value} is not usable ({reason}); using the default {default} instead.")
    assert config.normalize
    assert problems == [expected.format(name="normalize", value="maybe", reason=reason, default=i18n._("on"))]


def test_each_thread_speaks_its_own_language():
    """Two visitors' script runs run in two threads at once: one's choice must not change the other's page."""
    import functools
    import threading

    seen = {}

    def visitor(code: str, ready: threading.Barrier) -> None:
        i18n.set_language(code)
        ready.wait()
        seen[code] = i18n._("Train the network")

    ready = threading.Barrier(2)
    together(*[functools.partial(visitor, code, ready) for code in ("ko", "de")])
    assert seen == {"ko": "신경망 훈련하기", "de": "Netz trainieren"}
    assert i18n.language() == "en"  # this thread never chose


def test_browser_locales_map_to_the_app_languages():
    assert [i18n.language_of(tag) for tag in ("ko-KR", "de_AT", "de", "en-US", "fr-FR", "", None)] == \
        ["ko", "de", "de", "en", None, None, None]


# --------------------------------------------------------------------------- translator comments

# Placeholder messages allowed without a "# Translators:" comment for a while (e.g. code being rewritten on another
# branch); a message listed here that has one fails the test below. Empty: every placeholder message has one.
WITHOUT_COMMENT_FOR_NOW: set[str] = set()


def template():
    with (i18n.LOCALE_DIR / "messages.pot").open("rb") as handle:
        return read_po(handle)


def test_the_template_is_extracted_from_the_code_as_it_is():
    """messages.pot holds exactly the messages of the code (make messages was run after the last change)."""
    pot = {m.id if isinstance(m.id, str) else m.id[0] for m in template() if m.id}
    assert pot == set(source_messages())
    assert "-c Translators:" in (ROOT / "Makefile").read_text()


def test_every_message_with_a_placeholder_tells_the_translator_what_fills_it():
    missing, listed_but_commented = [], []
    for message in template():
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        if not msgid or not fields(msgid):
            continue
        commented = any(c.startswith("Translators:") for c in message.auto_comments)
        if not commented and msgid not in WITHOUT_COMMENT_FOR_NOW:
            missing.append(msgid)
        if commented and msgid in WITHOUT_COMMENT_FOR_NOW:
            listed_but_commented.append(msgid)
    assert not missing, "add a '# Translators:' comment above the call of:\n" + "\n".join(missing)
    assert not listed_but_commented, "commented now, take off WITHOUT_COMMENT_FOR_NOW:\n" + \
        "\n".join(listed_but_commented)
    assert set(source_messages()) >= WITHOUT_COMMENT_FOR_NOW  # no stale entries


def test_a_translator_comment_says_what_fills_each_placeholder():
    """The comments reach the catalogs, and name the placeholders with an example ('e.g.')."""
    pot = template()
    comment = " ".join(pot["Highest {what} after the last epoch: {run} ({value})."].auto_comments)
    assert "{what}" in comment and "{run}" in comment and "e.g." in comment
    de = catalog("de")
    assert any("e.g." in c for c in de["dropout {value}"].auto_comments)


# --------------------------------------------------------------------------- pages


@pytest.fixture
def two_runs(synthetic_env):
    """Two stored runs (so Compare, Inside the network and Classify have something to show)."""
    cache = RunCache(synthetic_env)
    return [cache.get_or_train(TINY), cache.get_or_train(TINY.with_(hidden_units=32))]


TEXT_FIELDS = ("body", "label", "help", "options", "placeholder", "text", "caption")
NOT_TEXT = ("code", "arrow_data_frame", "empty", "html")  # elements whose words are not sentences


def visible_text(at) -> list[str]:
    """What a reader of the page sees: text, labels, help, options, tab names, chart titles and axes (not code)."""
    out: list[str] = []
    for node in tree_nodes(at.main.root):  # the whole page: main area, sidebar, events
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if kind == "plotly_chart":
            out.extend(chart_text(proto.spec))
        elif proto is not None and kind not in NOT_TEXT:
            out.extend(proto_strings(proto))
    return [text for text in out if text]


def tree_nodes(node) -> Iterator:
    """``node`` of an AppTest element tree, then every node below it, depth first."""
    yield node
    for child in getattr(node, "children", {}).values():
        yield from tree_nodes(child)


def proto_strings(message) -> Iterator[str]:
    """The strings of the fields named ``TEXT_FIELDS`` in a protobuf message and the messages inside it."""
    for field, value in message.ListFields():
        values = list(value) if field.is_repeated else [value]
        if field.type == field.TYPE_MESSAGE:
            for item in values:
                yield from proto_strings(item)
        elif field.name in TEXT_FIELDS and field.type == field.TYPE_STRING:
            yield from values


def chart_text(spec: str) -> Iterator[str]:
    """A Plotly figure's title and axis titles, annotations, trace names and bar categories."""
    figure = json.loads(spec)
    layout = figure.get("layout", {})
    for key, value in layout.items():
        if key.startswith(("xaxis", "yaxis", "title")) and isinstance(value, dict):
            title = value.get("title", value)
            yield title.get("text", "") if isinstance(title, dict) else str(title)
    yield from (a.get("text", "") for a in layout.get("annotations", []))
    for trace in figure.get("data", []):
        yield str(trace.get("name", ""))
        if trace.get("type") == "bar" and isinstance(trace.get("x"), list):
            yield from (str(x) for x in trace["x"] if isinstance(x, str))


# Names that stay as they are in every language: the data set's English labels, code and library names,
# file formats and units. Everything else on a Korean page must be Korean.
KEEP = {word for name in CLASS_NAMES for word in re.findall(r"[A-Za-z]+", name)} | {
    "Fashion", "MNIST", "Lab", "Keras", "TensorFlow", "ReLU", "relu", "Dense", "Flatten", "Softmax", "softmax",
    "adam", "Dropout", "EarlyStopping", "exp", "log", "max", "score", "PNG", "JPEG", "WebP", "BMP", "GIF", "MB",
    "UTC", "IDX", "x", "sparse", "English", "Deutsch", "Language", "Sprache", "py", "ipynb", "keras", "csv", "json",
    "CSV", "QR",  # the class board's download, the Class page's codes
    "patience",  # EarlyStopping's argument, kept as the learner types it (GLOSSARY.md)
}


def english_words(texts: list[str]) -> list[str]:
    """Latin-letter words outside code spans, links' values and the names above."""
    found = []
    for text in texts:
        text = re.sub(r"`[^`]*`", " ", text)  # code
        text = re.sub(r"<[^>]+>", " ", text)  # chart markup
        for word in re.findall(r"[A-Za-z]+", text):
            if word not in KEEP and len(word) > 1:
                found.append(f"{word!r} in {text[:90]!r}")
    return found


@pytest.mark.parametrize("code", list(i18n.LANGUAGES))
def test_every_page_renders_in_each_language(two_runs, code):
    shown = {}
    for path in PAGES:
        at = open_page(path, {"lang": code})
        assert not at.exception, f"{path} in {code}: {at.exception}"
        refusals = 3 if path == "pages/mistakes.py" else 0  # Keras refuses three of the mistakes, by design
        assert len(at.error) == refusals, f"{path} in {code}: {[e.value for e in at.error]}"
        shown[path] = at.title[0].value
    titles = {"en": "Train the network", "ko": "신경망 훈련하기", "de": "Netz trainieren"}
    assert shown["pages/train.py"] == titles[code]
    assert len(set(shown.values())) == len(PAGES)  # each page has its own title in every language


def test_a_korean_page_has_no_english_sentence(two_runs):
    leaks = {}
    for path in PAGES:  # the Train page with a stored run: results, curves, predictions, confusion matrix
        query = {"lang": "ko"} | (config_to_query(TINY) if path == "pages/train.py" else {})
        at = open_page(path, query)
        assert not at.exception, f"{path}: {at.exception}"
        words = english_words(visible_text(at))
        if words:
            leaks[path] = words
    assert not leaks, json.dumps(leaks, ensure_ascii=False, indent=1)


def test_the_english_check_finds_english(two_runs):
    """The check above is not blind: an English page is full of the words it looks for."""
    at = open_page("pages/train.py")
    assert len(english_words(visible_text(at))) > 50


def test_a_trained_korean_run_reads_in_korean(two_runs):
    """Findings computed from real runs (the Compare page's sentences, with numbers) come out in Korean."""
    at = open_page("pages/compare.py", {"lang": "ko", "runs": ",".join(r.key for r in two_runs)})
    sentences = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert len(sentences) == 3 and "정확도 대비 가장 경제적인 실행" in sentences[-1]
    assert not english_words(sentences)


def param(at, name: str) -> str | None:
    """A URL query value as the app left it (AppTest keeps what the test set as lists)."""
    value = at.query_params.get(name)
    return value[-1] if isinstance(value, list) else value


def test_the_language_comes_from_the_link_and_the_picker(synthetic_env):
    """(The URL half of the picker — the choice written into the link — is in tests/browser/test_i18n.py: AppTest
    reruns only the page after its first run, not the app script that writes it.)"""
    at = open_app({"lang": "de"})
    assert at.title[0].value == "Netz trainieren"
    assert at.sidebar.caption[0].value.startswith("Fashion-MNIST Lab: Ein")
    at.sidebar.selectbox(key="ui_language_picker").set_value("ko").run()
    assert at.title[0].value == "신경망 훈련하기"
    at.switch_page("pages/data.py")
    assert at.run().title[0].value == "데이터: Fashion-MNIST"  # the choice holds on every page


def test_a_bad_language_in_the_link_is_one_sentence(synthetic_env):
    at = open_app({"lang": "xx<script>"})
    assert not at.exception and at.title[0].value == "Train the network"
    assert any("lang=xx" in w.value and "is not a language of this app" in w.value for w in at.sidebar.warning)


def test_a_teachers_link_keeps_its_language_after_a_run(synthetic_env):
    """Pages rewrite their query (the Train form keeps its settings in the URL); the language stays in it."""
    at = open_app({"lang": "de", "epochs": "3", "units": "16"})
    at.form_submit_button[0].click()
    finish(at)  # the run trains in a worker process: wait for the page's result
    assert not at.exception and param(at, "lang") == "de" and param(at, "units") == "16"
    assert at.success and at.success[0].value.startswith("Soeben")


def test_charts_write_numbers_and_words_in_the_language():
    from fmnist_core.views import charts

    history = {"loss": [0.6, 0.4], "accuracy": [0.8, 0.85], "val_loss": [0.5, 0.45], "val_accuracy": [0.82, 0.84]}
    i18n.set_language("de")
    curves = charts.training_curves(history)
    assert curves.layout.separators == ",." and curves.layout.xaxis.title.text == "Epoche"
    bars = charts.sweep_bars(["a"], [0.8782], [12.0], [101770])
    assert bars.data[0].text[0] == "87,82\xa0%<br>12 s"
    i18n.set_language("ko")
    assert charts.confusion_figure(__import__("numpy").eye(10, dtype=int)).layout.xaxis.title.text == "예측 클래스"


def test_where_a_run_came_from_is_stored_as_data_and_worded_in_the_language(two_runs):
    from dataclasses import replace

    from fmnist_core.runs.results import Origin

    taken = replace(two_runs[0], origin=Origin("taken", 30))
    continued = replace(two_runs[0], origin=Origin("continued", 10))
    assert taken.to_dict()["origin"] == {"how": "taken", "from_epochs": 30} and taken.read_off_longer_run
    assert not continued.read_off_longer_run and replace(continued, origin=None).origin_text() is None
    assert taken.origin_text() == "taken from the 30-epoch run"
    i18n.set_language("ko")
    assert taken.origin_text() == "30 에포크 실행에서 가져옴"
    i18n.set_language("de")
    assert continued.origin_text() == "fortgesetzt vom Lauf mit 10 Epochen"
    assert Origin.parse("continued from the 10-epoch run") == continued.origin  # as entries stored it before


def test_challenge_checks_and_goals_are_whole_sentences_in_the_language(two_runs):
    """The checks of a challenge ('{term}: ✓ yes' / '{term}: ✗ not yet') are whole messages of Challenge.checks,
    which the Train page shows; German goals read as 'Ziel: …', without a stray article or case."""
    from fmnist_core.lessons.challenges import READY, parse_challenge

    challenge = parse_challenge("acc>=0.05;units<=16")
    i18n.set_language("de")
    assert challenge.checks(two_runs[0]) == "Testgenauigkeit mindestens 5\u00a0%: ✓ ja; Verdeckte Einheiten je " \
        "Schicht höchstens 16: ✓ ja"
    assert challenge.checks(two_runs[1]).endswith("höchstens 16: ✗ noch nicht")
    assert READY["steady"].goal == ("Ziel: Abstand zwischen Trainings- und Validierungsgenauigkeit unter 2\u00a0Pkt. · "
                                    "Vorgaben: Epochen mindestens 30")
    i18n.set_language("ko")
    assert READY["small"].goal == "목표: 테스트 정확도 86% 이상 · 조건: 층당 은닉 유닛 수 32 이하"
    assert challenge.checks(two_runs[0]) == "테스트 정확도 5% 이상 ✓ 달성, 층당 은닉 유닛 수 16 이하 ✓ 달성"  # no ";"
