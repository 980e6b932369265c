"""Experiment: more hidden units."""

from pages.ui.experiment_view import render

render("units", "Each run gives the hidden layer a different number of units. More units mean more parameters "
                "and more time; see how much accuracy each step buys.")
