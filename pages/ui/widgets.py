"""Widgets for RunConfig fields, built from the field table (ranges, defaults, labels and help in one place)."""

from __future__ import annotations

from typing import Any

from fmnist_core.config import FIELD
from fmnist_core.i18n import _


def field_widget(container: Any, name: str, value: Any, key: str, label: str | None = None,
                 disabled: bool = False) -> Any:
    """The widget for field ``name`` in ``container`` (st or a column), starting at ``value``; returns its value.

    Booleans are toggles, fields with ``choices`` select-sliders (the current value added), floats sliders with
    the field's step, small int ranges sliders and large ones number inputs.
    """
    spec = FIELD[name]
    label = label or spec.label
    if disabled:
        # Translators: {label}: a setting's label, e.g. "Epochs"
        container.text_input(_("{label} (fixed by the link)").format(label=label), spec.format(value), disabled=True,
                             key=key,
                             help=spec.help)
        return value
    if spec.type is bool:
        return container.toggle(label, bool(value), help=spec.help, key=key)
    if spec.choices:
        options = sorted({*spec.choices, value})
        return container.select_slider(label, options, value=value, help=spec.help, key=key)
    if spec.type is float:
        return round(container.slider(label, float(spec.widget_low), float(spec.widget_high), float(value),
                                      step=spec.step, help=spec.help, key=key), 6)
    if spec.high - spec.low <= 100:
        return container.slider(label, int(spec.low), int(spec.high), int(value), help=spec.help, key=key)
    return int(container.number_input(label, int(spec.low), int(spec.high), int(value), help=spec.help, key=key))
