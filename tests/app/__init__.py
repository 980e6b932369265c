"""The app's pages under Streamlit's AppTest (no browser), one file a page or a page's theme."""
