"""Fashion-MNIST Lab: a Streamlit multipage app over fmnist_core. Run: streamlit run streamlit_app.py"""

import streamlit as st

st.set_page_config(page_title="Fashion-MNIST Lab", page_icon=":material/checkroom:", layout="wide")

navigation = st.navigation({
    "Learn": [
        st.Page("pages/train.py", title="Train", icon=":material/model_training:", default=True),
    ],
    "Experiments": [
        st.Page("pages/experiment_epochs.py", title="More epochs?", icon=":material/timer:"),
        st.Page("pages/experiment_units.py", title="More units?", icon=":material/grid_view:"),
        st.Page("pages/experiment_layers.py", title="More layers?", icon=":material/layers:"),
        st.Page("pages/experiment_normalisation.py", title="Normalise or not?", icon=":material/tune:"),
        st.Page("pages/experiment_early_stopping.py", title="Stop early?", icon=":material/front_hand:"),
        st.Page("pages/mistakes.py", title="Common mistakes", icon=":material/report:"),
    ],
})
st.sidebar.caption("Fashion-MNIST Lab: a dense network learns to recognise clothing. "
                   "Every number here comes from a real run.")
navigation.run()
