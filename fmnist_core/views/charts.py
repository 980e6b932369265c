"""Plotly figures for the app, one import for the pages: ``from fmnist_core.views import charts``.

Pure functions from numbers to ``plotly.graph_objects.Figure``; no Streamlit here. Each lives in the module of
its job: ``style`` (colours, names of metrics and splits), ``curves`` (per-epoch curves, sweeps), ``predictions``
(answers, images, confusion matrix, weights), ``pictures`` (the data and the concepts), ``class_chart`` (the class
board).
"""

from __future__ import annotations

from ..runs.results import curve_name
from .class_chart import class_scatter
from .curves import comparison_figure, overlay_figure, sweep_bars, training_curves
from .pictures import (
    bars,
    class_count_figure,
    histogram_figure,
    image_grid,
    relu_curve,
    relu_histograms,
    vector_strip,
)
from .predictions import confusion_figure, image_figure, prediction_bars, prediction_grid, weight_mosaic
from .style import BINARY, BLUE, GREY, METRIC_TITLES, METRICS, PALETTE, RED, SPLITS, WEIGHT_COLORS, localised

__all__ = ["BINARY", "BLUE", "GREY", "METRICS", "METRIC_TITLES", "PALETTE", "RED", "SPLITS", "WEIGHT_COLORS", "bars",
           "class_count_figure", "class_scatter", "comparison_figure", "confusion_figure", "curve_name",
           "histogram_figure", "image_figure", "image_grid", "localised", "overlay_figure", "prediction_bars",
           "prediction_grid", "relu_curve", "relu_histograms", "sweep_bars", "training_curves", "vector_strip",
           "weight_mosaic"]
