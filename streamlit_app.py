"""Fashion-MNIST Lab: a Streamlit multipage app over fmnist_core. Run: streamlit run streamlit_app.py"""

import streamlit as st

st.set_page_config(page_title="Fashion-MNIST Lab", page_icon="👕", layout="wide")

navigation = st.navigation({
    "Learn": [
        st.Page("pages/train.py", title="Train", icon="🏋️", default=True),
    ],
})
st.sidebar.caption("Fashion-MNIST Lab: a dense network learns to recognise clothing. "
                   "Every number here comes from a real run.")
navigation.run()
