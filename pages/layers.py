"""Experiment: more hidden layers."""

from pages.ui.experiment_view import render

render("layers", "Each run stacks a different number of extra hidden Dense(relu) layers of the same width "
                 "after the first one.")
