"""Curves per epoch: one run's training curves, several runs compared or overlaid, and a sweep's bars."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..i18n import _, number, percent
from ..runs.results import curve_name, curve_of, history_key
from .style import BLUE, GREY, METRIC_TITLES, PALETTE, SPLITS, epoch_hover, localised


def training_curves(history: Mapping[str, Sequence[float]], title: str | None = None,
                    behind: Mapping[str, Sequence[float]] | None = None, marker: int | None = None) -> go.Figure:
    """Loss and accuracy per epoch, training (solid) vs validation (dashed), side by side; ``behind``, another
    run's history (the previous one), draws its validation curves faded underneath; ``marker``, an epoch, a
    vertical line at it (0: before training)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(_(METRIC_TITLES["loss"]), _(METRIC_TITLES["accuracy"])))
    for col, metric in enumerate(("loss", "accuracy"), start=1):
        previous = list((behind or {}).get(history_key("validation", metric), []))
        if previous:
            fig.add_trace(go.Scatter(
                x=list(range(1, len(previous) + 1)), y=previous, mode="lines", name=_("previous run (validation)"),
                line={"color": "#b0b0b0", "width": 4}, opacity=0.6, legendgroup="previous", showlegend=col == 1,
                # Translators: a chart's hover text; {curve}: e.g. "validation accuracy"
                hovertemplate=_("previous run, {curve}").format(curve=curve_name("validation", metric))
                + "<br>" + epoch_hover() + "<extra></extra>",
            ), row=1, col=col)
        for split, dash, color in (("training", "solid", BLUE), ("validation", "dash", PALETTE[1])):
            values = list(history.get(history_key(split, metric), []))
            if not values:
                continue
            fig.add_trace(
                go.Scatter(
                    x=list(range(1, len(values) + 1)), y=values, mode="lines+markers", name=_(SPLITS[split]),
                    line={"dash": dash, "color": color}, legendgroup=split, showlegend=col == 1,
                    hovertemplate=f"{curve_name(split, metric)}<br>{epoch_hover()}<extra></extra>",
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
            hovertemplate=f"{label}<br>{epoch_hover()}<extra></extra>",
        ))
    curve = curve_name(*curve_of(metric))
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
            values = list(history.get(history_key(split, metric), []))
            fig.add_trace(go.Scatter(
                x=list(range(1, len(values) + 1)), y=values, mode="lines+markers",
                name=f"{label} ({_(SPLITS[split])})",
                line={"color": PALETTE[i % len(PALETTE)], "dash": "solid" if split == "validation" else "dot"},
                hovertemplate=f"{label}, {_(SPLITS[split])}<br>{epoch_hover()}<extra></extra>",
            ))
    if marker is not None:
        fig.add_vline(x=marker, line={"color": GREY, "dash": "dot", "width": 2})
    fig.update_layout(xaxis_title=_("epoch"), yaxis_title=_(METRIC_TITLES[metric]), height=420, hovermode="x unified",
                      margin={"t": 30}, legend={"orientation": "h", "y": -0.25})
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
