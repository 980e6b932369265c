"""Views: Plotly figures and the command line's text progress bar. No Streamlit here."""

from . import charts
from .progress import format_metrics

__all__ = ["charts", "format_metrics"]
