"""Challenges and teacher links (fmnist_core/lessons/challenges.py): each ready challenge's goal in words, its checks
and whether a run meets it, on runs that meet it and on runs that miss it by one term; goals written in a link;
``hide``/``lock`` in a link."""

from __future__ import annotations

import pytest

from fmnist_core.config import ConfigError, RunConfig
from fmnist_core.lessons.challenges import READY, Challenge, Term, link_controls, parse_challenge
from fmnist_core.runs.results import RunResult
from tests.render_sentences import fake_run

pytestmark = pytest.mark.usefixtures("english")


def run(config: RunConfig = RunConfig(), *, acc: float = 0.88, loss: float = 0.33, gap: float | None = 0.01
        ) -> RunResult:
    """A run of ``config`` with this test accuracy and loss, and a final training-validation gap (None: no
    validation curves)."""
    history = {"loss": [0.5, 0.4], "accuracy": [0.85, 0.90]}
    if gap is not None:
        history |= {"val_loss": [0.45, 0.42], "val_accuracy": [0.84, round(0.90 - gap, 6)]}
    return fake_run(config, history=history, test_accuracy=acc, test_loss=loss)


# name: (goal in English, a run that meets it, runs that miss it by one term: {which term: run})
CASES = {
    "small": ("Reach test accuracy at least 86% with hidden units per layer at most 32.",
              run(RunConfig(hidden_units=32), acc=0.86),
              {"acc": run(RunConfig(hidden_units=32), acc=0.859), "units": run(RunConfig(hidden_units=64), acc=0.87)}),
    "quick": ("Reach test accuracy at least 87% with epochs at most 3.",
              run(RunConfig(epochs=3), acc=0.871),
              {"acc": run(RunConfig(epochs=3), acc=0.869), "epochs": run(RunConfig(epochs=4), acc=0.88)}),
    "steady": ("Reach the gap between training and validation accuracy below 2 points with epochs at least 30.",
               run(RunConfig(epochs=30, dropout=0.2), gap=0.015),
               {"gap": run(RunConfig(epochs=30), gap=0.02), "epochs": run(RunConfig(epochs=29), gap=0.0)}),
    "raw": ("Reach test accuracy at least 84% with normalise pixels to 0-1 off.",
            run(RunConfig(normalize=False), acc=0.84),
            {"acc": run(RunConfig(normalize=False), acc=0.83), "normalize": run(RunConfig(normalize=True), acc=0.9)}),
    "deep": ("Reach test accuracy at least 88.5% with extra hidden layers at least 2.",
             run(RunConfig(extra_layers=2), acc=0.885),
             {"acc": run(RunConfig(extra_layers=3), acc=0.884), "extra": run(RunConfig(extra_layers=1), acc=0.9)}),
}


def test_every_ready_challenge_is_tested():
    assert set(CASES) == set(READY)


@pytest.mark.parametrize("name", CASES)
def test_ready_challenge_says_its_goal_and_practises_a_lesson_idea(name):
    challenge = READY[name]
    assert challenge.goal == CASES[name][0]
    assert challenge.idea and challenge.idea == challenge.idea_text  # English
    assert parse_challenge(f" {name} ") is challenge
    assert any(t.name in ("acc", "gap", "loss") for t in challenge.terms)


@pytest.mark.parametrize("name", CASES)
def test_a_run_that_meets_the_ready_challenge_gets_a_yes_for_every_term(name):
    challenge, good = READY[name], CASES[name][1]
    assert challenge.met(good)
    assert [ok for _term, ok in challenge.check(good)] == [True] * len(challenge.terms)
    assert "not yet" not in challenge.checks(good)
    assert challenge.checks(good).count("✓ yes") == len(challenge.terms)


@pytest.mark.parametrize("name,missed", [(name, missed) for name, case in CASES.items() for missed in case[2]])
def test_a_run_that_misses_one_term_misses_the_challenge_and_is_told_which(name, missed):
    challenge, bad = READY[name], CASES[name][2][missed]
    assert not challenge.met(bad)
    assert [t.name for t, ok in challenge.check(bad) if not ok] == [missed]
    wrong = next(t for t in challenge.terms if t.name == missed)
    assert f"{wrong.words()}: ✗ not yet" in challenge.checks(bad)
    assert challenge.checks(bad).count("✓ yes") == len(challenge.terms) - 1


def test_gap_is_not_met_without_validation_curves():
    term = Term("gap", "<", 0.02)
    assert term.measure(run(gap=None)) is None
    assert not term.met(run(gap=None))
    assert not READY["steady"].met(run(RunConfig(epochs=30, validation_split=0.0), gap=None))


def test_metrics_are_measured_from_the_run():
    result = run(RunConfig(hidden_units=64), acc=0.875, loss=0.36, gap=0.03)
    assert Term("acc", ">=", 0).measure(result) == 0.875
    assert Term("loss", "<", 1).measure(result) == 0.36
    assert Term("gap", "<", 1).measure(result) == pytest.approx(0.03)
    assert Term("units", "<=", 32).measure(result) == 64.0


@pytest.mark.parametrize("op,value,met", [("<", 0.88, False), ("<=", 0.88, True), (">", 0.88, False),
                                          (">=", 0.88, True), ("=", 0.88, True), ("=", 0.8, False)])
def test_each_comparison(op, value, met):
    assert Term("acc", op, value).met(run(acc=0.88)) is met


def test_a_teachers_goal_in_the_link():
    challenge = parse_challenge("acc>=0.885; Units <= 64 ,loss<0.3")
    assert isinstance(challenge, Challenge) and challenge.name == "custom"
    assert challenge.terms == (Term("acc", ">=", 0.885), Term("units", "<=", 64.0), Term("loss", "<", 0.3))
    assert challenge.goal == ("Reach test accuracy at least 88.5% and test loss below 0.3 with hidden units per layer "
                              "at most 64.")
    assert challenge.met(run(RunConfig(hidden_units=64), acc=0.89, loss=0.29))
    assert not challenge.met(run(RunConfig(hidden_units=64), acc=0.89, loss=0.3))


def test_words_of_each_comparison_and_of_an_on_off_setting():
    assert Term("acc", ">", 0.9).words() == "test accuracy above 90%"
    assert Term("epochs", "=", 10).words() == "epochs exactly 10"
    assert Term("gap", "<", 0.025).words() == "the gap between training and validation accuracy below 2.5 points"
    assert Term("normalize", "=", 1).words().endswith(" on")
    assert Term("normalize", "=", 0).words().endswith(" off")


@pytest.mark.parametrize("text,says", [
    ("units<=32", "a challenge needs a goal on acc, gap or loss"),
    ("accuracy>0.9", "'accuracy>0.9' is not a goal"),
    ("acc=>0.9", "is not a goal"),
    ("colour=1;acc>0.5", "'colour=1' is not a goal"),
    ("tiny", "one of small, quick, steady, raw, deep"),
])
def test_a_goal_that_is_not_one_is_a_config_error(text, says):
    with pytest.raises(ConfigError, match=says):
        parse_challenge(text)


def test_link_controls_hide_lock_and_challenge():
    controls, problems = link_controls({"hide": "dropout, batch", "lock": "epochs,dropout", "challenge": "small"})
    assert problems == []
    assert controls.hidden == {"dropout", "batch_size"}
    assert controls.locked == {"epochs"}  # a hidden setting is not also locked
    assert controls.challenge is READY["small"]
    assert controls.fixed


def test_link_controls_fall_back_with_a_sentence_each():
    controls, problems = link_controls({"hide": "colour", "lock": "", "challenge": "units<=3"})
    assert (controls.hidden, controls.locked, controls.challenge, controls.fixed) == (frozenset(), frozenset(), None,
                                                                                      False)
    assert len(problems) == 2
    assert problems[0].startswith("The link's hide=colour names no setting")
    assert problems[1] == ("The link's challenge is not usable (a challenge needs a goal on acc, gap or loss); no "
                           "challenge set.")
    assert link_controls({}) == (link_controls({"hide": "", "lock": " , "})[0], [])
