"""The app's pages (run through st.navigation in streamlit_app.py) and their shared Streamlit helpers."""
