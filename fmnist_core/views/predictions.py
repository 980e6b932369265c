"""What a network answers and how it sees: prediction bars and grid, one image, the confusion matrix and the
first layer's weights."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ..data.sources import class_names
from ..i18n import _, separators
from ..runs.evaluation import describe_prediction
from .style import BINARY, BLUE, GREY, RED, WEIGHT_COLORS, localised


def prediction_bars(probabilities: np.ndarray, true: int | None = None, height: int = 260) -> go.Figure:
    """Ten grey bars; the predicted class red, then the true class blue (a right answer shows one blue bar).

    Without a true class (a person's own picture) the network's answer is blue: nothing is known to be wrong.
    """
    colors = _bar_colors(probabilities, true)
    fig = go.Figure(go.Bar(
        x=class_names(), y=[float(p) for p in probabilities], marker_color=colors,
        hovertemplate="%{x}: %{y:.1%}<extra></extra>",
    ))
    fig.update_layout(yaxis={"range": [0, 1], "tickformat": ".0%", "title": _("probability")}, height=height,
                      margin={"t": 20, "b": 20, "l": 40, "r": 10})
    return localised(fig)


def _bar_colors(probabilities: np.ndarray, true: int | None) -> list[str]:
    colors = [GREY] * len(probabilities)
    colors[int(np.argmax(probabilities))] = RED if true is not None else BLUE
    if true is not None:
        colors[int(true)] = BLUE
    return colors


def prediction_grid(
    images: np.ndarray, probabilities: np.ndarray, labels: np.ndarray, indices: Sequence[int] | None = None,
    pairs_per_row: int = 3,
) -> go.Figure:
    """The tutorial's grid: each test image with 'Predicted 97% (True)' (blue right, red wrong) beside its bars.

    Written as one figure dict (axes placed by hand) rather than with ``make_subplots``, which costs about ten
    times more to build: this figure is redrawn on every move of the grid's controls."""
    n, cols = len(images), 2 * pairs_per_row
    rows = max(1, math.ceil(n / pairs_per_row))
    x_domains = _domains([1, 1.3] * pairs_per_row, 0.02)
    y_domains = _domains([1] * rows, 0.12 / max(1, rows / 3))[::-1]  # the first row on top
    names, data, annotations = class_names(), [], []
    layout: dict = {"height": max(220, 190 * rows), "showlegend": False, "separators": separators(),
                    "margin": {"t": 30, "b": 10, "l": 10, "r": 10}}
    for i in range(n):
        row, col = divmod(i, pairs_per_row)
        image_axis, bar_axis = row * cols + 2 * col + 1, row * cols + 2 * col + 2
        pred = describe_prediction(probabilities[i], int(labels[i]))
        # Translators: {n}: a test image's index, e.g. 4211
        name = (_("test image #{n}").format(n=indices[i]) if indices is not None
                # Translators: {n}: the image's place in the grid, e.g. 3
                else _("image {n}").format(n=i + 1))
        data.append({"type": "heatmap", "z": images[i], "colorscale": BINARY, "zmin": 0, "zmax": 255,
                     "showscale": False, **_axes(image_axis),
                     "hovertemplate": name + "<br>" + _("pixel") + " (%{y}, %{x}) = %{z}<extra></extra>"})
        data.append({"type": "bar", "x": names, "y": [float(p) for p in probabilities[i]], **_axes(bar_axis),
                     "marker": {"color": _bar_colors(probabilities[i], int(labels[i]))},
                     "hovertemplate": "%{x}: %{y:.1%}<extra></extra>"})
        for axis, domain, extra in ((image_axis, x_domains[2 * col], {"autorange": "reversed"}),
                                    (bar_axis, x_domains[2 * col + 1], {"range": [0, 1]})):
            suffix = "" if axis == 1 else str(axis)
            layout[f"xaxis{suffix}"] = {"domain": domain, "anchor": f"y{suffix}", "showticklabels": False}
            layout[f"yaxis{suffix}"] = {"domain": y_domains[row], "anchor": f"x{suffix}", "showticklabels": False,
                                        **extra, **({"scaleanchor": f"x{suffix}"} if "autorange" in extra else {})}
        color = BLUE if pred.correct else RED
        annotations.append({"text": f"<span style='color:{color}'>{pred.mark} {pred.label}</span>",  # not colour alone
                            "x": sum(x_domains[2 * col]) / 2, "y": y_domains[row][1], "xref": "paper",
                            "yref": "paper", "xanchor": "center", "yanchor": "bottom", "showarrow": False,
                            "font": {"size": 12}})
    layout["annotations"] = annotations
    return go.Figure(data=data, layout=layout, _validate=False)  # built right above; checking it costs ~40 ms


def _domains(weights: Sequence[float], gap: float) -> list[list[float]]:
    """[start, end] of each cell along one side of the paper, sized by ``weights``, ``gap`` between cells."""
    room = 1 - gap * (len(weights) - 1)
    out, start = [], 0.0
    for weight in weights:
        end = start + room * weight / sum(weights)
        out.append([start, min(1.0, end)])
        start = end + gap
    return out


def _axes(index: int) -> dict[str, str]:
    suffix = "" if index == 1 else str(index)
    return {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}


def image_figure(image: np.ndarray, title: str | None = None, height: int = 260) -> go.Figure:
    """A 28x28 (or any) uint8 image as the tutorial draws it (binary colormap), pixel values on hover."""
    fig = go.Figure(go.Heatmap(z=image, colorscale=BINARY, zmin=0, zmax=255, showscale=False,
                               hovertemplate=_("pixel") + " (%{y}, %{x}) = %{z}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False)
    fig.update_xaxes(showticklabels=False)
    fig.update_layout(title=title, height=height, margin={"t": 30 if title else 5, "b": 5, "l": 5, "r": 5})
    return localised(fig)


def confusion_figure(matrix: np.ndarray) -> go.Figure:
    """Counts with class names on both axes: rows true, columns predicted."""
    names = class_names()
    fig = go.Figure(go.Heatmap(
        z=matrix, x=names, y=names, colorscale="Blues", texttemplate="%{z}", showscale=False, hoverinfo="skip",
    ))
    # heatmaps cannot be selected: an invisible square marker on every cell takes the clicks (and the hover)
    cells = [(t, p) for t in range(len(names)) for p in range(len(names))]
    fig.add_trace(go.Scatter(
        x=[names[p] for _, p in cells], y=[names[t] for t, _ in cells], mode="markers", showlegend=False,
        marker={"symbol": "square", "size": 36, "opacity": 0}, customdata=[int(matrix[t, p]) for t, p in cells],
        # Translators: the hover text of a confusion-matrix cell; {true}, {predicted}: class names, e.g. "Shirt",
        # "T-shirt/top"; {n}: a count of test images, e.g. 123
        hovertemplate=_("true class: {true}<br>predicted class: {predicted}<br>test images: {n}").format(
            true="%{y}", predicted="%{x}", n="%{customdata}") + "<extra></extra>",
        selected={"marker": {"opacity": 0}}, unselected={"marker": {"opacity": 0}},
    ))
    fig.update_layout(xaxis_title=_("predicted class"), yaxis_title=_("true class"), height=480,
                      yaxis={"autorange": "reversed"}, margin={"t": 20}, clickmode="event+select")
    return localised(fig)


def weight_mosaic(images: np.ndarray, titles: Sequence[str], scale: float, columns: int = 8) -> go.Figure:
    """Several units' first-layer weights (``images``, (n, 28, 28)) as 28x28 tiles of one heatmap, each with its
    title, blue positive, red negative, on the colour scale ±``scale`` (the same in every frame of a timeline).
    One trace, not a grid of subplots: the epoch timeline redraws it on every frame."""
    n, step_x, step_y = len(images), 30, 36  # 2 empty columns between tiles, 8 rows for a unit's number above
    rows = max(1, math.ceil(n / columns))
    z = np.full((rows * step_y, min(n, columns) * step_x - 2), np.nan, np.float32)
    annotations = []
    for i, (image, title) in enumerate(zip(images, titles, strict=True)):
        row, col = divmod(i, columns)
        z[row * step_y + 8: row * step_y + 36, col * step_x: col * step_x + 28] = image
        annotations.append({"text": title, "x": col * step_x + 13.5, "y": row * step_y + 7,
                            "xref": "x", "yref": "y", "yanchor": "bottom", "showarrow": False, "font": {"size": 11}})
    data = [{"type": "heatmap", "z": z, "colorscale": WEIGHT_COLORS, "zmin": -scale, "zmax": scale,
             "hoverongaps": False, "colorbar": {"thickness": 12, "len": 0.9},
             "hovertemplate": _("weight") + " %{z:.3f}<extra></extra>"}]
    layout = {"height": 30 + 110 * rows, "margin": {"t": 10, "b": 5, "l": 5, "r": 5}, "separators": separators(),
              "xaxis": {"showticklabels": False, "showgrid": False, "zeroline": False},
              "yaxis": {"showticklabels": False, "showgrid": False, "zeroline": False, "autorange": "reversed",
                        "scaleanchor": "x"}, "annotations": annotations}
    return go.Figure(data=data, layout=layout, _validate=False)  # built right above, as prediction_grid
