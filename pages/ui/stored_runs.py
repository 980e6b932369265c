"""Reading stored runs: one config's run (a damaged entry said in the page), a run shared by all sessions, and a
warning when a run could not be kept."""

from __future__ import annotations

import streamlit as st

from fmnist_core.config import RunConfig
from fmnist_core.i18n import _
from fmnist_core.runs import Lookup, RunCache, RunResult, RunUnavailable, default_cache_dir
from pages.ui.runner import get_cache
from pages.ui.text import plain


def cached_lookup(config: RunConfig) -> Lookup:
    """What the cache gives for ``config``: its stored run, or one read off a longer stored run (``run`` None when
    neither); a damaged entry is discarded and the page says so."""
    found = get_cache().get_or_derive(config)
    if found.damage is not None:
        # Translators: {run}: the run's label, e.g. "128 units x 1 layer, 10 epochs, normalised, dropout 0.2"
        st.warning(_("The stored run of “{run}” was damaged and has been discarded; it will be trained again when "
                     "asked for.").format(run=config.describe()))
    return found


def cached_result(config: RunConfig) -> RunResult | None:
    """The run of ``cached_lookup``."""
    return cached_lookup(config).run


@st.cache_resource(show_spinner=False, max_entries=8)
def _shared_run(cache_root: str, key: str) -> RunResult | None:
    return RunCache(cache_root).load(key)


def shared_run(key: str) -> RunResult | None:
    """A stored run shared by all sessions, its network loaded once (the run guards its own loading);
    None after a message in the page when it is gone or damaged."""
    run = _shared_run(str(default_cache_dir()), key)
    try:
        if run is None:
            raise RunUnavailable(_("That run is no longer in the cache; choose another one."))
        run.load_network()  # now, once for every session
        return run
    except RunUnavailable as exc:
        _shared_run.clear()
        st.error(str(exc))
        return None


def warn_if_unsaved(found: Lookup) -> None:
    """A run that could not be stored is shown, with a warning that it will not be kept (and what stands in its
    place in the cache, when something does)."""
    if found.saved:
        return
    in_the_way = get_cache().in_the_way(found.run.config)
    if in_the_way is not None:
        # Translators: {path}: a folder on the server, e.g. "/home/teacher/.cache/fmnist-lab/runs/3f9c2a1b7d4e5f60"
        st.warning(plain(_("This run could not be saved because {path} stands in its place in the run cache and is "
                           "not a run (it is left alone: move it away to keep this configuration's runs), so it is "
                           "shown now and gone after a reload.").format(path=in_the_way)))
        return
    st.warning(_("This run could not be saved in the run cache (the disk may be full or read-only), so it will "
                 "not be kept: it is shown now and gone after a reload. The server log says why."))
