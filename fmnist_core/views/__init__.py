"""Views: Plotly figures and the command line's text progress bar. No Streamlit here."""
