"""Plotly figures for the app: training curves, prediction bars and grid, confusion matrix.

Pure functions from numbers to ``plotly.graph_objects.Figure``; no Streamlit here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..data.sources import CLASS_NAMES
from ..i18n import N_, _, class_name, number, percent, separators
from ..runs.evaluation import describe_prediction
from ..runs.results import curve_name

BLUE, RED, GREY = "#1a56db", "#d62728", "#777777"  # true class / wrong prediction / other classes
PALETTE = ("#1a56db", "#e8590c", "#2b8a3e", "#ae3ec9", "#c92a2a", "#0b7285", "#5c940d", "#862e9c")
_BINARY = [[0.0, "white"], [1.0, "black"]]  # matplotlib's "binary": 0 white, 255 black
WEIGHT_COLORS = [[0.0, RED], [0.5, "#f7f7f7"], [1.0, BLUE]]  # weights: negative red, 0 white, positive blue
METRIC_TITLES = {"loss": N_("Loss (cross-entropy)"), "accuracy": N_("Accuracy")}
SPLITS = {"validation": N_("validation"), "training": N_("training")}  # the order pages offer them in
METRICS = {"accuracy": N_("accuracy"), "loss": N_("loss")}

def _epoch_hover() -> str:
    """The hover line of a curve's point: 'epoch 3: 0.8812' (Plotly fills in the epoch and the value)."""
    # Translators: a chart's hover text; {epoch}: the epoch, e.g. 3; {value}: the curve's value, e.g. 0.8812
    return _("epoch {epoch}: {value}").format(epoch="%{x}", value="%{y:.4f}")


def localised(fig: go.Figure) -> go.Figure:
    """``fig`` with the reader's decimal and thousands signs in its axes, labels and hover texts."""
    return fig.update_layout(separators=separators())


def _names() -> list[str]:
    """The ten classes in the reader's language (English beside each)."""
    return [class_name(n) for n in CLASS_NAMES]


def training_curves(history: Mapping[str, Sequence[float]], title: str | None = None,
                    behind: Mapping[str, Sequence[float]] | None = None, marker: int | None = None) -> go.Figure:
    """Loss and accuracy per epoch, training (solid) vs validation (dashed), side by side; ``behind``, another
    run's history (the previous one), draws its validation curves faded underneath; ``marker``, an epoch, a
    vertical line at it (0: before training)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(_(METRIC_TITLES["loss"]), _(METRIC_TITLES["accuracy"])))
    for col, metric in enumerate(("loss", "accuracy"), start=1):
        previous = list((behind or {}).get("val_" + metric, []))
        if previous:
            fig.add_trace(go.Scatter(
                x=list(range(1, len(previous) + 1)), y=previous, mode="lines", name=_("previous run (validation)"),
                line={"color": "#b0b0b0", "width": 4}, opacity=0.6, legendgroup="previous", showlegend=col == 1,
                # Translators: a chart's hover text; {curve}: e.g. "validation accuracy"
                hovertemplate=_("previous run, {curve}").format(curve=curve_name("validation", metric))
                + "<br>" + _epoch_hover() + "<extra></extra>",
            ), row=1, col=col)
        for split, prefix, dash, color in (("training", "", "solid", BLUE), ("validation", "val_", "dash", PALETTE[1])):
            values = list(history.get(prefix + metric, []))
            if not values:
                continue
            fig.add_trace(
                go.Scatter(
                    x=list(range(1, len(values) + 1)), y=values, mode="lines+markers", name=_(SPLITS[split]),
                    line={"dash": dash, "color": color}, legendgroup=split, showlegend=col == 1,
                    hovertemplate=f"{curve_name(split, metric)}<br>{_epoch_hover()}<extra></extra>",
                ),
                row=1, col=col,
            )
        fig.update_xaxes(title_text=_("epoch"), row=1, col=col, dtick=_epoch_tick(history))
    if marker is not None:
        fig.add_vline(x=marker, line={"color": GREY, "dash": "dot", "width": 2})
        fig.update_xaxes(range=[-0.3 if marker == 0 else 0.7, len(history.get("loss", [])) + 0.3])
    fig.update_layout(title=title, height=340, margin={"t": 60, "b": 40}, hovermode="x unified",
                      legend={"orientation": "h", "y": -0.25})
    return localised(fig)


def comparison_figure(
    runs: Mapping[str, Mapping[str, Sequence[float]]], metric: str = "val_accuracy", title: str | None = None
) -> go.Figure:
    """One line per run for ``metric`` (e.g. 'val_loss', 'accuracy') per epoch."""
    fig = go.Figure()
    for i, (label, history) in enumerate(runs.items()):
        values = list(history.get(metric, []))
        # earlier runs get bigger markers and wider lines, so runs that share epochs stay visible
        size = max(5, 14 - 3 * i)
        fig.add_trace(go.Scatter(
            x=list(range(1, len(values) + 1)), y=values, mode="lines+markers", name=label,
            line={"color": PALETTE[i % len(PALETTE)], "width": max(1.5, 6 - 1.5 * i)}, marker={"size": size},
            hovertemplate=f"{label}<br>{_epoch_hover()}<extra></extra>",
        ))
    curve = curve_name("validation" if metric.startswith("val_") else "training", metric.removeprefix("val_"))
    # Translators: a chart title; {curve}: e.g. "validation accuracy"
    fig.update_layout(title=title or _("{curve} per epoch").format(curve=curve),
                      xaxis_title=_("epoch"), yaxis_title=curve,
                      height=380, hovermode="x unified", margin={"t": 60})
    return localised(fig)


def overlay_figure(runs: Mapping[str, Mapping[str, Sequence[float]]], metric: str = "accuracy",
                   splits: Sequence[str] = ("validation",), marker: int | None = None) -> go.Figure:
    """Every run's curves of ``metric`` in one chart: one colour per run (in the order given), validation solid,
    training dotted; ``marker``, an epoch, a vertical line at it."""
    fig = go.Figure()
    for i, (label, history) in enumerate(runs.items()):
        for split in splits:
            values = list(history.get(("val_" if split == "validation" else "") + metric, []))
            fig.add_trace(go.Scatter(
                x=list(range(1, len(values) + 1)), y=values, mode="lines+markers",
                name=f"{label} ({_(SPLITS[split])})",
                line={"color": PALETTE[i % len(PALETTE)], "dash": "solid" if split == "validation" else "dot"},
                hovertemplate=f"{label}, {_(SPLITS[split])}<br>{_epoch_hover()}<extra></extra>",
            ))
    if marker is not None:
        fig.add_vline(x=marker, line={"color": GREY, "dash": "dot", "width": 2})
    fig.update_layout(xaxis_title=_("epoch"), yaxis_title=_(METRIC_TITLES[metric]), height=420, hovermode="x unified",
                      margin={"t": 30}, legend={"orientation": "h", "y": -0.25})
    return localised(fig)


def prediction_bars(probabilities: np.ndarray, true: int | None = None, height: int = 260) -> go.Figure:
    """Ten grey bars; the predicted class red, then the true class blue (a right answer shows one blue bar).

    Without a true class (a person's own picture) the network's answer is blue: nothing is known to be wrong.
    """
    colors = _bar_colors(probabilities, true)
    fig = go.Figure(go.Bar(
        x=_names(), y=[float(p) for p in probabilities], marker_color=colors,
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
    names, data, annotations = _names(), [], []
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
        data.append({"type": "heatmap", "z": images[i], "colorscale": _BINARY, "zmin": 0, "zmax": 255,
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
    fig = go.Figure(go.Heatmap(z=image, colorscale=_BINARY, zmin=0, zmax=255, showscale=False,
                               hovertemplate=_("pixel") + " (%{y}, %{x}) = %{z}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False)
    fig.update_xaxes(showticklabels=False)
    fig.update_layout(title=title, height=height, margin={"t": 30 if title else 5, "b": 5, "l": 5, "r": 5})
    return localised(fig)


def confusion_figure(matrix: np.ndarray) -> go.Figure:
    """Counts with class names on both axes: rows true, columns predicted."""
    names = _names()
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


def _epoch_tick(history: Mapping[str, Sequence[float]]) -> int | None:
    epochs = len(history.get("loss", []))
    return 1 if epochs <= 12 else None


def sweep_bars(labels: Sequence[str], accuracies: Sequence[float], seconds: Sequence[float],
               parameters: Sequence[int]) -> go.Figure:
    """Test accuracy per run (bars) with training time and parameter count on hover and as text."""
    fig = go.Figure(go.Bar(
        x=list(labels), y=list(accuracies), marker_color=BLUE,
        text=[f"{percent(a)}<br>{number(s)} s" for a, s in zip(accuracies, seconds, strict=True)],
        textposition="outside",
        customdata=np.column_stack([seconds, parameters]),
        # Translators: the hover text of a run's bar; {accuracy}: e.g. "87.82%"; {seconds}: training time, e.g. 12.3;
        # {parameters}: e.g. "101,770"
        hovertemplate="%{x}<br>" + _("test accuracy {accuracy}<br>{seconds} s of training<br>{parameters} parameters")
        .format(accuracy="%{y:.2%}", seconds="%{customdata[0]:.1f}", parameters="%{customdata[1]:,}")
        + "<extra></extra>",
    ))
    low = max(0.0, min(accuracies) - 0.05) if len(accuracies) else 0.0
    fig.update_layout(yaxis={"range": [low, 1.0], "tickformat": ".0%", "title": _("test accuracy")}, height=320,
                      margin={"t": 20})
    return localised(fig)


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
            z=images[i], colorscale=colorscale or _BINARY, showscale=False,
            zmin=None if zmid is not None else 0, zmax=None if zmid is not None else zmax, zmid=zmid,
            hovertemplate=f"{titles[i]}<br>{_('pixel')} (%{{y}}, %{{x}}) = %{{z:.3g}}<extra></extra>",
        ), row=row, col=col)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{'' if i == 0 else i + 1}", row=row, col=col)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    fig.update_annotations(font_size=12)
    fig.update_layout(height=height_per_row * rows + 40, margin={"t": 30, "b": 5, "l": 5, "r": 5})
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


def class_count_figure(train_counts: np.ndarray, test_counts: np.ndarray) -> go.Figure:
    """Images per class in the training and test splits, side by side."""
    fig = go.Figure([
        go.Bar(x=_names(), y=train_counts.tolist(), name=_("training"), marker_color=BLUE,
               hovertemplate=_("training") + " · %{x}: %{y:,}<extra></extra>"),
        go.Bar(x=_names(), y=test_counts.tolist(), name=_("test"), marker_color=PALETTE[1],
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
    fig = go.Figure(go.Heatmap(z=[vector], colorscale=_BINARY, showscale=False,
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


def class_scatter(points: Sequence[tuple[str, int, float, str]], tutorial_parameters: int) -> go.Figure:
    """A class's runs: parameters (log axis) against test accuracy, one colour per learner, the configuration on
    hover; a dotted line at the tutorial's network. ``points``: (nickname, parameters, test accuracy, label).
    Nicknames are escaped: Plotly reads a little HTML in names and hover texts."""
    import html

    fig = go.Figure()
    by_name: dict[str, list[tuple[int, float, str]]] = {}
    for name, parameters, accuracy, label in points:
        by_name.setdefault(name, []).append((parameters, accuracy, label))
    for i, (name, runs) in enumerate(by_name.items()):
        shown = html.escape(name)
        fig.add_trace(go.Scatter(
            x=[r[0] for r in runs], y=[r[1] for r in runs], mode="markers", name=shown,
            marker={"size": 11, "color": PALETTE[i % len(PALETTE)], "symbol": i // len(PALETTE) % 6,
                    "line": {"width": 1, "color": "white"}},
            customdata=[html.escape(r[2]) for r in runs],
            # Translators: the hover text of one run on the class board; {name}: the learner's nickname; {run}: the
            # run's label, e.g. "32 units x 1 layer, 10 epochs, normalised"; {accuracy}: e.g. "87.8%"; {parameters}:
            # e.g. "25,450"
            hovertemplate=_("{name}<br>{run}<br>test accuracy {accuracy}<br>{parameters} parameters").format(
                name=shown, run="%{customdata}", accuracy="%{y:.1%}", parameters="%{x:,}") + "<extra></extra>",
        ))
    fig.add_vline(x=tutorial_parameters, line={"dash": "dot", "color": GREY})
    # an annotation on a log axis is placed by the logarithm of its value (a shape by the value itself)
    fig.add_annotation(x=math.log10(tutorial_parameters), y=1, yref="y domain", xanchor="right", yanchor="bottom",
                       showarrow=False, font={"color": GREY},
                       # Translators: marks the tutorial's network (128 units, 1 layer) on the class's chart
                       text=_("the tutorial's network"))
    accuracies = [p[2] for p in points]
    low = max(0.0, min(accuracies, default=0.8) - 0.05)
    fig.update_layout(xaxis={"type": "log", "title": _("parameters (log scale)")},
                      yaxis={"tickformat": ".0%", "title": _("test accuracy"), "range": [low, 1.0]}, height=460,
                      margin={"t": 40}, showlegend=True, legend={"title": _("learner")})
    return localised(fig)
