"""The app's page scripts, run through st.navigation in streamlit_app.py; shared helpers live in ui/."""
