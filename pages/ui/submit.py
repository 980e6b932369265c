"""Asking the queue for a run: this session's and this browser's ids, and the sessions taken off their runs
when they end."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable

import streamlit as st

from fmnist_core.config import RunConfig
from fmnist_core.queue import Job, Refused, Runner
from fmnist_core.queue.visitors import Departures, visitor_id
from pages.ui.runner import get_runner, runner_key
from pages.ui.sessions import connected_check, server_session_id

STOPPED = "stopped_jobs"  # keys of the runs this session pressed Stop on (not watched again until asked for)
SESSION_ID, VISITOR_ID = "queue_session_id", "queue_visitor_id"
XSRF_COOKIE = "_streamlit_xsrf"  # Streamlit's XSRF cookie: one token per browser (``visitors``)
REAP_EVERY = 5.0  # seconds between looks for ended sessions


def session_id() -> str:
    """This page session's id for the queue (Stop is per session): the web server's own id for it, so that the
    queue learns when it ends; a made-up one where there is no server (AppTest)."""
    if SESSION_ID not in st.session_state:
        st.session_state[SESSION_ID] = server_session_id() or uuid.uuid4().hex
    return st.session_state[SESSION_ID]


def visitor() -> str:
    """The browser behind this session (its page loads and tabs count as one for the queue's fairness)."""
    if VISITOR_ID not in st.session_state:
        st.session_state[VISITOR_ID] = visitor_id(st.context.cookies.get(XSRF_COOKIE), st.context.ip_address,
                                                  session_id())
    return st.session_state[VISITOR_ID]


@st.cache_resource(show_spinner=False)
def _departures(cache_root: str, queue_url: str) -> Departures:
    """The sessions that asked for runs, watched by a thread that takes the ended ones off their runs (once
    the web server has dropped them, after ``server.disconnectedSessionTTL``), so that a run nobody watches any
    more leaves the queue."""
    departures = Departures(grace=float(st.get_option("server.disconnectedSessionTTL")))
    connected = connected_check()
    if connected is not None:
        threading.Thread(target=_reap, args=(departures, get_runner(), connected), name="queue-departures",
                         daemon=True).start()
    return departures


def _reap(departures: Departures, runner: Runner, connected: Callable[[str], bool]) -> None:
    while True:
        time.sleep(REAP_EVERY)  # a periodic look, not a wait for a state: nothing waits on it
        try:
            gone = departures.gone(connected)
            if gone:
                runner.drop_sessions(gone)
        except Exception as exc:  # noqa: BLE001 - e.g. Redis down: the next look tries again, the log says why
            logging.getLogger(__name__).warning("could not take ended sessions off their runs (%s: %s)",
                                                type(exc).__name__, exc)


def watching() -> str:
    """This session's id, noted as one to take off its runs when it ends."""
    me = session_id()
    _departures(*runner_key()).seen(me)
    return me


def submit(config: RunConfig) -> Job | None:
    """Queue ``config`` for this session; None after a sentence in the page when it is too big for a page or
    this browser already has its share of runs waiting or training."""
    st.session_state.setdefault(STOPPED, set()).discard(config.key)  # asked for again: watched again
    try:
        return get_runner().submit(config, watching(), limit=True, visitor=visitor())
    except Refused as exc:
        st.error(str(exc))
        return None
