"""Watch it learn: a run's kept epochs on a slider with Play, each frame drawn by one fragment rerun."""

from __future__ import annotations

import numpy as np
import streamlit as st

from fmnist_core.i18n import _, number
from fmnist_core.runs import (
    Frame,
    RunResult,
    RunUnavailable,
    Timeline,
    class_reports,
    correct_count,
    select_examples,
)
from fmnist_core.views import charts
from pages.ui.lang import fragment
from pages.ui.runner import get_cache

PLAY_SECONDS = 0.5  # one frame every half second while playing: about two epochs a second
GRID_IMAGES = 9  # test images in the frame's prediction grid (the same ones in every frame)


@st.cache_resource(show_spinner=False, max_entries=8)  # a comparison shows up to six runs
def _timeline(cache_root: str, key: str, test_size: int, _run: RunResult, _images: np.ndarray,
              _labels: np.ndarray) -> Timeline | None:
    networks = get_cache().epoch_networks(_run)
    return Timeline(networks, _images, _labels) if networks else None


def timeline_of(run: RunResult, images: np.ndarray, labels: np.ndarray) -> Timeline | None:
    """The run's timeline, shared by all sessions (each epoch's forward pass computed once); None when it kept no
    epochs. Raises RunUnavailable when they cannot be read."""
    return _timeline(str(get_cache().root), run.key, len(labels), run, images, labels)


def shared_timeline(run: RunResult, images: np.ndarray, labels: np.ndarray) -> Timeline | None:
    """``timeline_of``, or None after a sentence when the run kept too few epochs or they cannot be read."""
    try:
        timeline = timeline_of(run, images, labels)
    except RunUnavailable as exc:
        st.warning(str(exc))
        return None
    if timeline is None or len(timeline.epochs) < 2:
        st.info(_("This run kept the weights of too few epochs to watch it learn (runs stored before this "
                  "feature, and runs read off another, may not have them); train it again to see them."))
        return None
    return timeline


def epoch_label(epoch: int) -> str:
    """'before training' for epoch 0, else 'epoch 3'."""
    if epoch == 0:
        return _("before training")  # a position on the epoch timeline
    # Translators: a position on the epoch timeline; {n}: an epoch, e.g. 3
    return _("epoch {n}").format(n=epoch)


def watch_it_learn(run: RunResult, images: np.ndarray, labels: np.ndarray, where: str) -> None:
    """The timeline section; ``where`` keeps the widget keys of the pages apart. While it plays, only its
    fragment reruns, on a timer (a full rerun happens only at Play and when the last epoch is reached)."""
    st.subheader(_("Watch it learn"))
    timeline = shared_timeline(run, images, labels)
    if timeline is None:
        return
    kept = timeline.epochs
    if kept != tuple(range(kept[0], kept[-1] + 1)):
        # Translators: {epochs}: the epochs kept, e.g. "0, 1, 2, 3, 5, 10, 15, 20, 30, 50, 100"
        st.caption(_("This run is big, so it kept the weights of some epochs only: {epochs}.").format(
            epochs=", ".join(map(str, kept))))
    playing = st.session_state.get(f"{where}_playing", False)
    st.button(_("Pause") if playing else _("Play"), key=f"{where}_play", on_click=play_or_pause,
              args=(where, timeline.epochs), icon=":material/pause:" if playing else ":material/play_arrow:",
              help=_("Plays the epochs one after another, about two a second."))
    fragment(frames, run_every=PLAY_SECONDS if playing else None)(run, timeline, where)


def play_or_pause(where: str, epochs: tuple[int, ...]) -> None:
    """The Play button's click (a full rerun follows, which sets the fragment's timer): Play at the last
    epoch starts again at the first, which is then shown for a whole frame."""
    playing = not st.session_state.get(f"{where}_playing", False)
    st.session_state[f"{where}_playing"] = playing
    if playing and st.session_state.get(f"{where}_at") == epochs[-1]:
        st.session_state[f"{where}_at"] = epochs[0]
        st.session_state[f"{where}_hold"] = True


def frames(run: RunResult, timeline: Timeline, where: str) -> None:
    """The epoch shown (``<where>_at``, server-side state) and its frame: a slider to choose it, or while
    playing a progress bar, each rerun one epoch on from the last frame drawn (a timer tick that interrupts a slow
    run repeats its epoch, never skips it). No slider while playing: its value in the browser would race the
    timer. At the last epoch a full rerun stops the timer (it belongs to the fragment's definition)."""
    at, epochs = f"{where}_at", timeline.epochs
    if st.session_state.get(at) not in epochs:
        st.session_state[at] = epochs[-1]
    if st.session_state.get(f"{where}_playing"):
        if not st.session_state.pop(f"{where}_hold", False):
            later = [e for e in epochs if e > st.session_state.get(f"{where}_drawn", st.session_state[at])]
            if not later:
                st.session_state[f"{where}_playing"] = False
                st.rerun()
            st.session_state[at] = later[0]
        epoch = st.session_state[at]
        st.progress(epochs.index(epoch) / (len(epochs) - 1), text=epoch_label(epoch))
    else:
        st.session_state[f"{where}_epoch"] = st.session_state[at]  # the slider shows where Play stopped
        epoch = st.select_slider(_("Epoch"), options=epochs, key=f"{where}_epoch", format_func=epoch_label,
                                 on_change=lambda: st.session_state.update({at: st.session_state[f"{where}_epoch"]}),
                                 help=_("The network as it was after each epoch; Play moves through them."))
    show_frame(run, timeline, timeline.frame(epoch), where)
    st.session_state[f"{where}_drawn"] = epoch


def show_frame(run: RunResult, timeline: Timeline, frame: Frame, where: str) -> None:
    """One epoch: what changed, the curves with a marker, the first layer's weights, predictions, mistakes."""
    st.markdown(f"**{epoch_label(frame.epoch)}.** {timeline.changes(frame.epoch)}")
    st.plotly_chart(charts.training_curves(run.history, marker=frame.epoch), key=f"{where}_tl_curves",
                    # Translators: a chart's text alternative; {n}: an epoch, e.g. 3 (0: before training)
                    alt=_("Learning curves with a line at epoch {n}").format(n=frame.epoch))
    weights, mistakes = st.columns(2)
    with weights:
        first_layer(timeline, frame, where)
    mistakes.plotly_chart(charts.confusion_figure(frame.matrix), key=f"{where}_tl_confusion",
                          alt=_("Confusion matrix: counts of test images by true and predicted class"))
    indices = select_examples(timeline.labels, frame.probabilities, GRID_IMAGES, seed=0)  # the same in every frame
    labels = timeline.labels[indices]
    st.plotly_chart(charts.prediction_grid(timeline.images[indices], frame.probabilities[indices], labels, indices),
                    key=f"{where}_tl_grid",
                    # Translators: {n}: the number of images in the grid, e.g. 9 (a chart's text alternative)
                    alt=_("{n} test images with their predicted probabilities").format(n=len(indices)))
    # Translators: {right}: images classified correctly, e.g. 7; {n}: images shown, e.g. 9
    st.caption(_("{right} of {n} shown images are classified correctly.").format(
        right=correct_count(frame.probabilities[indices], labels), n=len(indices)))
    reports = class_reports(frame.matrix)
    st.plotly_chart(charts.bars([r.name for r in reports], [r.accuracy for r in reports], _("Per-class accuracy"),
                                y_range=(0, 1.2), text_format=".0%"), key=f"{where}_tl_classes",
                    alt=_("Per-class accuracy"))


def first_layer(timeline: Timeline, frame: Frame, where: str) -> None:
    """The first layer's weights as 28x28 pictures: the strongest units, or the units the learner picks."""
    units = frame.network.layers[0][0].shape[1]
    strongest = timeline.strongest_units(16)
    chosen = st.multiselect(_("Units"), range(units), default=strongest, key=f"{where}_tl_units", max_selections=16,
                            format_func=lambda u: _("unit {n}").format(n=u),
                            help=_("By default the 16 units with the largest weights at the last epoch."))
    if not chosen:
        st.info(_("Choose one or more units to see their weights."))
        return
    images = frame.network.weight_images()[chosen]
    scale = timeline.weight_range(list(chosen))
    # Translators: a tile's title in a picture of weights; {n}: a unit's number, e.g. 17
    titles = [_("unit {n}").format(n=u) for u in chosen]
    st.plotly_chart(charts.weight_mosaic(images, titles, scale, columns=4), key=f"{where}_tl_weights",
                    alt=_("First-layer weights of several units as images"))
    # Translators: {limit}: where the colour scale ends, e.g. "0.25"
    st.caption(_("Blue pixels push a unit's sum up, red pixels push it down. The colours are the same in every "
                 "epoch and end at ±{limit} (a few larger weights get the end colour).").format(limit=number(scale, 2)))

