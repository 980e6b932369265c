"""Fashion-MNIST Lab: a Streamlit multipage app over fmnist_core. Run: streamlit run streamlit_app.py"""

import streamlit as st

from fmnist_core.net.warmup import warm_up_in_background
from pages.ui.navigation import APP_NAVIGATION_MARK, accept_home_alias
from pages.ui.runs import prefetch_experiments

st.set_page_config(page_title="Fashion-MNIST Lab", page_icon=":material/checkroom:", layout="wide")


def page(path: str, title: str, url: str, icon: str, default: bool = False) -> st.Page:
    """One entry of the menu (the URL is the file's name, as Streamlit's folder-based mode would name it)."""
    return st.Page(f"pages/{path}", title=title, url_path=url, icon=f":material/{icon}:", default=default)


st.session_state[APP_NAVIGATION_MARK] = True  # see pages.ui.navigation.ensure_app_navigation

accept_home_alias("train")  # the Train page is home: /train?… links open it too
navigation = st.navigation({
    "Learn": [
        page("train.py", "Train", "train", "model_training", default=True),
        page("data.py", "The data", "data", "photo_library"),
        page("concepts.py", "Inside the network", "concepts", "neurology"),
        page("compare.py", "Compare runs", "compare", "compare_arrows"),
    ],
    "Experiments": [
        page("epochs.py", "More epochs?", "epochs", "timer"),
        page("units.py", "More units?", "units", "grid_view"),
        page("layers.py", "More layers?", "layers", "layers"),
        page("normalisation.py", "Normalise or not?", "normalisation", "tune"),
        page("dropout.py", "Does dropout help?", "dropout", "blur_on"),
        page("early_stopping.py", "Stop early?", "early_stopping", "front_hand"),
        page("mistakes.py", "Common mistakes", "mistakes", "report"),
    ],
    "Try it": [
        page("classify.py", "Classify your garment", "classify", "draw"),
    ],
})
st.sidebar.caption("Fashion-MNIST Lab: a dense network learns to recognise clothing. "
                   "Every number here comes from a real run.")
try:
    navigation.run()
finally:  # also when the page stopped early (st.stop): TensorFlow ready before the first Train click
    warm_up_in_background()
    prefetch_experiments()
