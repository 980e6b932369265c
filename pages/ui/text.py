"""Showing values that come from outside (links, file names) as plain text, never as markdown."""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>|~$:])")  # what can make markup mid-line (our sentences start lines)


def plain(text: object) -> str:
    """``text`` with every markdown, HTML and LaTeX character escaped, for use inside st.markdown/warning/caption."""
    return _MARKDOWN.sub(r"\\\1", str(text)).replace("\n", " ")
