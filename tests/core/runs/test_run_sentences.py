"""The sentences fmnist_core words from a run's numbers for the pages: where a run came from, how its curves ended,
and its hardest class (pages show them as they are; tests/rendered has them in every language)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from fmnist_core.config import RunConfig
from fmnist_core.runs import class_reports, hardest_class
from fmnist_core.runs.results import FitReport, Origin, RunResult

pytestmark = pytest.mark.usefixtures("english")  # tests/conftest.py


def run(**changes) -> RunResult:
    history = {"loss": [0.6, 0.4], "accuracy": [0.80, 0.90], "val_loss": [0.5, 0.45], "val_accuracy": [0.82, 0.86]}
    return replace(RunResult(RunConfig(epochs=2), history, 0.45, 0.85, 4.62, "2026-11-25T07:52:00", "synthetic",
                             np.zeros((0, 10))), **changes)


def test_where_a_run_came_from():
    assert run().provenance(from_cache=False) == "Trained just now in 4.6 s."
    assert run().provenance(from_cache=True).startswith("From the cache: trained ")
    assert run().provenance(from_cache=True).endswith(" UTC in 4.6 s.")
    taken = run(origin=Origin("taken", 30))
    assert taken.provenance(from_cache=False).startswith(f"Ready at once: {taken.origin_text()} (")
    continued = run(origin=Origin("continued", 1))
    assert continued.provenance(from_cache=False) == f"Trained just now, {continued.origin_text()}: 4.6 s of " \
        "training in all."
    assert continued.provenance(from_cache=True).startswith("From the cache")  # stored before: its origin is old news


def test_the_fit_report_says_which_side_the_gap_is_on():
    assert run().fit_report().sentence() == "Validation loss was lowest after epoch 2 of 2. Final training accuracy " \
        "is 4.0 points above validation accuracy — the network is starting to memorise its training images."
    assert FitReport(5, 5, 0.014).sentence().endswith("is 1.4 points above validation accuracy.")
    assert FitReport(3, 5, -0.012).sentence() == "Validation loss was lowest after epoch 3 of 5. Final training " \
        "accuracy is 1.2 points below validation accuracy."


def test_the_hardest_class_is_the_least_accurate_one():
    matrix = np.diag(np.full(10, 90))
    assert hardest_class(class_reports(matrix)) == "The hardest class is T-shirt/top (100.0% right)."
    matrix[6, 6], matrix[6, 0] = 60, 30
    assert hardest_class(class_reports(matrix)) == "The hardest class is Shirt (66.7% right), most often taken " \
        "for T-shirt/top (30)."


@pytest.mark.parametrize("split,metric,key", [("training", "loss", "loss"), ("validation", "loss", "val_loss"),
                                              ("validation", "accuracy", "val_accuracy")])
def test_a_curve_and_its_history_key_go_both_ways(split, metric, key):
    from fmnist_core.runs.results import HISTORY_KEYS, curve_of, history_key

    assert history_key(split, metric) == key and curve_of(key) == (split, metric) and key in HISTORY_KEYS


def test_the_prediction_grid_offers_the_selections_select_examples_knows():
    from fmnist_core.runs import SELECTIONS, select_examples

    labels, probabilities = np.arange(10), np.eye(10)[::-1]
    for mode in SELECTIONS:
        select_examples(labels, probabilities, 3, mode, class_index=0)
    with pytest.raises(ValueError, match="random"):
        select_examples(labels, probabilities, 3, "all")
