"""Train page: choose a configuration, train it with live progress, look at curves, predictions and mistakes."""

from __future__ import annotations

import numpy as np
import streamlit as st

from fmnist_core import charts
from fmnist_core.config import ConfigError, RunConfig, config_from_query, config_to_query
from fmnist_core.data import CLASS_NAMES, DataError
from fmnist_core.evaluation import confusion_matrix, most_confused, per_class_accuracy, select_examples
from fmnist_core.jobs import CANCELLED, FAILED
from fmnist_core.model import parameter_count
from pages.ui.common import (
    HELP,
    cached_result,
    ensure_app_navigation,
    get_data,
    get_runner,
    is_done,
    provenance,
    report_unfinished,
    test_images,
    watch,
)

ensure_app_navigation()

st.title("Train the network")
st.markdown(
    "Each 28x28 image is **flattened** into 784 numbers, passed through **Dense** layers with **ReLU**, and "
    "the last layer's **softmax** turns ten scores into ten probabilities, one per kind of clothing. "
    "Pick the settings, press **Train**, and watch it learn."
)

runner = get_runner()
config, problems = config_from_query(st.query_params.to_dict())
for problem in problems:
    st.warning(problem)

# ---------------------------------------------------------------- controls (a form: one click, one run)
BATCH_SIZES = sorted({16, 32, 64, 128, 256, 512, config.batch_size})
with st.form("train_form"):
    left, middle, right = st.columns(3)
    epochs = left.slider("Epochs", 1, 100, config.epochs, help=HELP["epochs"], key="epochs")
    units = left.select_slider("Hidden units per layer", sorted({8, 16, 32, 64, 128, 256, 512, 1024, 2048,
                                                                  config.hidden_units}),
                               value=config.hidden_units, help=HELP["hidden_units"], key="units")
    extra = middle.slider("Extra hidden layers", 0, 5, config.extra_layers, help=HELP["extra_layers"], key="extra")
    dropout = middle.slider("Dropout", 0.0, 0.9, config.dropout, step=0.05, help=HELP["dropout"], key="dropout")
    normalize = middle.toggle("Normalise pixels to 0-1", config.normalize, help=HELP["normalize"], key="normalize")
    batch = right.selectbox("Batch size", BATCH_SIZES, index=BATCH_SIZES.index(config.batch_size),
                            help=HELP["batch_size"], key="batch")
    val = right.slider("Validation split", 0.0, 0.5, config.validation_split, step=0.05,
                       help=HELP["validation_split"], key="val")
    seed = right.number_input("Seed", 0, 2**31 - 1, config.seed, help=HELP["seed"], key="seed")
    submitted = st.form_submit_button("Train", type="primary")

if submitted:
    try:
        config = RunConfig(epochs=epochs, hidden_units=units, extra_layers=extra, normalize=normalize,
                           dropout=round(dropout, 4), batch_size=batch, validation_split=round(val, 4),
                           learning_rate=config.learning_rate, seed=int(seed))
    except ConfigError as exc:
        st.error(f"That configuration is not possible: {exc}.")
        st.stop()
    st.query_params.from_dict(config_to_query(config))
    st.session_state["train_job"] = runner.submit(config).config.key

st.caption(f"Configuration: {config.describe()} · {parameter_count(config):,} parameters · key `{config.key}`")

data = get_data()
if data is None:
    st.stop()

# ---------------------------------------------------------------- training or the cached result
job = runner.get(st.session_state.get("train_job", ""))
snap = None
if job is not None and job.config == config:
    snap = job.snapshot()
    if not snap.finished:
        snap = watch(job)
if snap is not None and snap.status in (CANCELLED, FAILED):
    report_unfinished(snap)
    st.stop()
result = snap.result if is_done(snap) else cached_result(config)
if result is None:
    st.info("This configuration has not been trained yet. Press **Train** to train it.")
    st.stop()

# ---------------------------------------------------------------- session history
runs = st.session_state.setdefault("runs", [])
if not runs or runs[-1]["key"] != result.key:
    runs[:] = [r for r in runs if r["key"] != result.key]
    runs.append({"key": result.key, "configuration": result.config.describe(),
                 "test accuracy": round(result.test_accuracy, 4), "test loss": round(result.test_loss, 4),
                 "train seconds": round(result.train_seconds, 1), "from cache": result.from_cache})
previous = runs[-2] if len(runs) > 1 else None

# ---------------------------------------------------------------- results
st.success(provenance(result))
cols = st.columns(4)
accuracy_change = None if previous is None else 100 * (result.test_accuracy - previous["test accuracy"])
cols[0].metric("Test accuracy", f"{result.test_accuracy:.2%}",
               delta=None if previous is None else f"{accuracy_change:+.2f} pts",
               help=f"Share of the {len(data.y_test):,} test images (never seen in training) classified correctly.")
cols[1].metric("Test loss", f"{result.test_loss:.3f}",
               delta=None if previous is None else f"{result.test_loss - previous['test loss']:+.3f}",
               delta_color="inverse", help="Mean cross-entropy on the test set: lower is better.")
cols[2].metric("Epochs trained", f"{result.epochs_run}")
cols[3].metric("Parameters", f"{result.parameters:,}")
if result.stopped_early_at:
    st.info(f"Training stopped early after epoch {result.stopped_early_at}.")

st.subheader("Learning curves")
st.plotly_chart(charts.training_curves(result.history), key="curves",
                alt="Training and validation loss and accuracy per epoch")
if result.history.get("val_loss"):
    best = int(np.argmin(result.history["val_loss"])) + 1
    gap = result.history["accuracy"][-1] - result.history["val_accuracy"][-1]
    st.caption(f"Validation loss was lowest after epoch {best} of {result.epochs_run}. Final training accuracy is "
               f"{100 * gap:+.1f} points above validation accuracy"
               + (" — the network is starting to memorise its training images." if gap > 0.03 else "."))

try:
    images, labels, probabilities = test_images(data, result)
except DataError as exc:
    st.error(str(exc))
    st.stop()

st.subheader("Predictions on test images")
st.markdown("Blue label: right. Red label: wrong. The bars are the ten probabilities: the true class is "
            "**blue**, a wrong prediction **red**, the rest grey.")
c1, c2, c3, c4 = st.columns([1, 1.4, 1.2, 0.8])
n = c1.slider("Images", 3, 30, 15, step=3, key="grid_n")
mode = c2.radio("Show", ["random", "mistakes", "class"], horizontal=True, key="grid_mode",
                format_func={"random": "random", "mistakes": "only mistakes", "class": "one class"}.get)
class_index = c3.selectbox("Class", range(10), format_func=lambda i: CLASS_NAMES[i], key="grid_class",
                           disabled=mode != "class")
sample = c4.number_input("Sample", 0, 10_000, 0, key="grid_sample", help="Another number, other images.")
indices = select_examples(labels, probabilities, n, mode, class_index, seed=int(sample))
if len(indices) == 0:
    st.info("No test images match (no mistakes of that kind).")
else:
    st.plotly_chart(charts.prediction_grid(images[indices], probabilities[indices], labels[indices], indices),
                    key="grid", alt=f"{len(indices)} test images with their predicted probabilities")
    right = int((probabilities[indices].argmax(1) == labels[indices]).sum())
    st.caption(f"{right} of {len(indices)} shown images are classified correctly.")

st.subheader("Where it goes wrong")
matrix = confusion_matrix(labels, probabilities.argmax(axis=1))
tab_matrix, tab_classes = st.tabs(["Confusion matrix", "Per-class accuracy"])
with tab_matrix:
    st.plotly_chart(charts.confusion_figure(matrix), key="confusion",
                    alt="Confusion matrix: counts of test images by true and predicted class")
    worst = most_confused(matrix)
    if worst:
        st.caption("Most frequent confusions: " + "; ".join(
            f"{CLASS_NAMES[t]} taken for {CLASS_NAMES[p]} {c} times" for t, p, c in worst) + ".")
with tab_classes:
    accuracy = per_class_accuracy(matrix)
    st.dataframe({"class": list(CLASS_NAMES), "accuracy": [round(float(a), 4) for a in accuracy],
                  "test images": matrix.sum(axis=1).tolist()}, hide_index=True)

st.subheader("This session's runs")
st.dataframe([{k: v for k, v in r.items() if k != "key"} for r in reversed(runs)], hide_index=True)
