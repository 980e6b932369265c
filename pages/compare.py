"""Compare runs: any stored runs side by side, their curves overlaid, what differs, what the numbers say."""

from __future__ import annotations

import pages.ui.preload  # noqa: F401 - first: a fresh server runs a linked page's file alone (preload.py)

# isort: split

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from fmnist_core.config import FIELD
from fmnist_core.i18n import _, ngettext, percent
from fmnist_core.lessons import compare
from fmnist_core.runs import RunUnavailable
from fmnist_core.views import charts
from pages.ui.classroom import class_member, class_run_keys, in_class
from pages.ui.data import get_data
from pages.ui.history import session_runs
from pages.ui.lang import fragment
from pages.ui.navigation import in_app
from pages.ui.run_picker import run_choice
from pages.ui.runner import get_cache
from pages.ui.take_home import get_the_code
from pages.ui.text import plain
from pages.ui.timeline import epoch_label, timeline_of


def main() -> None:
    st.title(_("Compare runs"))
    st.markdown(_("Lay any of your runs over each other: what changed between them, and what did it do?"))
    member, go_on = class_member()
    if not go_on:  # the class link's nickname first
        return
    in_class(member, None)
    runs = get_cache().list()  # newest first
    if len(runs) < 2:
        st.info(_("Train at least two runs on the Train page (change one setting between them), then compare them "
                  "here."))
        st.page_link("pages/train.py", label=_("Go to the Train page"), icon=":material/model_training:")
        return
    by_key = {r.key: r for r in runs}
    chosen = choose_runs(by_key, class_run_keys(member))
    if len(chosen) < 2:
        st.info(_("Choose at least two runs."))
        return
    results = [by_key[k] for k in chosen]
    rows = compare.rows(results)
    st.subheader(_("What the runs measured"))
    for sentence in compare.findings(results):
        st.markdown(f"- {sentence}")
    learning_curves(rows, results)
    at_one_epoch(rows, results)
    side_by_side(rows)
    st.subheader(_("Get the code"))
    picked = st.selectbox(_("Run"), chosen, key="compare_code_run", format_func=lambda k: rows[chosen.index(k)].label)
    get_the_code(by_key[picked], key="compare_code")


def default_runs(by_key: dict, class_keys: Sequence[str] = ()) -> list[str]:
    """The runs to show first: the link's, else this session's and then the learner's runs in the class (newest
    first), else the newest stored."""
    linked = [k for k in st.query_params.get("runs", "").split(",") if k]
    unknown = [k for k in linked if k not in by_key]
    if unknown:
        # Translators: {n}: runs the link names that are not stored, e.g. 2; {keys}: their keys, e.g.
        # "3f2a9c1e0b7d4a55, 9a0c…"
        st.warning(plain(ngettext("{n} run in the link is not stored here ({keys}); showing the others.",
                                  "{n} runs in the link are not stored here ({keys}); showing the others.",
                                  len(unknown)).format(n=len(unknown), keys=", ".join(unknown)[:80])))
    session = [k for k in dict.fromkeys([r.key for r in reversed(session_runs())] + list(class_keys)) if k in by_key]
    default = ([k for k in linked if k in by_key] or session or list(by_key))[: compare.MAX_RUNS]
    return default if len(default) >= 2 else list(dict.fromkeys(default + list(by_key)))[:2]


def choose_runs(by_key: dict, class_keys: Sequence[str] = ()) -> list[str]:
    """The runs to compare (kept in the link), from a list that can be filtered by one setting."""
    default = default_runs(by_key, class_keys)
    with st.expander(_("Filter the list")):
        c1, c2 = st.columns(2)
        field = c1.selectbox(_("Field"), ["(any)", *FIELD], key="compare_filter_field",
                             format_func=lambda f: _("(any)") if f == "(any)" else FIELD[f].label)
        values = sorted({getattr(r.config, field) for r in by_key.values()}) if field != "(any)" else []
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
    return chosen


def learning_curves(rows: list, results: list) -> None:
    """The chosen runs' curves of one metric, overlaid."""
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


@fragment
def at_one_epoch(rows: list, results: list) -> None:
    """Every chosen run at the same epoch: a line on their curves, and each one's accuracy there (test accuracy
    from that epoch's kept weights); the slider reruns only this section."""
    st.subheader(_("All runs at one epoch"))
    longest = max(r.epochs_run for r in results)
    epoch = st.select_slider(_("Epoch"), options=range(longest + 1), value=longest, key="compare_epoch",
                             format_func=epoch_label, help=_("Moves every chosen run to the same epoch."))
    st.plotly_chart(charts.overlay_figure({row.label: r.history for row, r in zip(rows, results, strict=True)},
                                          "accuracy", ["validation"], marker=epoch), key="compare_epoch_chart",
                    # Translators: a chart's text alternative; {n}: an epoch, e.g. 3 (0: before training)
                    alt=_("Validation accuracy per epoch of each chosen run, with a line at epoch {n}").format(
                        n=epoch))
    data = get_data()
    def shown(value: float | None) -> str:  # Streamlit draws a missing number as "None", whatever na_rep says
        return "—" if value is None else percent(value)

    st.dataframe([{_("run"): row.label, _("validation accuracy"): shown(validation_at(run, epoch)),
                   _("test accuracy"): shown(test_at(run, epoch, data))}
                  for row, run in zip(rows, results, strict=True)], hide_index=True)
    st.caption(_("A dash: the run did not get that far, or did not keep that epoch's weights."))


def validation_at(run, epoch: int) -> float | None:
    """The run's validation accuracy after ``epoch`` (None before training, past its end, or without one)."""
    values = run.history.get("val_accuracy", [])
    return values[epoch - 1] if 1 <= epoch <= len(values) else None


def test_at(run, epoch: int, data) -> float | None:
    """The run's test accuracy with its weights of ``epoch`` (None when they are not kept or not readable)."""
    if data is None or not run.evaluated_on(data.y_test):
        return None
    try:
        timeline = timeline_of(run, data.x_test, data.y_test)
    except RunUnavailable:
        return None
    return timeline.frame(epoch).accuracy if timeline is not None and epoch in timeline.epochs else None


def side_by_side(rows: list) -> None:
    """One table row per run: the settings that differ (highlighted) and the numbers."""
    st.subheader(_("Side by side"))
    columns = {"accuracy": _("test accuracy"), "loss": _("test loss"), "parameters": _("parameters"),
               "epochs": _("epochs trained"), "seconds": _("train seconds"), "gap": _("train-val gap (points)")}
    table = pd.DataFrame([{_("run"): r.label, **{FIELD[f].name_in_label: v for f, v in r.differing.items()},
                           columns["accuracy"]: round(r.test_accuracy, 4), columns["loss"]: round(r.test_loss, 4),
                           columns["parameters"]: r.parameters, columns["epochs"]: r.epochs_run,
                           columns["seconds"]: round(r.train_seconds, 1),
                           columns["gap"]: None if r.gap is None else round(100 * r.gap, 1)} for r in rows])
    differing = [FIELD[f].name_in_label for f in rows[0].differing]
    formats = {columns["accuracy"]: "{:.2%}", columns["loss"]: "{:.4f}", columns["seconds"]: "{:.1f}",
               columns["gap"]: "{:.1f}"} | {name: "{:g}" for name in differing if table[name].dtype.kind == "f"}
    st.dataframe(table.style.format(formats, na_rep="—").set_properties(
        subset=differing, **{"background-color": "#fff3bf", "font-weight": "bold"}), hide_index=True)
    st.caption(_("Highlighted columns: the settings that differ between these runs. Click a column header to sort."))


in_app(main)
