"""What every chart shares: colours, the names of curves' metrics and splits, the reader's number signs."""

from __future__ import annotations

import plotly.graph_objects as go

from ..i18n import N_, _, separators

BLUE, RED, GREY = "#1a56db", "#d62728", "#777777"  # true class / wrong prediction / other classes
PALETTE = ("#1a56db", "#e8590c", "#2b8a3e", "#ae3ec9", "#c92a2a", "#0b7285", "#5c940d", "#862e9c")
BINARY = [[0.0, "white"], [1.0, "black"]]  # matplotlib's "binary": 0 white, 255 black
WEIGHT_COLORS = [[0.0, RED], [0.5, "#f7f7f7"], [1.0, BLUE]]  # weights: negative red, 0 white, positive blue
METRIC_TITLES = {"loss": N_("Loss (cross-entropy)"), "accuracy": N_("Accuracy")}
SPLITS = {"validation": N_("validation"), "training": N_("training")}  # the order pages offer them in
METRICS = {"accuracy": N_("accuracy"), "loss": N_("loss")}


def epoch_hover() -> str:
    """The hover line of a curve's point: 'epoch 3: 0.8812' (Plotly fills in the epoch and the value)."""
    # Translators: a chart's hover text; {epoch}: the epoch, e.g. 3; {value}: the curve's value, e.g. 0.8812
    return _("epoch {epoch}: {value}").format(epoch="%{x}", value="%{y:.4f}")


def localised(fig: go.Figure) -> go.Figure:
    """``fig`` with the reader's decimal and thousands signs in its axes, labels and hover texts."""
    return fig.update_layout(separators=separators())
