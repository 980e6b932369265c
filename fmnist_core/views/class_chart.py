"""The class board's chart: every learner's runs, parameters against test accuracy."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from ..i18n import _
from .style import GREY, PALETTE, localised


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
                      yaxis={"tickformat": ".0%", "title": _("test accuracy"), "range": [low, 1.0]},
                      height=max(460, 160 + 18 * len(by_name)),  # the legend has a line per learner: 30 fit
                      margin={"t": 40}, showlegend=True, legend={"title": _("learner")})
    return localised(fig)
