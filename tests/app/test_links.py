"""AppTest: what a link's value can still do. Every page that echoes a link value in its own message shows it as
plain text that Markdown cannot turn into a live link (Streamlit's remark-gfm autolinks bare URLs, www. names
and e-mail addresses after escapes are resolved, so escaping is not enough); a value of hundreds of digits is
one sentence on every page that reads numbers from its link, not a traceback."""

from __future__ import annotations

import re

import pytest

from fmnist_core.config import RunConfig
from fmnist_core.runs.cache import RunCache
from pages.ui.text import plain
from tests.support import APP, open_app, open_page, texts

URL = "https://evil.example/login"
HUGE = "1" + "0" * 309  # no float holds it
# The link values the app echoes in a sentence of its own: (page, parameter); None is the Train page.
ECHOED = [(None, "epochs"), (None, "challenge"), (None, "hide"), (None, "lock"), (None, "lang"),
          ("pages/concepts.py", "run"), ("pages/concepts.py", "image"), ("pages/epochs.py", "values"),
          ("pages/classify.py", "run"), ("pages/data.py", "lang")]
NEEDS_A_RUN = {"pages/concepts.py", "pages/classify.py"}


def live_links(markdown: str) -> list[str]:
    """What GitHub-flavoured Markdown (remark-gfm, as Streamlit renders) makes a link of in ``markdown``: bare URLs,
    www. names and e-mail addresses in the text once its backslash escapes are resolved, and [text](target)."""
    text = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)
    bare = re.findall(r"(?i)(?:https?://|www\.)[-.\w]+\S*|[-.\w+]+@[-\w]+(?:\.[-\w]+)+", text)
    return bare + re.findall(r"(?<!\\)\]\(", markdown)


def shown(at) -> list[str]:
    """Every text of the page that Streamlit renders as Markdown."""
    return texts(at.warning) + texts(at.error) + texts(at.info) + texts(at.caption) + texts(at.markdown)


def open_first(page: str, query: dict[str, str]):
    """The app opened straight on ``page`` with ``query``, as a copied link does (no other page ran first)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=180)
    for name, value in query.items():
        at.query_params[name] = value
    at.switch_page(page)
    return at.run()


def test_the_check_itself_sees_a_live_link():
    assert live_links(f"see {URL}") and live_links("write to a@evil.example") and live_links("www.evil.example")
    assert live_links("https\\://evil.example/login")  # escaped, still a link: the finding
    assert live_links("[x](y)") and not live_links("\\[x\\]\\(y\\)")


@pytest.mark.parametrize("value", [URL, "HTTP://evil.example", "www.evil.example/login", "mail@evil.example",
                                   "mailto:a@evil.example", "[x](https://evil.example) ![i](www.evil.example)"])
def test_plain_leaves_no_live_link(value):
    assert live_links(plain(f"The link's run={value} is not stored here.")) == []


@pytest.mark.parametrize("page,name", ECHOED, ids=[f"{p or 'train'}-{n}" for p, n in ECHOED])
def test_a_link_value_is_echoed_without_a_live_link(synthetic_env, page, name):
    if page in NEEDS_A_RUN:
        RunCache(synthetic_env).get_or_train(RunConfig(epochs=1, hidden_units=8))
    at = open_first(page, {name: URL}) if page else open_app({name: URL})
    assert not at.exception
    echoed = [t for t in shown(at) if "evil" in t]
    assert echoed  # the page says what was wrong with the value
    assert [link for t in shown(at) for link in live_links(t)] == []


@pytest.mark.parametrize("page,name", [(None, "epochs"), (None, "seed"), (None, "patience"), (None, "lr"),
                                       ("pages/epochs.py", "values"), ("pages/epochs.py", "units"),
                                       ("pages/units.py", "values"), ("pages/early_stopping.py", "patience")])
def test_a_value_of_hundreds_of_digits_is_one_sentence(synthetic_env, page, name):
    at = open_page(page, {name: HUGE}) if page else open_app({name: HUGE})
    assert not at.exception
    assert any(f"{name}=1000" in t.replace("\\", "") for t in texts(at.warning))


@pytest.mark.parametrize("value", ["1" + "0" * 5000, "²"])
def test_an_image_number_python_cannot_read_is_one_sentence(synthetic_env, value):
    RunCache(synthetic_env).get_or_train(RunConfig(epochs=1, hidden_units=8))
    at = open_page("pages/concepts.py", {"image": value})
    assert not at.exception
    assert any("is not a test image number" in t for t in texts(at.warning))
    assert at.number_input(key="concept_image").value == 0


def test_concepts_and_classify_keep_their_run_and_image_in_the_link(two_runs):
    key = two_runs[0].key
    at = open_page("pages/concepts.py", {"run": key, "image": "7"})
    assert not at.exception
    assert at.number_input(key="concept_image").value == 7 and at.query_params["run"] == key
    at = open_page("pages/classify.py", {"run": "nonsense"})
    assert not at.exception and any("is not stored here" in t for t in texts(at.warning))
