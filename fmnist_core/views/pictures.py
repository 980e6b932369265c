"""The data and the concepts in pictures: image grids, class counts, histograms, a flattened vector, ReLU, bars."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..data.sources import class_names
from ..i18n import _, number
from .style import BINARY, BLUE, GREY, PALETTE, RED, localised


def image_grid(images: np.ndarray, titles: Sequence[str], columns: int = 5, zmax: float = 255,
               colorscale: object = None, zmid: float | None = None, height_per_row: int = 150) -> go.Figure:
    """Several images as heatmaps in a grid, each with a title (pixel values on hover)."""
    n = len(images)
    rows = max(1, math.ceil(n / columns))
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=list(titles) + [""] * (rows * columns - n),
                        horizontal_spacing=0.02, vertical_spacing=0.25 / rows)
    for i in range(n):
        row, col = i // columns + 1, i % columns + 1
        fig.add_trace(go.Heatmap(
            z=images[i], colorscale=colorscale or BINARY, showscale=False,
            zmin=None if zmid is not None else 0, zmax=None if zmid is not None else zmax, zmid=zmid,
            hovertemplate=f"{titles[i]}<br>{_('pixel')} (%{{y}}, %{{x}}) = %{{z:.3g}}<extra></extra>",
        ), row=row, col=col)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{'' if i == 0 else i + 1}", row=row, col=col)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    fig.update_annotations(font_size=12)
    fig.update_layout(height=height_per_row * rows + 40, margin={"t": 30, "b": 5, "l": 5, "r": 5})
    return localised(fig)


def class_count_figure(train_counts: np.ndarray, test_counts: np.ndarray) -> go.Figure:
    """Images per class in the training and test splits, side by side."""
    fig = go.Figure([
        go.Bar(x=class_names(), y=train_counts.tolist(), name=_("training"), marker_color=BLUE,
               hovertemplate=_("training") + " · %{x}: %{y:,}<extra></extra>"),
        go.Bar(x=class_names(), y=test_counts.tolist(), name=_("test"), marker_color=PALETTE[1],
               hovertemplate=_("test") + " · %{x}: %{y:,}<extra></extra>"),
    ])
    fig.update_layout(barmode="group", height=320, yaxis_title=_("images"), margin={"t": 20})
    return localised(fig)


def histogram_figure(counts: np.ndarray, edges: np.ndarray, title: str, color: str = BLUE) -> go.Figure:
    """Bars of a histogram (log scale: the many black pixels would hide the rest)."""
    centers = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure(go.Bar(x=centers, y=counts, width=np.diff(edges), marker_color=color,
                           hovertemplate="%{x:.3g}: %{y:,}<extra></extra>"))
    fig.update_layout(title=title, yaxis_type="log", yaxis_title=_("pixels (log scale)"), xaxis_title=_("pixel value"),
                      height=300, margin={"t": 50})
    return localised(fig)


def vector_strip(vector: np.ndarray, title: str, highlight: tuple[int, int] | None = None) -> go.Figure:
    """A long vector as one row of coloured cells (e.g. the 784 inputs after flattening), a span marked."""
    fig = go.Figure(go.Heatmap(z=[vector], colorscale=BINARY, showscale=False,
                               hovertemplate=_("position") + " %{x}: %{z:.3g}<extra></extra>"))
    if highlight is not None:
        fig.add_vrect(x0=highlight[0] - 0.5, x1=highlight[1] + 0.5, line_color=RED, line_width=2,
                      fillcolor=RED, opacity=0.15)
    fig.update_yaxes(showticklabels=False)
    fig.update_layout(title=title, height=130, xaxis_title=_("position in the vector"), margin={"t": 40, "b": 40})
    return localised(fig)


def bars(labels: Sequence[str], values: Sequence[float], title: str, color: str = BLUE,
         y_range: tuple[float, float] | None = None, text_format: str = ".2f") -> go.Figure:
    """A simple labelled bar chart with values on the bars."""
    fig = go.Figure(go.Bar(x=list(labels), y=list(values), marker_color=color, texttemplate=f"%{{y:{text_format}}}",
                           textposition="outside", hovertemplate=f"%{{x}}: %{{y:{text_format}}}<extra></extra>"))
    fig.update_layout(title=title, height=300, margin={"t": 50}, yaxis={"range": list(y_range)} if y_range else {})
    return localised(fig)


def relu_curve(x: float) -> go.Figure:
    """relu(t) for t in [-5, 5], with the point at ``x`` marked."""
    grid = np.linspace(-5, 5, 201)
    fig = go.Figure(go.Scatter(x=grid, y=np.maximum(grid, 0), mode="lines", name="relu(x)", line={"color": BLUE}))
    fig.add_trace(go.Scatter(x=[x], y=[max(0.0, x)], mode="markers", marker={"size": 14, "color": RED},
                             name=f"relu({number(x, 1)}) = {number(max(0.0, x), 1)}"))
    fig.update_layout(height=280, xaxis_title="x", yaxis_title="relu(x)", margin={"t": 20})
    return localised(fig)


def relu_histograms(before: np.ndarray, after: np.ndarray) -> go.Figure:
    """First-layer outputs before and after ReLU, overlaid."""
    fig = go.Figure()
    fig.add_trace(go.Histogram(x=before, name=_("before ReLU"), marker_color=GREY, opacity=0.7))
    fig.add_trace(go.Histogram(x=after, name=_("after ReLU"), marker_color=BLUE, opacity=0.7))
    fig.update_layout(barmode="overlay", height=280, xaxis_title=_("unit output"), yaxis_title=_("units"),
                      margin={"t": 20})
    return localised(fig)
