"""Compare runs: any stored runs side by side, their curves overlaid, what differs, what the numbers say."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from fmnist_core.config import FIELD
from fmnist_core.i18n import _, ngettext, percent
from fmnist_core.lessons import compare
from fmnist_core.views import charts
from pages.ui.navigation import ensure_app_navigation
from pages.ui.runs import get_runner, run_choice
from pages.ui.take_home import get_the_code
from pages.ui.text import plain

ensure_app_navigation()

st.title(_("Compare runs"))
st.markdown(_("Lay any of your runs over each other: what changed between them, and what did it do?"))

runs = get_runner().cache.list()  # newest first
if len(runs) < 2:
    st.info(_("Train at least two runs on the Train page (change one setting between them), then compare them "
              "here."))
    st.page_link("pages/train.py", label=_("Go to the Train page"), icon=":material/model_training:")
    st.stop()
by_key = {r.key: r for r in runs}

# ---------------------------------------------------------------- which runs (from the link, this session, or newest)
linked = [k for k in st.query_params.get("runs", "").split(",") if k]
unknown = [k for k in linked if k not in by_key]
if unknown:
    # Translators: {n}: runs the link names that are not stored, e.g. 2; {keys}: their keys, e.g.
    # "3f2a9c1e0b7d4a55, 9a0c…"
    st.warning(plain(ngettext("{n} run in the link is not stored here ({keys}); showing the others.",
                              "{n} runs in the link are not stored here ({keys}); showing the others.",
                              len(unknown)).format(n=len(unknown), keys=", ".join(unknown)[:80])))
session = [r["key"] for r in reversed(st.session_state.get("runs", [])) if r["key"] in by_key]
default = ([k for k in linked if k in by_key] or session or list(by_key))[: compare.MAX_RUNS]
if len(default) < 2:
    default = list(dict.fromkeys(default + list(by_key)))[:2]

with st.expander(_("Filter the list")):
    c1, c2 = st.columns(2)
    field = c1.selectbox(_("Field"), ["(any)", *FIELD], key="compare_filter_field",
                         format_func=lambda f: _("(any)") if f == "(any)" else FIELD[f].label)
    values = sorted({getattr(r.config, field) for r in runs}) if field != "(any)" else []
    value = c2.selectbox(_("Value"), values, key="compare_filter_value", disabled=not values)
options = [k for k in by_key if field == "(any)" or getattr(by_key[k].config, field) == value]
options = list(dict.fromkeys(default + options))  # chosen runs stay available
chosen = st.multiselect(
    _("Runs to compare"), options, default=default, max_selections=compare.MAX_RUNS, key="compare_runs",
    format_func=lambda k: run_choice(by_key[k]),
    # Translators: {n}: the most runs one comparison shows, 6
    help=_("Any stored run; up to {n}. This session's runs are chosen at first, newest first.").format(
        n=compare.MAX_RUNS))
st.query_params["runs"] = ",".join(chosen)
if len(chosen) < 2:
    st.info(_("Choose at least two runs."))
    st.stop()
results = [by_key[k] for k in chosen]
rows = compare.rows(results)

# ---------------------------------------------------------------- what the numbers say
st.subheader(_("What the runs measured"))
for sentence in compare.findings(results):
    st.markdown(f"- {sentence}")

st.subheader(_("Learning curves"))
c1, c2, c3 = st.columns([2, 1, 1])
metric = c1.radio(_("Metric"), list(charts.METRICS), horizontal=True, key="compare_metric",
                  format_func=lambda m: _(charts.METRICS[m]))
splits = [s for s, on in (("validation", c2.toggle(_("Validation"), True, key="compare_val")),
                          ("training", c3.toggle(_("Training"), False, key="compare_train"))) if on]
st.plotly_chart(charts.overlay_figure({row.label: r.history for row, r in zip(rows, results, strict=True)},
                                      metric, splits or ["validation"]), key="compare_chart",
                # Translators: {metric}: "accuracy" or "loss"
                alt=_("{metric} per epoch of each chosen run").format(metric=_(charts.METRICS[metric])))
best = max(rows, key=lambda r: r.test_accuracy)
# Translators: {run}: a run label, e.g. "units 256"; {accuracy}: e.g. "88.12%"
st.caption(_("Each run keeps its colour; solid lines are validation, dotted ones training. Best test accuracy: "
             "{run} ({accuracy}).").format(run=best.label, accuracy=percent(best.test_accuracy)))

st.subheader(_("Side by side"))
COLUMNS = {"accuracy": _("test accuracy"), "loss": _("test loss"), "parameters": _("parameters"),
           "epochs": _("epochs trained"), "seconds": _("train seconds"), "gap": _("train-val gap (points)")}
table = pd.DataFrame([{_("run"): r.label, **{FIELD[f].name_in_label: v for f, v in r.differing.items()},
                       COLUMNS["accuracy"]: round(r.test_accuracy, 4), COLUMNS["loss"]: round(r.test_loss, 4),
                       COLUMNS["parameters"]: r.parameters, COLUMNS["epochs"]: r.epochs_run,
                       COLUMNS["seconds"]: round(r.train_seconds, 1),
                       COLUMNS["gap"]: None if r.gap is None else round(100 * r.gap, 1)} for r in rows])
differing = [FIELD[f].name_in_label for f in rows[0].differing]
formats = {COLUMNS["accuracy"]: "{:.2%}", COLUMNS["loss"]: "{:.4f}", COLUMNS["seconds"]: "{:.1f}",
           COLUMNS["gap"]: "{:.1f}"} | {name: "{:g}" for name in differing if table[name].dtype.kind == "f"}
st.dataframe(table.style.format(formats, na_rep="—").set_properties(
    subset=differing, **{"background-color": "#fff3bf", "font-weight": "bold"}), hide_index=True)
st.caption(_("Highlighted columns: the settings that differ between these runs. Click a column header to sort."))

st.subheader(_("Get the code"))
picked = st.selectbox(_("Run"), chosen, key="compare_code_run",
                      format_func=lambda k: rows[chosen.index(k)].label)
get_the_code(by_key[picked], key="compare_code")
