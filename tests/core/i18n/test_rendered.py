"""The rendered-sentence files (tests/rendered/<code>.txt) are what the code says now, in every language."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from fmnist_core import i18n
from tests import render_sentences
from tests.core.i18n.test_i18n import source_messages

pytestmark = pytest.mark.usefixtures("english")  # tests/conftest.py


def stale(folder: Path) -> dict[str, str]:
    """Each language whose file in ``folder`` differs from a fresh rendering, with the first differing lines."""
    out = {}
    for code in i18n.LANGUAGES:
        path = folder / f"{code}.txt"
        committed = path.read_text(encoding="utf-8") if path.exists() else ""
        fresh = render_sentences.render(code)
        if committed != fresh:
            diff = difflib.unified_diff(committed.splitlines(), fresh.splitlines(), "committed", "rendered now",
                                        lineterm="", n=0)
            out[code] = "\n".join(list(diff)[:12])
    return out


def test_the_committed_files_are_the_sentences_the_code_renders_now():
    problems = stale(render_sentences.OUT)
    assert not problems, "tests/rendered is stale; run `python -m tests.render_sentences --write` and read the " \
        "diff:\n" + "\n\n".join(f"{code}:\n{diff}" for code, diff in problems.items())


def test_a_changed_translation_makes_the_files_stale(tmp_path, monkeypatch):
    """The check above is not blind: a sentence that changed since the files were written is named."""
    for code in i18n.LANGUAGES:
        (tmp_path / f"{code}.txt").write_text(render_sentences.render(code), encoding="utf-8")
    assert stale(tmp_path) == {}
    original = i18n.catalog("de").gettext

    def changed(message: str) -> str:
        return "Nach der letzten Epoche hat {run} die beste {what} ({value})." \
            if message.startswith("Highest {what}") else original(message)

    monkeypatch.setattr(i18n.catalog("de"), "gettext", changed)
    problems = stale(tmp_path)
    assert list(problems) == ["de"] and "die beste Validierungsgenauigkeit" in problems["de"]


def test_sentences_put_together_like_a_page_are_still_messages_of_the_code():
    """Sentences the Train page and the job views assemble are rendered from their message ids: each must still
    be one (a renamed message would otherwise leave a sentence here that the app no longer says)."""
    for code in i18n.LANGUAGES:
        render_sentences.render(code)
    assert len(render_sentences.PAGE_MESSAGES) > 30
    assert render_sentences.PAGE_MESSAGES - set(source_messages()) == set()


def test_numbers_in_labels_follow_the_language():
    said = {code: (Path(render_sentences.OUT) / f"{code}.txt").read_text(encoding="utf-8")
            for code in i18n.LANGUAGES}
    assert "Dropout 0,2" in said["de"] and "Val.-Anteil 0,1" in said["de"] and "Lernrate 0,0005" in said["de"]
    assert "dropout 0.2" in said["en"] and "드롭아웃 0.2" in said["ko"]
    assert "Dropout 0.2" not in said["de"]


def test_every_section_has_sentences_in_every_language():
    for code in i18n.LANGUAGES:
        text = render_sentences.render(code)
        sections = text.split("\n## ")[1:]
        assert len(sections) == len(render_sentences.SECTIONS)
        assert all(section.count("\n- ") >= 2 for section in sections), code
