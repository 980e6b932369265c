"""The project's own Streamlit settings are the ones a public link needs (docs/classroom.md, "Trust model of a
public link"): no traceback for learners, and no upload bigger than the app accepts held in the server's memory."""

from __future__ import annotations

import tomllib
from pathlib import Path

from fmnist_core.data.intake import MAX_BYTES

SETTINGS = tomllib.loads((Path(__file__).resolve().parents[3] / ".streamlit" / "config.toml").read_text())
MB = 1024 * 1024


def test_learners_see_an_errors_type_never_its_traceback():
    assert SETTINGS["client"]["showErrorDetails"] in {"type", "none"}  # Streamlit's default, "full", shows paths


def test_the_upload_limit_is_what_the_app_accepts():
    assert MAX_BYTES <= SETTINGS["server"]["maxUploadSize"] * MB <= MAX_BYTES + MB


def test_the_browser_keeps_the_charts_a_rerun_from_a_fragment_refers_to():
    """Streamlit's default (2 runs) let a fragment's st.rerun() refer to a chart the browser had dropped: "Cached
    ForwardMsg MISS", a dead page (tests/browser/test_timeline.py, 2 of 12 runs under load)."""
    assert SETTINGS["global"]["maxCachedMessageAge"] >= 10
