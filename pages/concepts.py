"""Concepts page: flattening, the dense layer, ReLU, softmax and labels, shown on a trained network."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from fmnist_core.data.sources import CLASS_NAMES
from fmnist_core.net.forward import categorical_cross_entropy, cross_entropy, flatten, one_hot, relu, softmax
from fmnist_core.views import charts
from pages.ui.data import get_data
from pages.ui.navigation import ensure_app_navigation
from pages.ui.runs import choose_run, shared_run
from pages.ui.text import plain

ensure_app_navigation()

st.title("Inside the network")
st.markdown("The ideas of the lessons — flattening, dense layers, ReLU, softmax, labels — on the network you "
            "trained and a real test image. Every number here is computed from them.")
data = get_data()
run = choose_run("Network") if data is not None else None
if run is None:
    st.stop()
shared = shared_run(run.key)
if shared is None:
    st.stop()
network = shared.network

c1, c2 = st.columns([1, 2])
linked = st.query_params.get("image", "0")
start = int(linked) if linked.isdigit() and int(linked) < len(data.y_test) else 0
if str(start) != linked:
    st.warning(plain(f"The link's image={linked[:20]} is not a test image number (0-{len(data.y_test) - 1}); "
                     "showing image 0."))
index = int(c1.number_input("Test image", 0, len(data.y_test) - 1, start, key="concept_image",
                            help="The index of a test image; every section below uses it."))
st.query_params["image"] = str(index)
image, label = data.x_test[index], int(data.y_test[index])
result = network.trace(image)
predicted = int(np.argmax(result.probabilities))
c1.plotly_chart(charts.image_figure(image, f"#{index}: {CLASS_NAMES[label]}"), key="concept_img",
                alt=f"Test image {index}, a {CLASS_NAMES[label]}")
c2.markdown(f"The network says **{CLASS_NAMES[predicted]}** ({result.probabilities[predicted]:.0%}); the label is "
            f"**{CLASS_NAMES[label]}**. The network: {run.config.describe()}, "
            f"{run.parameters:,} parameters, test accuracy {run.test_accuracy:.2%}.")

tabs = st.tabs(["Flattening", "Dense layer", "ReLU", "Softmax", "Labels"])

with tabs[0]:
    vector = flatten(result.inputs.reshape(28, 28))
    st.markdown(f"A Dense layer reads a list of numbers, not a grid, so **Flatten** lays the 28 rows of the image "
                f"end to end: {image.shape[0]} x {image.shape[1]} = **{vector.size}** numbers. Row *r*, column *c* "
                "becomes position 28·*r* + *c*.")
    row = st.slider("Highlight a row", 0, 27, 14, key="concept_row")
    st.plotly_chart(charts.vector_strip(vector, "the flattened image: 784 inputs",
                                                       (28 * row, 28 * row + 27)), key="strip",
                    alt="The image as one row of 784 values")
    st.caption(f"Row {row} of the image is positions {28 * row}–{28 * row + 27}: "
               + ", ".join(f"{v:.2f}" for v in vector[28 * row : 28 * row + 28]) + ".")

with tabs[1]:
    weights = network.weight_images()
    st.markdown(f"Each of the **{weights.shape[0]}** units of the first Dense layer multiplies every one of the "
                "784 inputs by its own weight and adds them up (plus a bias). Drawn as a 28x28 picture, a unit's "
                "weights show what it looks for: blue pixels push its sum up, red pixels push it down.")
    k = st.slider("Units to show", 4, min(48, weights.shape[0]), min(16, weights.shape[0]), step=4,
                  key="concept_units") if weights.shape[0] > 4 else weights.shape[0]
    order_by = st.radio("Order", ["strongest response to this image", "unit number"], horizontal=True,
                        key="concept_order")
    order = np.argsort(result.pre_activations)[::-1] if order_by.startswith("strongest") else \
        np.arange(weights.shape[0])
    chosen = order[:k]
    limit = float(np.abs(weights[chosen]).max()) or 1.0
    st.plotly_chart(charts.image_grid(weights[chosen], [f"unit {u}: {result.pre_activations[u]:+.2f}" for u in chosen],
                                      columns=8, colorscale="RdBu", zmid=0.0, height_per_row=120),
                    key="weights", alt="First-layer weights of several units as images")
    st.caption(f"The number by each unit is its sum for image #{index} before ReLU (weights up to ±{limit:.2f}).")

with tabs[2]:
    st.markdown("**ReLU** keeps a positive sum and turns a negative one into 0: relu(x) = max(0, x). It is what "
                "lets stacked layers learn more than one straight-line rule.")
    x = st.slider("x", -5.0, 5.0, -1.5, step=0.1, key="concept_x")
    grid = np.linspace(-5, 5, 201)
    fig = go.Figure(go.Scatter(x=grid, y=relu(grid), mode="lines", name="relu(x)", line={"color": charts.BLUE}))
    fig.add_trace(go.Scatter(x=[x], y=[relu(np.array(x))], mode="markers", marker={"size": 14, "color": charts.RED},
                             name=f"relu({x:.1f}) = {max(0.0, x):.1f}"))
    fig.update_layout(height=280, xaxis_title="x", yaxis_title="relu(x)", margin={"t": 20})
    st.plotly_chart(fig, key="relu", alt="The ReLU function with a marked point")
    units = result.pre_activations.size
    st.markdown(f"For image #{index}, **{result.zeroed} of {units}** first-layer units have a negative sum and "
                f"ReLU sets them to 0; {units - result.zeroed} pass their value on.")
    before = go.Figure()
    before.add_trace(go.Histogram(x=result.pre_activations, name="before ReLU", marker_color=charts.GREY,
                                  opacity=0.7))
    before.add_trace(go.Histogram(x=result.activations, name="after ReLU", marker_color=charts.BLUE, opacity=0.7))
    before.update_layout(barmode="overlay", height=280, xaxis_title="unit output", yaxis_title="units",
                         margin={"t": 20})
    st.plotly_chart(before, key="relu_hist", alt="First-layer outputs before and after ReLU")
    st.caption(f"Before ReLU the sums range from {result.pre_activations.min():.2f} to "
               f"{result.pre_activations.max():.2f}; after it nothing is below 0 and {result.zeroed} units sit at 0.")

with tabs[3]:
    st.markdown("The last layer gives ten raw **scores**. **Softmax** turns them into probabilities: "
                "exp(score) divided by the sum of all ten exp(score), so they are positive and add up to 1.")
    s1, s2 = st.columns([1, 2])
    nudged = s1.selectbox("Change the score of", range(10), index=predicted, format_func=lambda i: CLASS_NAMES[i],
                          key="concept_nudge_class")
    delta = s2.slider("by", -10.0, 10.0, 0.0, step=0.5, key="concept_nudge")
    scores = result.scores.copy()
    scores[nudged] += delta
    probabilities = softmax(scores)
    left, right = st.columns(2)
    left.plotly_chart(charts.bars(CLASS_NAMES, scores, "raw scores (last layer, before softmax)", charts.GREY),
                      key="scores", alt="The ten raw output scores")
    right.plotly_chart(charts.bars(CLASS_NAMES, probabilities, "probabilities (after softmax)", charts.BLUE,
                                   (0, 1.1), ".0%"), key="probs", alt="The ten probabilities after softmax")
    st.caption(f"The probabilities add up to {probabilities.sum():.4f}. Raising one score by {abs(delta):g} "
               f"multiplies its exp(score) by {np.exp(abs(delta)):.3g}" if delta else
               f"The probabilities add up to {probabilities.sum():.4f}. Move the slider to change a score.")

with tabs[4]:
    target = one_hot(label)
    st.markdown(f"The label of image #{index} is **{CLASS_NAMES[label]}**. It can be written two ways:")
    l1, l2 = st.columns(2)
    l1.metric("As an integer (sparse)", label)
    l2.markdown("**As a one-hot vector**\n\n`[" + ", ".join(str(int(v)) for v in target) + "]`")
    sparse = cross_entropy(result.probabilities, label)
    categorical = categorical_cross_entropy(result.probabilities, target)
    st.markdown(
        f"- The integer goes with **sparse_categorical_crossentropy**: −log(probability of the true class) = "
        f"−log({result.probabilities[label]:.4f}) = **{sparse:.4f}**.\n"
        f"- The one-hot vector goes with **categorical_crossentropy**: −Σ target·log(probability) = "
        f"**{categorical:.4f}**, the same number, because only the true class has a 1.\n"
        "- Mixing them up (integers with categorical_crossentropy) is an error: see *Common mistakes*.")
