"""Experiment page: normalisation (its question, runs and findings are in fmnist_core.runs.experiments)."""

from pages.ui.experiment_view import render

render("normalisation")
