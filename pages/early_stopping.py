"""Experiment: stop training early, at a target accuracy or when validation loss stops improving."""

import streamlit as st

from fmnist_core.experiments import EARLY_STOP_PATIENCE, EARLY_STOP_TARGET, EXPERIMENTS, early_stopping_configs
from pages.ui.common import cached_result, ensure_app_navigation, get_data, run_configs, sweep_pending
from pages.ui.experiment_view import shared_settings, show_results

ensure_app_navigation()

experiment = EXPERIMENTS["early_stopping"]
st.title("Experiment: early stopping")
st.markdown(f"### {experiment.question}\n"
            "Three runs with the same settings: one trains for every epoch; one stops when **training accuracy** "
            "reaches a target you pick (a Keras callback that sets `model.stop_training`); one stops when "
            "**validation loss** has not improved for a few epochs (Keras `EarlyStopping` with "
            "`restore_best_weights=True`, so the saved model is the one from its best epoch).")
with st.expander("The two Keras callbacks"):
    st.code('''class StopAtAccuracy(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if logs["accuracy"] >= target:
            self.model.stop_training = True

keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)''', language="python")

with st.form("early_stopping_form"):
    c1, c2 = st.columns(2)
    target = c1.slider("Stop when training accuracy reaches", 0.80, 0.99, EARLY_STOP_TARGET, step=0.01,
                       key="early_stopping_target")
    patience = c2.slider("…or when validation loss has not improved for (epochs)", 1, 10, EARLY_STOP_PATIENCE,
                         key="early_stopping_patience")
    base = shared_settings(experiment, "early_stopping")
    submitted = st.form_submit_button("Run the comparison", type="primary")

configs = early_stopping_configs(base, round(target, 2), patience)
labels = [experiment.label(c) for c in configs]
if get_data() is not None:
    if submitted or sweep_pending("early_stopping"):
        results = run_configs(configs, labels, key="early_stopping")
    else:
        cached = [cached_result(c) for c in configs]
        results = [r for r in cached if r is not None]
        if len(results) < len(configs):
            st.info(f"{len(results)} of {len(configs)} runs are ready. Press **Run the comparison** to train the "
                    "rest (each once; later visits are instant).")
    if results:
        show_results(experiment, results)
