"""Experiment: more epochs."""

from pages.ui.experiment_view import render

render("epochs", "Each run trains the same network for a different number of epochs (passes over the training "
                 "images). Watch training and validation accuracy part ways.")
