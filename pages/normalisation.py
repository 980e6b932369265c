"""Experiment: normalise the pixels or not."""

from pages.ui.experiment_view import render

render("normalisation", "Both runs are identical except for the input: pixels divided by 255 (0 to 1) or the raw "
                        "values (0 to 255). Compare their loss curves.")
