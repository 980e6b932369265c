"""Teacher links: controls a link hides or locks, and challenges the page checks after each run.

A teacher prepares a link for a class, as TensorFlow Playground allows: ``hide=dropout,batch`` hides those
controls (the run uses the link's values or the defaults), ``lock=epochs`` shows a control but fixes it, and
``challenge=`` sets a goal: a ready one by name (``challenge=small``) or one written in the link as terms
joined by ``;`` — metrics ``acc`` (test accuracy), ``gap`` (training minus validation accuracy), ``loss``
(test loss) and any setting by its URL name, each with ``<``, ``<=``, ``>``, ``>=`` or ``=``:
``challenge=acc>=0.88;units<=32``. Bad values fall back with a message, like other link values.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..config import FIELDS, ConfigError
from ..i18n import N_, _, in_sentence, joined, number
from ..runs.results import RunResult

URL_FIELDS = {f.url: f for f in FIELDS}
_OPS: dict[str, Callable[[float, float], bool]] = {"<=": operator.le, ">=": operator.ge, "<": operator.lt,
                                                   ">": operator.gt, "=": operator.eq}
# A challenge's conditions: {what} is a metric ("test accuracy", "the gap between training and validation accuracy")
# or a setting's label ("hidden units per layer"), {value} a number ("86%", "2 points", "32"); several are joined
# with " and " into {goals} and {rules} of "Reach {goals} with {rules}."
_WORDS = {
    # Translators: a challenge condition; {what}: a metric or a setting, e.g. "hidden units per layer"; {value}:
    # e.g. "32" -> "hidden units per layer at most 32". It is put into "Reach {goals} with {rules}."
    "<=": N_("{what} at most {value}"),
    # Translators: a challenge condition; {what}: e.g. "test accuracy"; {value}: e.g. "86%" -> "test accuracy at
    # least 86%". It is put into "Reach {goals}." / "Reach {goals} with {rules}."
    ">=": N_("{what} at least {value}"),
    # Translators: a challenge condition; {what}: e.g. "the gap between training and validation accuracy"; {value}:
    # e.g. "2 points". It is put into "Reach {goals} with {rules}."
    "<": N_("{what} below {value}"),
    # Translators: a challenge condition; {what}: e.g. "test accuracy"; {value}: e.g. "88%"
    ">": N_("{what} above {value}"),
    # Translators: a challenge condition; {what}: e.g. "epochs"; {value}: e.g. "10"
    "=": N_("{what} exactly {value}"),
}
_TERM = re.compile(r"\s*([a-z_]+)\s*(<=|>=|<|>|=)\s*([0-9.]+)\s*")
METRICS = {"acc": N_("test accuracy"), "gap": N_("the gap between training and validation accuracy"),
           "loss": N_("test loss")}


@dataclass(frozen=True)
class Term:
    """One condition: a metric or a setting, compared with a number."""

    name: str  # "acc", "gap", "loss" or a setting's URL name
    op: str
    value: float

    def words(self) -> str:
        """'test accuracy at least 88%', 'units at most 32'."""
        value = _shortest(100 * self.value if self.name in ("acc", "gap") else self.value)
        if self.name == "acc":
            # Translators: a percentage in a challenge condition; {value}: e.g. "88.5" -> "88.5%"
            value = _("{value}%").format(value=value)
        elif self.name == "gap":
            # Translators: percentage points in a challenge condition; {value}: e.g. "2" -> "2 points"; it follows
            # "below" etc.: "the gap between training and validation accuracy below 2 points"
            value = _("{value} points").format(value=value)
        if self.name in METRICS:
            return _(_WORDS[self.op]).format(what=_(METRICS[self.name]), value=value)
        what = in_sentence(URL_FIELDS[self.name].label)
        if URL_FIELDS[self.name].type is bool:
            # Translators: a challenge rule on an on/off setting; {what}: its label, e.g. "Normalise pixels to 0-1"
            return (_("{what} on") if self.value else
                    # Translators: as above, e.g. "Normalise pixels to 0-1 off"
                    _("{what} off")).format(what=what)
        return _(_WORDS[self.op]).format(what=what, value=value)

    def measure(self, result: RunResult) -> float | None:
        """The run's number for this term (None when it has none, e.g. no validation for the gap)."""
        if self.name == "acc":
            return result.test_accuracy
        if self.name == "loss":
            return result.test_loss
        if self.name == "gap":
            report = result.fit_report()
            return None if report is None else report.gap
        return float(getattr(result.config, URL_FIELDS[self.name].name))

    def met(self, result: RunResult) -> bool:
        value = self.measure(result)
        return value is not None and _OPS[self.op](value, self.value)


@dataclass(frozen=True)
class Challenge:
    """A goal for a run: every term must hold."""

    name: str
    idea_text: str  # the lesson idea it practises (English; ``idea`` is it in the reader's language)
    terms: tuple[Term, ...]

    @property
    def idea(self) -> str:
        """The lesson idea, in the reader's language."""
        return _(self.idea_text)

    @property
    def goal(self) -> str:
        """'Reach test accuracy at least 86% with hidden units per layer at most 32.'"""
        joined = _(" and ")
        goals = joined.join(t.words() for t in self.terms if t.name in METRICS)
        rules = joined.join(t.words() for t in self.terms if t.name not in METRICS)
        if rules:
            # Translators: a challenge; {goals}: conditions on metrics, e.g. "test accuracy at least 86%"; {rules}:
            # conditions on settings, e.g. "hidden units per layer at most 32 and epochs at most 5"
            return _("Reach {goals} with {rules}.").format(goals=goals, rules=rules)
        # Translators: a challenge; {goals}: conditions on metrics, e.g. "test accuracy at least 88%"
        return _("Reach {goals}.").format(goals=goals)

    def checks(self, result: RunResult) -> str:
        """Each term and whether ``result`` meets it, as one line: 'test accuracy at least 86%: ✓ yes; …'."""
        # Translators: one condition of a challenge the run meets; {term}: e.g. "test accuracy at least 86%"
        return joined((_("{term}: ✓ yes") if ok else
                          # Translators: one condition the run does not meet yet; {term}: e.g. "epochs at most 3"
                          _("{term}: ✗ not yet")).format(term=term.words()) for term, ok in self.check(result))

    def check(self, result: RunResult) -> list[tuple[Term, bool]]:
        """Each term and whether the run meets it."""
        return [(t, t.met(result)) for t in self.terms]

    def met(self, result: RunResult) -> bool:
        return all(ok for _, ok in self.check(result))


def _shortest(value: float) -> str:
    """86 -> '86', 88.5 -> '88.5' (the language's decimal sign)."""
    return number(value) if float(value).is_integer() else number(value, len(f"{value:g}".partition(".")[2]))


def parse_challenge(text: str) -> Challenge:
    """A ready challenge by name, or terms like ``acc>=0.88;units<=32``; raises ConfigError."""
    text = text.strip()
    if text in READY:
        return READY[text]
    terms = []
    for part in filter(str.strip, re.split(r"[;,]", text)):
        match = _TERM.fullmatch(part.lower())
        if match is None or (match[1] not in METRICS and match[1] not in URL_FIELDS):
            # Translators: {text}: the link's term, e.g. "accuracy>0.9"; {names}: "small, quick, steady, raw, deep"
            raise ConfigError(_("'{text}' is not a goal (write e.g. acc>=0.88 or units<=32, or one of {names})")
                              .format(text=part.strip()[:30], names=", ".join(READY)))
        terms.append(Term(match[1], match[2], float(match[3])))
    if not any(t.name in METRICS for t in terms):
        raise ConfigError(_("a challenge needs a goal on acc, gap or loss"))
    return Challenge("custom", N_("a teacher's goal"), tuple(terms))


def _ready(name: str, idea: str, text: str) -> Challenge:
    terms = tuple(Term(m[1], m[2], float(m[3])) for m in map(_TERM.fullmatch, text.split(";")))
    return Challenge(name, idea, terms)


READY: dict[str, Challenge] = {c.name: c for c in (
    _ready("small", N_("hidden units: how few are enough?"), "acc>=0.86;units<=32"),
    _ready("quick", N_("epochs: how fast can it learn?"), "acc>=0.87;epochs<=3"),
    _ready("steady", N_("dropout against memorising"), "gap<0.02;epochs>=30"),
    _ready("raw", N_("normalisation: can raw pixels keep up?"), "acc>=0.84;normalize=0"),
    _ready("deep", N_("layers: does depth pay?"), "acc>=0.885;extra>=2"),
)}


@dataclass(frozen=True)
class LinkControls:
    """What a teacher's link hides, locks, and asks for."""

    hidden: frozenset[str]  # RunConfig field names
    locked: frozenset[str]
    challenge: Challenge | None

    @property
    def fixed(self) -> bool:
        """True when the link fixed some settings."""
        return bool(self.hidden or self.locked)


def link_controls(params: Mapping[str, str]) -> tuple[LinkControls, list[str]]:
    """Read ``hide``, ``lock`` and ``challenge`` from URL query parameters; bad values fall back with messages."""
    problems: list[str] = []
    sets = {}
    for name in ("hide", "lock"):
        wanted = [w.strip() for w in str(params.get(name, "")).split(",") if w.strip()]
        bad = [w for w in wanted if w not in URL_FIELDS]
        if bad:
            # Translators: {name}: "hide" or "lock"; {value}: the link's text, e.g. "colour"; {settings}: the
            # settings' link names, e.g. "epochs, units, extra, …"
            problems.append(_("The link's {name}={value} names no setting (settings: {settings}); ignored.")
                            .format(name=name, value=",".join(bad)[:60], settings=", ".join(URL_FIELDS)))
        sets[name] = frozenset(URL_FIELDS[w].name for w in wanted if w in URL_FIELDS)
    challenge = None
    if params.get("challenge"):
        try:
            challenge = parse_challenge(str(params["challenge"]))
        except ConfigError as exc:
            # Translators: {reason}: why, e.g. "a challenge needs a goal on acc, gap or loss"
            problems.append(_("The link's challenge is not usable ({reason}); no challenge set.").format(reason=exc))
    return LinkControls(sets["hide"], sets["lock"] - sets["hide"], challenge), problems

