"""Concepts page: flattening, the dense layer, ReLU, softmax and labels, shown on a trained network."""

from __future__ import annotations

import pages.ui.preload  # noqa: F401 - first: a fresh server runs a linked page's file alone (preload.py)

# isort: split

import numpy as np
import streamlit as st

from fmnist_core.data import class_names
from fmnist_core.forward import ForwardPass, categorical_cross_entropy, cross_entropy, flatten, one_hot, softmax
from fmnist_core.i18n import _, number, percent
from fmnist_core.views import charts
from pages.ui.data import get_data, test_set_of
from pages.ui.lang import fragment
from pages.ui.navigation import in_app
from pages.ui.run_picker import choose_run
from pages.ui.stored_runs import shared_run
from pages.ui.text import plain
from pages.ui.timeline import watch_it_learn


def main() -> None:
    st.title(_("Inside the network"))
    st.markdown(_("The ideas of the lessons — flattening, dense layers, ReLU, softmax, labels — on the network you "
                  "trained and a real test image. Every number here is computed from them."))
    data = get_data()
    run = choose_run(_("Network")) if data is not None else None
    shared = shared_run(run.key) if run is not None else None
    if shared is None:
        return
    left, right = st.columns([1, 2])
    index = choose_image(left, len(data.y_test))
    image, label = data.x_test[index], int(data.y_test[index])
    network = shared.load_network()  # loaded by shared_run: no second read
    result = network.trace(image)
    show_answer(left, right, run, result, image, index, label)
    tabs = st.tabs([_("Flattening"), _("Dense layer"), "ReLU", "Softmax", _("Labels")])
    with tabs[0]:
        flattening(result, index)
    with tabs[1]:
        dense_layer(network.weight_images(), result, index)
    with tabs[2]:
        relu_section(result, index)
    with tabs[3]:
        softmax_section(result)
    with tabs[4]:
        labels_section(result, index, label)
    test_set = test_set_of(data, shared)
    if test_set is not None:
        watch_it_learn(shared, *test_set[:2], where="concepts")


def names() -> list[str]:
    """The ten class names in the reader's language."""
    return class_names()


def choose_image(column, count: int) -> int:
    """The test image every section uses, from the link's ``image=`` (kept in the link)."""
    linked = st.query_params.get("image", "0")
    start = int(linked) if linked.isdecimal() and len(linked) < 10 and int(linked) < count else 0  # "²", 5,000 digits
    if str(start) != linked:
        # Translators: {value}: the link's text, e.g. "abc"; {last}: the last test image number, e.g. 9999
        st.warning(plain(_("The link's image={value} is not a test image number (0-{last}); showing image 0.").format(
            value=linked[:20], last=count - 1)))
    index = int(column.number_input(_("Test image"), 0, count - 1, start, key="concept_image",
                                    help=_("The index of a test image; every section below uses it.")))
    st.query_params["image"] = str(index)
    return index


def show_answer(left, right, run, result: ForwardPass, image: np.ndarray, index: int, label: int) -> None:
    """The test image, and what the network says about it."""
    classes = names()
    predicted = int(np.argmax(result.probabilities))
    left.plotly_chart(charts.image_figure(image, f"#{index}: {classes[label]}"), key="concept_img",
                      # Translators: {n}: e.g. 42; {name}: a class name, e.g. "Coat"
                      alt=_("Test image {n}: {name}").format(n=index, name=classes[label]))
    # Translators: {predicted}, {label}: class names, e.g. "Shirt", "T-shirt/top"; {confidence}: e.g. "64%"; {run}: the
    # run's description, e.g. "128 units x 1 layer, 10 epochs, normalised"; {parameters}: e.g. "101,770"; {accuracy}:
    # e.g. "88.12%"
    right.markdown(_("The network says **{predicted}** ({confidence}); the label is **{label}**. The network: {run}, "
                     "{parameters} parameters, test accuracy {accuracy}.").format(
        predicted=classes[predicted], confidence=percent(result.probabilities[predicted], 0), label=classes[label],
        run=run.config.describe(), parameters=number(run.parameters), accuracy=percent(run.test_accuracy)))


@fragment
def flattening(result: ForwardPass, index: int) -> None:
    """The 28x28 image laid out as 784 numbers; the row slider reruns only this tab."""
    vector = flatten(result.inputs.reshape(28, 28))
    # Translators: {rows}, {columns}: 28, 28; {size}: 784
    st.markdown(_("A Dense layer reads a list of numbers, not a grid, so **Flatten** lays the 28 rows of the image "
                  "end to end: {rows} x {columns} = **{size}** numbers. Row *r*, column *c* becomes position "
                  "28·*r* + *c*.").format(rows=28, columns=28, size=vector.size))
    row = st.slider(_("Highlight a row"), 0, 27, 14, key="concept_row")
    st.plotly_chart(charts.vector_strip(vector, _("the flattened image: 784 inputs"),
                                        (28 * row, 28 * row + 27)), key="strip",
                    alt=_("The image as one row of 784 values"))
    # Translators: {row}: e.g. 14; {first}, {last}: e.g. 392, 419; {values}: 28 numbers joined by "; ", e.g. "0.00;
    # 0.13; …"
    st.caption(_("Row {row} of the image is positions {first}–{last}: {values}.").format(
        row=row, first=28 * row, last=28 * row + 27,
        values="; ".join(number(v, 2) for v in vector[28 * row : 28 * row + 28])))


@fragment
def dense_layer(weights: np.ndarray, result: ForwardPass, index: int) -> None:
    """The first layer's units drawn as 28x28 weight pictures; its widgets rerun only this tab."""
    # Translators: {n}: units in the first layer, e.g. 128
    st.markdown(_("Each of the **{n}** units of the first Dense layer multiplies every one of the 784 inputs by its "
                  "own weight and adds them up (plus a bias). Drawn as a 28x28 picture, a unit's weights show what "
                  "it looks for: blue pixels push its sum up, red pixels push it down.").format(n=weights.shape[0]))
    k = st.slider(_("Units to show"), 4, min(48, weights.shape[0]), min(16, weights.shape[0]), step=4,
                  key="concept_units") if weights.shape[0] > 4 else weights.shape[0]
    orders = {"strongest": _("strongest response to this image"), "number": _("unit number")}
    order_by = st.radio(_("Order"), list(orders), horizontal=True, key="concept_order", format_func=orders.get)
    order = np.argsort(result.pre_activations)[::-1] if order_by == "strongest" else np.arange(weights.shape[0])
    chosen = order[:k]
    limit = float(np.abs(weights[chosen]).max()) or 1.0
    st.plotly_chart(charts.weight_mosaic(weights[chosen],
                                         # Translators: a picture's title; {n}: a unit's number, e.g. 17; {sum}: its
                                         # sum, e.g. "-3.42"
                                         [_("unit {n}: {sum}").format(n=u, sum=number(result.pre_activations[u], 2))
                                          for u in chosen], limit, columns=8),
                    key="weights", alt=_("First-layer weights of several units as images"))
    # Translators: {n}: a test image's number, e.g. 42; {limit}: e.g. "0.25"
    st.caption(_("The number by each unit is its sum for image #{n} before ReLU (weights up to ±{limit}).").format(
        n=index, limit=number(limit, 2)))


@fragment
def relu_section(result: ForwardPass, index: int) -> None:
    """ReLU on one number and on the first layer's sums; the x slider reruns only this tab."""
    st.markdown(_("**ReLU** keeps a positive sum and turns a negative one into 0: `relu(x) = max(0, x)`. It is "
                  "what lets stacked layers learn more than one straight-line rule."))
    x = st.slider("x", -5.0, 5.0, -1.5, step=0.1, key="concept_x")
    st.plotly_chart(charts.relu_curve(x), key="relu", alt=_("The ReLU function with a marked point"))
    units = result.pre_activations.size
    # Translators: {n}: a test image's number, e.g. 42; {zeroed}: e.g. 61; {units}: e.g. 128; {passed}: e.g. 67
    st.markdown(_("For image #{n}, **{zeroed} of {units}** first-layer units have a negative sum and ReLU sets them "
                  "to 0; {passed} pass their value on.").format(n=index, zeroed=result.zeroed, units=units,
                                                                passed=units - result.zeroed))
    st.plotly_chart(charts.relu_histograms(result.pre_activations, result.activations), key="relu_hist",
                    alt=_("First-layer outputs before and after ReLU"))
    # Translators: {low}, {high}: sums, e.g. "-7.31", "9.02"; {zeroed}: units, e.g. 61
    st.caption(_("Before ReLU the sums range from {low} to {high}; after it nothing is below 0 and {zeroed} units "
                 "sit at 0.").format(low=number(result.pre_activations.min(), 2),
                                     high=number(result.pre_activations.max(), 2), zeroed=result.zeroed))


@fragment
def softmax_section(result: ForwardPass) -> None:
    """Softmax turning scores into probabilities; nudging a score reruns only this tab."""
    st.markdown(_("The last layer gives ten raw **scores**. **Softmax** turns them into probabilities: "
                  "`exp(score)` divided by the sum of all ten `exp(score)`, so they are positive and add up to 1."))
    classes = names()
    s1, s2 = st.columns([1, 2])
    nudged = s1.selectbox(_("Change the score of"), range(10), index=int(np.argmax(result.probabilities)),
                          format_func=classes.__getitem__, key="concept_nudge_class")
    delta = s2.slider(_("by"), -10.0, 10.0, 0.0, step=0.5, key="concept_nudge")
    scores = result.scores.copy()
    scores[nudged] += delta
    probabilities = softmax(scores)
    left, right = st.columns(2)
    left.plotly_chart(charts.bars(classes, scores, _("raw scores (last layer, before softmax)"), charts.GREY),
                      key="scores", alt=_("The ten raw output scores"))
    right.plotly_chart(charts.bars(classes, probabilities, _("probabilities (after softmax)"), charts.BLUE,
                                   (0, 1.1), ".0%"), key="probs", alt=_("The ten probabilities after softmax"))
    total = number(probabilities.sum(), 4)
    # Translators: {total}: e.g. "1.000"; {delta}: e.g. "2.0"; {factor}: e.g. "7.39"
    st.caption(_("The probabilities add up to {total}. Raising one score by {delta} multiplies its exp(score) by "
                 "{factor}.").format(total=total, delta=number(abs(delta), 1), factor=f"{np.exp(abs(delta)):.3g}")
               if delta else
               # Translators: {total}: e.g. "1.000"
               _("The probabilities add up to {total}. Move the slider to change a score.").format(total=total))


def labels_section(result: ForwardPass, index: int, label: int) -> None:
    """A label as an integer and as a one-hot vector, and the loss each goes with."""
    target = one_hot(label)
    # Translators: {n}: a test image's number, e.g. 42; {name}: a class name, e.g. "Coat"
    st.markdown(_("The label of image #{n} is **{name}**. It can be written two ways:").format(
        n=index, name=names()[label]))
    l1, l2 = st.columns(2)
    l1.metric(_("As an integer (sparse)"), label)
    l2.markdown(_("**As a one-hot vector**") + "\n\n`[" + ", ".join(str(int(v)) for v in target) + "]`")
    sparse = cross_entropy(result.probabilities, label)
    categorical = categorical_cross_entropy(result.probabilities, target)
    st.markdown(
        # Translators: {p}: the true class's probability, e.g. "0.9312"; {loss}: e.g. "0.0713"
        "- " + _("The integer goes with `sparse_categorical_crossentropy`: −log(probability of the true class) = "
                 "−log({p}) = **{loss}**.").format(p=number(result.probabilities[label], 4), loss=number(sparse, 4))
        # Translators: {loss}: e.g. "0.0713"; "target" is the one-hot vector's entry (0 or 1), not a goal
        + "\n- " + _("The one-hot vector goes with `categorical_crossentropy`: −Σ target·log(probability) = "
                      "**{loss}**, the same number, because only the true class has a 1.").format(
            loss=number(categorical, 4))
        + "\n- " + _("Mixing them up (integers with `categorical_crossentropy`) is an error: see *Common mistakes*."))


in_app(main)
