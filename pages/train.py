"""Train page: choose a configuration, train it with live progress, look at curves, predictions and mistakes."""

from __future__ import annotations

import pages.ui.preload  # noqa: F401 - first: a fresh server runs a linked page's file alone (preload.py)

# isort: split

import streamlit as st

from fmnist_core.config import FIELD, ConfigError, RunConfig, config_from_query, config_to_query
from fmnist_core.data import class_names
from fmnist_core.i18n import _, in_sentence, joined, number, percent, signed
from fmnist_core.lessons import READY, Challenge, LinkControls, link_controls
from fmnist_core.queue import Job, JobStatus
from fmnist_core.runs import (
    SELECTIONS,
    Lookup,
    RunResult,
    class_reports,
    confused_indices,
    confusion_matrix,
    correct_count,
    hardest_class,
    most_confused,
    select_examples,
)
from fmnist_core.views import charts
from pages.ui.classroom import asked, class_controls, class_member, class_runs_table, in_class
from pages.ui.data import get_data, test_set_of
from pages.ui.history import SessionRun, remember, session_runs
from pages.ui.lang import fragment, with_language
from pages.ui.navigation import in_app
from pages.ui.runner import get_cache, get_runner
from pages.ui.stored_runs import cached_lookup, warn_if_unsaved
from pages.ui.submit import submit
from pages.ui.take_home import get_the_code
from pages.ui.text import plain
from pages.ui.timeline import watch_it_learn
from pages.ui.watch import report_unfinished, watch
from pages.ui.widgets import field_widget

LINK_KEYS = ("hide", "lock", "challenge", "class")  # a teacher's link: kept in the URL through every run
LAYOUT = (("epochs", "hidden_units"), ("extra_layers", "dropout", "normalize"),
          ("batch_size", "validation_split", "seed"))


def main() -> None:
    st.title(_("Train the network"))
    st.markdown(_(
        "Each 28x28 image is **flattened** into 784 numbers, passed through **Dense** layers with **ReLU**, and the "
        "last layer's **softmax** turns ten scores into ten probabilities, one per kind of clothing. Pick the "
        "settings, press **Train**, and watch it learn."
    ))
    member, go_on = class_member()
    if not go_on:  # the class link's nickname first
        return
    config, link = read_link(class_controls(member))
    show_challenge_or_ideas(link)
    config, job = training_form(config, link)
    if job is not None:
        asked(member, job.key)
    data = get_data() if config is not None else None
    found = current_result(config, job) if data is not None else None
    in_class(member, found.run if found is not None else None)
    if found is None:
        class_runs_table(member)
        return
    result = found.run
    previous = remember(result, found.from_cache)
    show_summary(found, previous, len(data.y_test))
    if link.challenge:
        show_challenge_outcome(link.challenge, result)
    show_learning_curves(result, previous)
    test_set = test_set_of(data, result)
    if test_set is not None:
        predictions(*test_set)
        where_it_goes_wrong(*test_set)
        watch_it_learn(result, *test_set[:2], where="train")
    st.subheader(_("Get the code"))
    get_the_code(result, key="train_code", saved=found.saved)
    show_session_runs(session_runs())
    class_runs_table(member)


def read_link(in_class: dict[str, str] | None = None) -> tuple[RunConfig, LinkControls]:
    """The configuration and a teacher's controls from the URL (the learner's class's controls where the URL
    has none: a learner back from another page keeps the exercise), each bad value one warning."""
    query = st.query_params.to_dict()
    config, problems = config_from_query(query)
    link, link_problems = link_controls((in_class or {}) | query)
    for problem in problems + link_problems:
        st.warning(plain(problem))
    if link.fixed:
        fixed = ", ".join(in_sentence(FIELD[f].label) for f in sorted(link.locked | link.hidden))
        # Translators: {settings}: the labels of the settings a teacher's link hid or locked, joined by ", ", e.g.
        # "epochs, hidden units per layer"
        st.info(_("Some settings were fixed by the link: {settings}.").format(settings=fixed))
    return config, link


def show_challenge_or_ideas(link: LinkControls) -> None:
    """The link's challenge, or the ready challenges to pick from."""
    if link.challenge:
        # Translators: {idea}: the lesson idea the challenge practises, e.g. "hidden units: how few are enough?";
        # {goal}: the whole goal, a sentence, e.g. "Reach test accuracy at least 86% with hidden units per layer at
        # most 32."
        st.markdown(_("**Challenge** ({idea}): {goal}").format(idea=link.challenge.idea, goal=link.challenge.goal))
        return
    with st.expander(_("Challenges to try")):
        for challenge in READY.values():
            # Translators: a link to a ready challenge; {goal}: e.g. "Reach test accuracy at least 86% with hidden
            # units per layer at most 32."; {idea}: the lesson idea it practises, e.g. "hidden units: how few are
            # enough?"
            st.page_link("pages/train.py", label=_("{goal} ({idea})").format(goal=challenge.goal, idea=challenge.idea),
                         query_params={"challenge": challenge.name}, icon=":material/flag:")


def training_form(config: RunConfig, link: LinkControls) -> tuple[RunConfig | None, Job | None]:
    """The settings as one form (one click, one run); on Train, the new configuration is queued and put in the
    URL. Returns the configuration to show (None after a sentence when it cannot be trained) and the job queued
    now (None when Train was not pressed in this script run)."""
    job = None
    with st.form("train_form"):
        chosen = {}
        for column, names in zip(st.columns(3), LAYOUT, strict=True):
            for name in names:
                if name not in link.hidden:
                    chosen[name] = field_widget(column, name, getattr(config, name), key=FIELD[name].url,
                                                disabled=name in link.locked)
        submitted = st.form_submit_button(_("Train"), type="primary")
    if submitted:
        try:
            config = config.with_(**chosen)
        except ConfigError as exc:
            # Translators: {reason}: why, e.g. "patience needs a validation split above 0 (it watches validation
            # loss)"
            st.error(plain(_("That configuration is not possible: {reason}.").format(reason=exc)))
            return None, None
        # Synced by hand, not with Streamlit's ``bind="query-params"`` (checked on 1.67): a bound widget in a form
        # writes the URL as it moves, before Train; it drops a bad or out-of-range link value silently (no warning,
        # FIELDS not asked); and a bound key cannot be written through st.query_params, as this line does.
        kept_link = {k: v for k, v in st.query_params.to_dict().items() if k in LINK_KEYS}
        st.query_params.from_dict(with_language(config_to_query(config) | kept_link))
        job = submit(config)
        if job is None:
            return None, None
        st.session_state["train_job"] = config.key  # the next script runs look its job up again
    # Translators: {run}: the run's label, e.g. "128 units x 1 layer, 10 epochs, normalised"; {parameters}: the number
    # of weights and biases, e.g. "101,770"; {key}: the run's cache key as code, e.g. "`e8e4c7bb9f80ad75`" (keep as it
    # is)
    st.caption(_("Configuration: {run} · {parameters} parameters · key {key}").format(
        run=config.describe(), parameters=number(config.parameters), key=f"`{config.key}`"))
    return config, job


def current_result(config: RunConfig, job: Job | None = None) -> Lookup | None:
    """This session's run of ``config`` (``job``, queued in this script run, else the one it queued before; its
    live progress while it trains), else the stored one, else None after a sentence saying why; with whether it
    came from the cache and is kept."""
    if job is None:
        job = get_runner().get(st.session_state.get("train_job", ""))
    snap = None
    if job is not None and job.config == config:
        snap = watch(job)
        if snap is None:  # training: its progress refreshes itself
            return None
    if snap is not None and (snap.status in (JobStatus.CANCELLED, JobStatus.FAILED) or not snap.finished):
        report_unfinished(snap)
        return None
    found = snap.found if snap is not None and snap.done else cached_lookup(config)
    if found.run is None:
        st.info(_("This configuration has not been trained yet. Press **Train** to train it."))
        return None
    return found


def show_summary(found: Lookup, previous: SessionRun | None, test_images: int) -> None:
    """Where the run came from, and its four numbers (changes since the previous run underneath)."""
    st.success(found.run.provenance(found.from_cache))
    warn_if_unsaved(found)
    result = found.run
    cols = st.columns(4)
    accuracy_change = None if previous is None else 100 * (result.test_accuracy - previous.test_accuracy)
    cols[0].metric(_("Test accuracy"), percent(result.test_accuracy),
                   # Translators: the change of test accuracy since the previous run, under the metric; {change}:
                   # percentage points with a sign, e.g. "+1.2" or "-0.4"
                   delta=None if previous is None else _("{change} pts").format(change=signed(accuracy_change)),
                   # Translators: {n}: the number of test images, e.g. "10,000"
                   help=_("Share of the {n} test images (never seen in training) classified correctly.").format(
                       n=number(test_images)))
    cols[1].metric(_("Test loss"), number(result.test_loss, 3),
                   delta=None if previous is None else signed(result.test_loss - previous.test_loss, 3),
                   delta_color="inverse", help=_("Mean cross-entropy on the test set: lower is better."))
    cols[2].metric(_("Epochs trained"), f"{result.epochs_run}")
    cols[3].metric(_("Parameters"), number(result.parameters))
    if result.stopped_early_at:
        # Translators: {epoch}: the last epoch trained, e.g. 9
        st.info(_("Training stopped early after epoch {epoch}.").format(epoch=result.stopped_early_at))


def show_challenge_outcome(challenge: Challenge, result: RunResult) -> None:
    """Whether this run meets the link's challenge, and this session's attempts at it."""
    attempts = st.session_state.setdefault("challenge_attempts", {})
    attempts.setdefault(challenge.goal, {})[result.key] = challenge.met(result)
    checks = challenge.checks(result)
    if challenge.met(result):
        # Translators: {checks}: each condition with its result, joined by "; ", e.g.
        # "test accuracy at least 86%: ✓ yes; hidden units per layer at most 32: ✓ yes"
        st.success(_("**Done!** This run meets the challenge — {checks}.").format(checks=checks))
    else:
        # Translators: {checks}: each condition with its result, joined by "; ", e.g.
        # "test accuracy at least 87%: ✗ not yet; epochs at most 3: ✓ yes"
        st.warning(_("Not yet: {checks}. Change a setting and train again.").format(checks=checks))
    tried = attempts[challenge.goal]
    # Translators: {tried}: runs tried for this challenge, e.g. 3; {met}: how many of them met it, e.g. 1
    st.caption(_("Attempts at this challenge in this session: {tried}, of which {met} met it.").format(
        tried=len(tried), met=sum(tried.values())))


def show_learning_curves(result: RunResult, previous: SessionRun | None) -> None:
    """Loss and accuracy per epoch (the previous run's validation curves faded behind), and what they say."""
    st.subheader(_("Learning curves"))
    previous_run = get_cache().load(previous.key) if previous else None
    behind = previous_run.history if previous_run is not None else None
    st.plotly_chart(charts.training_curves(result.history, behind=behind), key="curves",
                    alt=_("Training and validation loss and accuracy per epoch"))
    if behind is not None:
        # Translators: {run}: the previous run's label, e.g. "64 units x 1 layer, 10 epochs, normalised"
        st.caption(_("The faded grey lines are the validation curves of your previous run ({run}).").format(
            run=previous_run.config.describe()))
    st.page_link("pages/compare.py", label=_("Compare with your earlier runs"), icon=":material/compare_arrows:",
                 query_params={"runs": ",".join(r.key for r in reversed(session_runs()[-6:]))})
    report = result.fit_report()
    if report is not None:
        st.caption(report.sentence())


@fragment
def predictions(images, labels, probabilities) -> None:
    """The tutorial's blue/red grid; its controls rerun only this section."""
    st.subheader(_("Predictions on test images"))
    st.markdown(_("Blue label with ✓: right. Red label with ✗: wrong. The bars are the ten probabilities: the true "
                  "class is **blue**, a wrong prediction **red**, the rest grey."))
    c1, c2, c3, c4 = st.columns([1, 1.4, 1.2, 0.8])
    n = c1.slider(_("Images"), 3, 30, 15, step=3, key="grid_n")
    mode = c2.radio(_("Show"), list(SELECTIONS), horizontal=True, key="grid_mode",
                    format_func={choice: _(name) for choice, name in SELECTIONS.items()}.get)
    names = class_names()
    class_index = c3.selectbox(_("Class"), range(10), format_func=names.__getitem__, key="grid_class",
                               disabled=mode != "class")
    sample = c4.number_input(_("Sample"), 0, 10_000, 0, key="grid_sample", help=_("Another number, other images."))
    indices = select_examples(labels, probabilities, n, mode, class_index, seed=int(sample))
    if len(indices) == 0:
        st.info(_("No test images match (no mistakes of that kind)."))
    else:
        st.plotly_chart(charts.prediction_grid(images[indices], probabilities[indices], labels[indices], indices),
                        # Translators: {n}: the number of images in the grid, e.g. 15 (a chart's text alternative)
                        key="grid", alt=_("{n} test images with their predicted probabilities").format(n=len(indices)))
        right = correct_count(probabilities[indices], labels[indices])
        # Translators: {right}: images classified correctly, e.g. 13; {n}: images shown, e.g. 15
        st.caption(_("{right} of {n} shown images are classified correctly.").format(right=right, n=len(indices)))



@fragment
def where_it_goes_wrong(images, labels, probabilities) -> None:
    """The confusion matrix with its drill-down, and per-class accuracy; a click reruns only this section."""
    st.subheader(_("Where it goes wrong"))
    matrix = confusion_matrix(labels, probabilities.argmax(axis=1))
    tab_matrix, tab_classes = st.tabs([_("Confusion matrix"), _("Per-class accuracy")])
    with tab_matrix:
        true_class, predicted_class = confusion_chart(matrix)
        one_cell(images, labels, probabilities, true_class, predicted_class)
    with tab_classes:
        per_class(matrix)


def confusion_chart(matrix) -> tuple[int, int]:
    """The clickable matrix and its most frequent confusions; returns the cell chosen (by a click or the boxes)."""
    names = class_names()
    event = st.plotly_chart(charts.confusion_figure(matrix), key="confusion", on_select="rerun",
                            selection_mode="points",
                            alt=_("Confusion matrix: counts of test images by true and predicted class"))
    worst = most_confused(matrix)
    if worst:
        # Translators: {pairs}: up to three confusions joined by "; ", each "{true} taken for {predicted} {n}
        # times", e.g. "Shirt taken for T-shirt/top 123 times; Coat taken for Pullover 98 times"
        st.caption(_("Most frequent confusions: {pairs}.").format(pairs=joined(
            # Translators: {true}: the true class, e.g. "Shirt"; {predicted}: the class the network answered, e.g.
            # "T-shirt/top"; {n}: test images, e.g. 123. It is put into "Most frequent confusions: {pairs}."
            _("{true} taken for {predicted} {n} times").format(true=names[t], predicted=names[p], n=c)
            for t, p, c in worst)))
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    click = (points[0].get("y"), points[0].get("x")) if points else None
    if click and set(click) <= set(names) and click != st.session_state.get("drill_click"):
        st.session_state["drill_click"] = click  # a new click chooses the pair below (once: the boxes stay free)
        st.session_state["drill_true"], st.session_state["drill_predicted"] = map(names.index, click)
    elif "drill_true" not in st.session_state and worst:
        st.session_state["drill_true"], st.session_state["drill_predicted"] = worst[0][0], worst[0][1]
    st.markdown(_("**Look at the images of one cell** (click a cell above, or choose the pair here):"))
    d1, d2 = st.columns(2)
    true_class = d1.selectbox(_("True class"), range(10), format_func=names.__getitem__, key="drill_true")
    predicted_class = d2.selectbox(_("Predicted class"), range(10), format_func=names.__getitem__,
                                   key="drill_predicted")
    return true_class, predicted_class


def one_cell(images, labels, probabilities, true_class: int, predicted_class: int) -> None:
    """The test images of one cell of the matrix, with their probabilities."""
    names = class_names()
    cell = confused_indices(labels, probabilities, true_class, predicted_class)
    # Translators: one cell of the confusion matrix; {true}: a class, e.g. "Shirt". It is put into "**{n} test
    # images**: {what}…"
    what = (_("{true} recognised correctly").format(true=names[true_class]) if true_class == predicted_class
            # Translators: one cell of the confusion matrix; {true}: the true class, e.g. "Shirt"; {predicted}: the
            # class the network answered, e.g. "T-shirt/top". It is put into "**{n} test images**: {what}…"
            else _("{true} taken for {predicted}").format(true=names[true_class], predicted=names[predicted_class]))
    count = {"n": number(len(cell)), "what": what}
    # Translators: {n}: test images in the chosen cell, e.g. "123"; {what}: the cell, e.g. "Shirt taken for
    # T-shirt/top"; {shown}: how many of them are shown below, at most 15, e.g. 15
    st.markdown(_("**{n} test images**: {what}; the first {shown} are shown.").format(shown=min(15, len(cell)),
                                                                                     **count) if len(cell) else
                # Translators: no image in the chosen cell; {n}: "0"; {what}: the cell, e.g. "Trouser taken for
                # Sandal"
                _("**{n} test images**: {what}.").format(**count))
    if len(cell):
        shown = cell[:15]
        st.plotly_chart(charts.prediction_grid(images[shown], probabilities[shown], labels[shown], shown),
                        # Translators: a chart's text alternative; {n}: images shown, e.g. 15; {what}: the cell,
                        # e.g. "Shirt taken for T-shirt/top"
                        key="drill_grid", alt=_("{n} test images: {what}").format(n=len(shown), what=what))


def per_class(matrix) -> None:
    """Each class's accuracy and most common wrong answer, and the hardest class."""
    reports = class_reports(matrix)
    st.dataframe({_("class"): [r.name for r in reports], _("accuracy"): [round(r.accuracy, 4) for r in reports],
                  _("test images"): [r.images for r in reports],
                  _("most common wrong answer"): [r.top_mistake or "—" for r in reports]}, hide_index=True)
    st.caption(hardest_class(reports))


def show_session_runs(runs: list[SessionRun]) -> None:
    """This session's runs, newest first."""
    st.subheader(_("This session's runs"))
    st.dataframe([{_("configuration"): r.config.describe(), _("test accuracy"): round(r.test_accuracy, 4),
                   _("test loss"): round(r.test_loss, 4), _("train seconds"): round(r.train_seconds, 1),
                   _("from cache"): r.from_cache} for r in reversed(runs)], hide_index=True)


in_app(main)
