"""The body every experiment page shares: question, the learner's controls, runs side by side, measured findings."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import streamlit as st

from fmnist_core.config import FIELD, ConfigError, RunConfig, config_from_query
from fmnist_core.i18n import _, in_sentence, percent
from fmnist_core.lessons import (
    EXPERIMENTS,
    Experiment,
    best_final_sentence,
    parse_values,
    sweep_labels,
    table,
)
from fmnist_core.runs import RunResult, history_key
from fmnist_core.views import charts
from pages.ui.data import get_data
from pages.ui.lang import with_language
from pages.ui.stored_runs import cached_result
from pages.ui.sweeps import run_configs, sweep_pending
from pages.ui.text import plain
from pages.ui.widgets import field_widget

SHARED = ("epochs", "hidden_units", "extra_layers", "seed")  # settings every run of a comparison shares


def render(name: str) -> None:
    """Draw the page of experiment ``name``."""
    experiment = EXPERIMENTS[name]
    # Translators: {title}: an experiment's name, e.g. "Hidden units"
    st.title(_("Experiment: {title}").format(title=in_sentence(_(experiment.title))))
    st.markdown(f"### {_(experiment.question)}\n{_(experiment.intro)}")
    if experiment.code:
        with st.expander(_("The Keras code")):
            st.code(experiment.code, language=None, wrap_lines=True)  # plain: the colours fail contrast
    asked = comparison_form(experiment, name)
    if asked is None or get_data() is None:
        return
    configs, submitted = asked
    results = comparison_results(configs, [experiment.label(c) for c in configs], name, submitted)
    if results:
        show_results(experiment, results)


def comparison_form(experiment: Experiment, name: str) -> tuple[list[RunConfig], bool] | None:
    """The compared values and shared settings (from the link at first); returns the runs to compare and whether
    the button was pressed, or None after a sentence when the values cannot be compared."""
    linked, link_choices = from_link(experiment)
    with st.form(f"{name}_form"):
        texts, chosen = {}, {}
        for control in experiment.controls:
            spec = FIELD[control.field]
            default = link_choices.get(control.field, experiment.choices[control.field])
            if control.many and spec.type is bool:
                # Translators: {runs}: run labels, e.g. "normalised /255, raw 0-255"
                st.markdown(_("Runs compared: {runs}.").format(
                    runs=", ".join(experiment.label(c) for c in experiment.configs())))
            elif control.many:
                texts[control.field] = st.text_input(
                    # Translators: {setting}: a setting's label, e.g. "hidden units per layer"
                    _("Values of {setting} to compare (comma-separated)").format(setting=in_sentence(spec.label)),
                    ", ".join(spec.format(v) for v in default), key=f"{name}_values", help=spec.help)
            else:
                chosen[control.field] = field_widget(st, control.field, default, key=f"{name}_{spec.url}")
        base = shared_settings(experiment, name, linked)
        submitted = st.form_submit_button(_("Run the comparison"), type="primary")
    try:
        chosen |= {field: parse_values(field, text) for field, text in texts.items()}
        configs = experiment.configs(base, chosen)
    except ConfigError as exc:
        # Translators: {reason}: why, e.g. "compare at most 8 values at a time"
        st.error(plain(_("Those values cannot be compared: {reason}.").format(reason=exc)))
        return None
    if submitted:
        to_link(experiment, base, chosen)
    return configs, submitted


def comparison_results(configs: list[RunConfig], labels: list[str], name: str, submitted: bool) -> list[RunResult]:
    """The runs to show: trained now (with progress) when asked for, else the stored ones, saying which are not."""
    if submitted or sweep_pending(name):
        return run_configs(configs, labels, key=name) or []
    cached = [cached_result(c) for c in configs]
    results = [r for r in cached if r is not None]
    missing = [label for label, r in zip(labels, cached, strict=True) if r is None]
    if missing:
        # Translators: {ready}: e.g. 2; {total}: e.g. 5; {missing}: run labels, e.g. "512 units, 1024 units"
        st.info(_("{ready} of {total} runs are ready; not trained yet: {missing}. Press **Run the comparison** "
                  "to train them (each once; later visits are instant).").format(
            ready=len(results), total=len(configs), missing=", ".join(missing)))
    return results


def shared_settings(experiment: Experiment, name: str, start: RunConfig) -> RunConfig:
    """Widgets for the settings every run of the comparison shares (the compared ones excluded)."""
    shown = _shared(experiment)
    values = {field: field_widget(column, field, getattr(start, field), key=f"{name}_{FIELD[field].url}")
              for column, field in zip(st.columns(len(shown)), shown, strict=True)}
    return experiment.base.with_(**values)


def _shared(experiment: Experiment) -> list[str]:
    varied = {c.field for c in experiment.controls}
    return [field for field in SHARED if field not in varied]


def from_link(experiment: Experiment) -> tuple[RunConfig, dict[str, Any]]:
    """The shared settings and the controls' values a copied link carries (bad values fall back, said once)."""
    params = st.query_params.to_dict()
    config, problems = config_from_query({k: v for k, v in params.items()
                                          if k in {FIELD[f].url for f in _shared(experiment)}}, experiment.base)
    choices: dict[str, Any] = {}
    for control in experiment.controls:
        spec = FIELD[control.field]
        raw = params.get("values" if control.many else spec.url)
        if raw is None or (control.many and spec.type is bool):
            continue
        try:
            choices[control.field] = parse_values(control.field, raw) if control.many else spec.parse(raw)
        except ConfigError as exc:
            # Translators: {name}: e.g. "values" or "patience"; {value}: the link's text, e.g. "x"; {reason}: why,
            # e.g. "enter at least one value"
            problems.append(_("The link's {name}={value} is not usable ({reason}); using the page's default "
                              "instead.").format(name="values" if control.many else spec.url, value=raw[:40],
                                                 reason=exc))
    for problem in problems:
        st.warning(plain(problem))
    return config, choices


def to_link(experiment: Experiment, base: RunConfig, chosen: dict[str, Any]) -> None:
    """Keep the comparison in the URL, so the link shows the same runs."""
    # By hand, not ``bind="query-params"``: see training_form in pages/train.py (the same form, the same reasons).
    link = {FIELD[f].url: FIELD[f].format(getattr(base, f)) for f in _shared(experiment)}
    for control in experiment.controls:
        spec, value = FIELD[control.field], chosen.get(control.field)
        if value is None or (control.many and spec.type is bool):
            continue
        link["values" if control.many else spec.url] = (",".join(spec.format(v) for v in value) if control.many
                                                         else spec.format(value))
    st.query_params.from_dict(with_language(link))


def show_results(experiment: Experiment, results: list[RunResult]) -> None:
    """Findings, chart, bars and table for finished runs."""
    st.subheader(_("What the runs measured"))
    for sentence in experiment.conclude(results):
        st.markdown(f"- {sentence}")
    c1, c2 = st.columns(2)
    metric = c1.radio(_("Metric"), list(charts.METRICS), index=list(charts.METRICS).index(experiment.metric),
                      horizontal=True,
                      key=f"{experiment.name}_metric", format_func=lambda m: _(charts.METRICS[m]))
    split = c2.radio(_("Data"), list(charts.SPLITS), horizontal=True, key=f"{experiment.name}_split",
                     format_func=lambda s: _(charts.SPLITS[s]))
    key = history_key(split, metric)
    what = charts.curve_name(split, metric)
    st.plotly_chart(charts.comparison_figure(sweep_labels(experiment, results), key), key=f"{experiment.name}_chart",
                    # Translators: a chart's alt text; {what}: a curve's name, e.g. "validation accuracy"
                    alt=_("{what} per epoch for each run").format(what=what))
    finals = {experiment.label(r.config): r.history[key][-1] for r in results if r.history.get(key)}
    if finals:
        best = (max if metric == "accuracy" else min)(finals, key=finals.get)
        st.caption(best_final_sentence(split, metric, best, finals[best]) + " " + _(experiment.caption))
    rows = table(experiment, results)
    st.plotly_chart(charts.sweep_bars([r.run for r in rows], [r.test_accuracy for r in rows],
                                      [r.train_seconds for r in rows], [r.parameters for r in rows]),
                    key=f"{experiment.name}_bars", alt=_("Test accuracy of each run"))
    top = max(rows, key=lambda r: r.test_accuracy)
    # Translators: {run}: a run label, e.g. "512 units"; {accuracy}: e.g. "88.40%"
    st.caption(_("Bars: test accuracy of each run (with its training time); the highest is {run} ({accuracy}).")
               .format(run=top.run, accuracy=percent(top.test_accuracy)))
    st.dataframe([asdict(r) for r in rows], hide_index=True, column_config={
        "run": _("run"), "train_accuracy": _("train accuracy"), "validation_accuracy": _("validation accuracy"),
        "test_accuracy": _("test accuracy"), "parameters": _("parameters"), "epochs_run": _("epochs run"),
        "best_val_epoch": _("lowest val loss at epoch"), "train_seconds": _("train seconds")})
