"""The body every experiment page shares: question, editable sweep, runs side by side, measured conclusion."""

from __future__ import annotations

import streamlit as st

from fmnist_core import charts
from fmnist_core.config import ConfigError, RunConfig
from fmnist_core.experiments import EXPERIMENTS, Experiment, conclude, summarise, sweep_labels
from pages.ui.common import HELP, cached_result, ensure_app_navigation, get_data, run_configs, sweep_pending

METRICS = {"accuracy": "accuracy", "loss": "loss"}


def _parse_values(text: str) -> list[int]:
    values = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            values.append(int(part))
        except ValueError:
            raise ConfigError(f"'{part}' is not a whole number") from None
    if not values:
        raise ConfigError("enter at least one value")
    if len(values) > 8:
        raise ConfigError("compare at most 8 values at a time")
    return list(dict.fromkeys(values))


def shared_settings(experiment: Experiment, name: str) -> RunConfig:
    """Widgets for the settings every run of the sweep shares (the swept one excluded)."""
    base = experiment.base
    cols = st.columns(4)
    values = {}
    if experiment.field != "epochs":
        values["epochs"] = cols[0].slider("Epochs", 1, 100, base.epochs, help=HELP["epochs"], key=f"{name}_epochs")
    if experiment.field != "hidden_units":
        values["hidden_units"] = cols[1].select_slider("Hidden units", [16, 32, 64, 128, 256, 512], base.hidden_units,
                                                       help=HELP["hidden_units"], key=f"{name}_units")
    if experiment.field != "extra_layers":
        values["extra_layers"] = cols[2].slider("Extra hidden layers", 0, 5, base.extra_layers,
                                                help=HELP["extra_layers"], key=f"{name}_extra")
    values["seed"] = cols[3].number_input("Seed", 0, 2**31 - 1, base.seed, help=HELP["seed"], key=f"{name}_seed")
    return base.with_(**values)


def render(name: str, intro: str) -> None:
    """Draw the page of experiment ``name``."""
    ensure_app_navigation()
    experiment = EXPERIMENTS[name]
    st.title(f"Experiment: {experiment.title.lower()}")
    st.markdown(f"### {experiment.question}\n{intro}")

    with st.form(f"{name}_form"):
        if experiment.field == "normalize":
            sweep_values = [True, False]
            st.markdown("Runs compared: pixels divided by 255 (0-1) and raw pixels (0-255).")
        else:
            text = st.text_input(f"Values of {experiment.title.lower()} to compare (comma-separated)",
                                 ", ".join(str(v) for v in experiment.values), key=f"{name}_values")
        base = shared_settings(experiment, name)
        submitted = st.form_submit_button("Run the comparison", type="primary")

    try:
        if experiment.field != "normalize":
            sweep_values = _parse_values(text)
        configs = experiment.configs(sweep_values, base)
    except ConfigError as exc:
        st.error(f"Those values cannot be compared: {exc}.")
        return
    if get_data() is None:
        return

    labels = [experiment.label(c) for c in configs]
    if submitted or sweep_pending(name):
        results = run_configs(configs, labels, key=name)
        if results is None:
            return
    else:
        cached = [cached_result(c) for c in configs]
        results = [r for r in cached if r is not None]
        missing = [label for label, r in zip(labels, cached, strict=True) if r is None]
        if missing:
            st.info(f"{len(results)} of {len(configs)} runs are ready; not trained yet: {', '.join(missing)}. "
                    "Press **Run the comparison** to train them (each once; later visits are instant).")
        if not results:
            return
    show_results(experiment, results)


def show_results(experiment: Experiment, results: list) -> None:
    """Chart, table and conclusion for finished runs."""
    st.subheader("What the runs measured")
    for sentence in conclude(experiment, results):
        st.markdown(f"- {sentence}")
    c1, c2 = st.columns(2)
    default_metric = 1 if experiment.name in ("normalisation", "early_stopping") else 0
    metric = c1.radio("Metric", list(METRICS), index=default_metric, horizontal=True, key=f"{experiment.name}_metric")
    split = c2.radio("Data", ["validation", "training"], horizontal=True, key=f"{experiment.name}_split")
    key = ("val_" if split == "validation" else "") + metric
    st.plotly_chart(charts.comparison_figure(sweep_labels(experiment, results), key), key=f"{experiment.name}_chart",
                    alt=f"{split} {metric} per epoch for each run")
    if experiment.name == "epochs":
        st.caption("Runs with the same seed start identically, so a shorter run's line lies under the first epochs "
                   "of a longer one (drawn wider underneath).")
    rows = summarise(experiment, results)
    st.plotly_chart(charts.sweep_bars([r["run"] for r in rows], [r["test accuracy"] for r in rows],
                                      [r["train seconds"] for r in rows], [r["parameters"] for r in rows]),
                    key=f"{experiment.name}_bars", alt="Test accuracy of each run")
    st.dataframe(rows, hide_index=True)
