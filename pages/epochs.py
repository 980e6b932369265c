"""Experiment page: epochs (its question, runs and findings are in fmnist_core.lessons.experiments)."""

import pages.ui.preload  # noqa: F401 - first: a fresh server runs a linked page's file alone (preload.py)

# isort: split

from pages.ui.experiment_view import render
from pages.ui.navigation import in_app


def main() -> None:
    render("epochs")


in_app(main)
