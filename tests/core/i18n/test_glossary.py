"""Every catalog renders each glossary term one way (fmnist_core/locale/GLOSSARY.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from fmnist_core import i18n
from tests.core.i18n.test_i18n import TRANSLATED, catalog

GLOSSARY = i18n.LOCALE_DIR / "GLOSSARY.md"


@dataclass(frozen=True)
class Term:
    """One row of the glossary: English forms, each language's accepted forms and its rejected variants."""

    english: tuple[str, ...]
    forms: dict[str, tuple[str, ...]]
    rejected: dict[str, tuple[str, ...]]


def _cells(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(" / ") if part.strip())


def read_glossary(path: Path = GLOSSARY) -> tuple[list[Term], set[tuple[str, str]]]:
    """The terms of the table under '## Terms' and the (form, msgid) pairs under '## Exceptions'."""
    terms, exceptions, section = [], set(), ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        elif section == "Terms" and line.startswith("|") and not line.startswith(("| English", "|---")):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            english, ko, de, no_ko, no_de = cells[:5]
            terms.append(Term(_cells(english), {"ko": _cells(ko), "de": _cells(de)},
                              {"ko": _cells(no_ko), "de": _cells(no_de)}))
        elif section == "Exceptions" and line.startswith("- ") and ": " in line:  # "- run: Run the comparison"
            form, msgid = line[2:].split(": ", 1)
            exceptions.add((form.strip(), msgid.strip()))
    return terms, exceptions


def _prose(msgid: str) -> str:
    """A message without its code spans and placeholders: the words a translator renders."""
    return re.sub(r"\{[^}]*\}", " ", re.sub(r"`[^`]*`", " ", msgid))


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, re.IGNORECASE) is not None


def _has_variant(text: str, variant: str) -> bool:
    """A rejected variant as a word of its own ('Gen.' in 'Val.-Gen. 0,86', not in 'zeigen.')."""
    return re.search(rf"(?<![^\W\d_]){re.escape(variant)}", text) is not None


def problems_in(code: str, terms: list[Term], exceptions: set[tuple[str, str]], po) -> list[str]:
    """Each message of catalog ``po`` that renders a term another way or uses a rejected variant."""
    out = []
    for message in po:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        translated = " ".join(strings)
        for term in terms:
            for variant in term.rejected[code]:
                if _has_variant(translated, variant):
                    out.append(f"{code}: {variant!r} (rejected for {term.english[0]!r}) in {translated!r}")
            used = [form for form in term.english if any(_has_word(_prose(i), form) for i in ids)]
            if not used or any((form, ids[0]) in exceptions for form in term.english):
                continue
            if not any(form.casefold() in translated.casefold() for form in term.forms[code]):
                out.append(f"{code}: {term.english[0]!r} is not {' / '.join(term.forms[code])!r} in "
                           f"{ids[0]!r} -> {translated!r}")
    return out


def test_the_glossary_has_the_terms_of_the_app():
    terms, exceptions = read_glossary()
    english = {form for term in terms for form in term.english}
    assert {"epoch", "batch size", "validation", "accuracy", "loss", "dropout", "early stopping", "patience",
            "layer", "unit", "label", "configuration", "run", "baseline", "overfitting", "normalisation", "metric",
            "learning rate", "seed", "softmax"} <= english
    assert all(term.forms["ko"] and term.forms["de"] for term in terms)
    assert ("run", "Run the comparison") in exceptions
    assert "라벨" in next(t for t in terms if "label" in t.english).rejected["ko"]


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_catalog_renders_each_term_one_way(code):
    terms, exceptions = read_glossary()
    problems = problems_in(code, terms, exceptions, catalog(code))
    assert not problems, "\n".join(problems)


def test_the_check_finds_a_term_rendered_another_way():
    """It is not blind: a German 'Geduld' for patience and a Korean 라벨 are each named, in the message."""
    terms, exceptions = read_glossary()
    de, ko = catalog("de"), catalog("ko")
    de["patience {value}"].string = "Geduld {value}"
    ko["Labels"].string = "라벨"
    found = problems_in("de", terms, exceptions, de) + problems_in("ko", terms, exceptions, ko)
    assert any("'Geduld' (rejected for 'patience')" in p for p in found)
    assert any("'patience' is not 'patience' in 'patience {value}'" in p for p in found)
    assert any("'라벨' (rejected for 'label')" in p for p in found)
    assert any("'label' is not '레이블' in 'Labels'" in p for p in found)
