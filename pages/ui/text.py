"""Showing values that come from outside (links, file names) as plain text, never as markdown or a link."""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>|~$:])")  # what can make markup mid-line (our sentences start lines)
# Streamlit's markdown (remark-gfm) turns bare URLs, www. names and e-mail addresses into links in the text itself,
# after the escapes above are resolved: an invisible word joiner after the scheme, the "www" and the "@" stops it.
_AUTOLINK = re.compile(r"(?i)((?:https?|ftp|mailto|xmpp)(?=:)|www(?=\.)|@)")
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """``text`` for st.markdown/warning/caption with nothing of it markup: every markdown, HTML and LaTeX character
    escaped, and no URL, www. name or e-mail address in it a live link. The one way pages echo a value from a link
    or a file name (a whole sentence holding one, or the value alone)."""
    text = _AUTOLINK.sub(lambda m: m.group(1) + WORD_JOINER, str(text))
    return _MARKDOWN.sub(r"\\\1", text).replace("\n", " ")
