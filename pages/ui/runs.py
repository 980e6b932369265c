"""Runs for the pages: the shared job runner and run cache, watching a job live, a sweep, choosing a stored run."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime

import streamlit as st

from fmnist_core.config import RunConfig
from fmnist_core.i18n import _, date_time, ngettext, number, percent
from fmnist_core.queue import (
    NO_WORKER,
    Job,
    JobSnapshot,
    JobStatus,
    Refused,
    Runner,
    failure_sentence,
    open_runner,
    start_workers,
)
from fmnist_core.queue.visitors import Departures, visitor_id
from fmnist_core.runs import Lookup, RunCache, RunResult, RunUnavailable, default_cache_dir
from fmnist_core.views import charts, format_metrics
from pages.ui.lang import fragment
from pages.ui.sessions import connected_check, server_session_id
from pages.ui.text import plain


@st.cache_resource(show_spinner=False)
def _runner_for(cache_root: str, queue_url: str) -> Runner:
    return open_runner(RunCache(cache_root))


def get_runner() -> Runner:
    """The process-wide runner for the current cache folder and queue (shared by all sessions)."""
    import os

    from fmnist_core.queue import QUEUE_URL_ENV

    return _runner_for(str(default_cache_dir()), os.environ.get(QUEUE_URL_ENV, ""))


WARM_UP_ENV = "FMNIST_WARM_UP"


def warm_up_workers() -> None:
    """After the first paint: start the worker processes, so TensorFlow is ready before the first Train click
    (``FMNIST_WARM_UP=0``: only when first needed)."""
    import os

    if os.environ.get(WARM_UP_ENV, "1") != "0":
        start_workers(get_runner())


PREFETCH_ENV = "FMNIST_PREFETCH"
STOPPED = "stopped_jobs"  # keys of the runs this session pressed Stop on (not watched again until asked for)


@st.cache_resource(show_spinner=False)
def _prefetch(cache_root: str) -> int:
    from fmnist_core.lessons import EXPERIMENTS

    configs = dict.fromkeys(c for e in EXPERIMENTS.values() for c in e.configs())
    return len(get_runner().prefetch(sorted(configs, key=lambda c: -c.epochs)))  # longest first


SESSION_ID, VISITOR_ID = "queue_session_id", "queue_visitor_id"
XSRF_COOKIE = "_streamlit_xsrf"  # Streamlit's XSRF cookie: one token per browser (``visitors``)
PREFETCH_RETRY_SECONDS = 60.0
_prefetch_retry_at: dict[tuple[str, str], float] = {}  # (cache, queue URL) -> when to try again after a failure


def prefetch_experiments() -> None:
    """Once per process: queue every experiment page's default runs in the background, at the lowest priority
    (a learner's run always goes first), so a newcomer's first visit to any experiment page is instant.
    ``FMNIST_PREFETCH=0`` switches it off. After a failure (Redis not answering) the next try waits a minute,
    not the next page run, and the log says why in one line each time."""
    import os

    from fmnist_core.queue import QUEUE_URL_ENV

    target = (str(default_cache_dir()), os.environ.get(QUEUE_URL_ENV, ""))
    if os.environ.get(PREFETCH_ENV, "1") == "0" or time.monotonic() < _prefetch_retry_at.get(target, 0.0):
        return
    try:
        _prefetch(target[0])
    except Exception as exc:  # noqa: BLE001 - e.g. Redis unreachable: the pages work on, the log says why
        _prefetch_retry_at[target] = time.monotonic() + PREFETCH_RETRY_SECONDS
        logging.getLogger(__name__).warning("could not queue the experiment pages' runs (%s: %s); trying again in "
                                            "%.0f s", type(exc).__name__, exc, PREFETCH_RETRY_SECONDS)


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


REAP_EVERY = 5.0  # seconds between looks for ended sessions


@st.cache_resource(show_spinner=False)
def _departures(cache_root: str, queue_url: str) -> Departures:
    """The sessions that asked for runs, watched by a thread that takes the ended ones off their runs (once
    the web server has dropped them, after ``server.disconnectedSessionTTL``), so that a run nobody watches any
    more leaves the queue."""
    departures = Departures(grace=float(st.get_option("server.disconnectedSessionTTL")))
    connected = connected_check()
    if connected is not None:
        threading.Thread(target=_reap, args=(departures, _runner_for(cache_root, queue_url), connected),
                         name="queue-departures", daemon=True).start()
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


def _watching() -> str:
    """This session's id, noted as one to take off its runs when it ends."""
    import os

    from fmnist_core.queue import QUEUE_URL_ENV

    me = session_id()
    _departures(str(default_cache_dir()), os.environ.get(QUEUE_URL_ENV, "")).seen(me)
    return me


def submit(config: RunConfig) -> Job | None:
    """Queue ``config`` for this session; None after a sentence in the page when it is too big for a page or
    this browser already has its share of runs waiting or training."""
    st.session_state.setdefault(STOPPED, set()).discard(config.key)  # asked for again: watched again
    try:
        return get_runner().submit(config, _watching(), limit=True, visitor=visitor())
    except Refused as exc:
        st.error(str(exc))
        return None


def cached_lookup(config: RunConfig) -> Lookup:
    """What the cache gives for ``config``: its stored run, or one read off a longer stored run (``run`` None when
    neither); a damaged entry is discarded and the page says so."""
    found = get_runner().cache.get_or_derive(config)
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


def progress_text(snap: JobSnapshot, job: Job | None = None) -> str:
    """'waiting: 2 runs ahead of yours (about 15 s)' for a queued job (or that no worker is running), 'epoch 3/10 ·
    loss 0.41 · acc 0.85 · val acc 0.86' for a running one."""
    position = get_runner().position(job) if job is not None and snap.status is JobStatus.QUEUED else None
    if position is not None:
        if position.workers == 0:
            return _(NO_WORKER)
        if position.ahead == 0:
            return _("next in line…")
        # Translators: {n}: runs queued before this one, e.g. 2; {seconds}: about how long until it starts, e.g. "15"
        return ngettext("waiting: {n} run is ahead of yours (about {seconds} s)",
                        "waiting: {n} runs are ahead of yours (about {seconds} s)", position.ahead).format(
            n=position.ahead, seconds=number(position.seconds))
    if not snap.epoch:
        return _("preparing the data and compiling the model…")
    logs = dict(snap.logs)
    for key in ("val_loss", "val_accuracy"):
        if key not in logs and snap.history.get(key):
            logs[key] = snap.history[key][-1]
    return format_metrics(snap.epoch, snap.config.epochs, logs)


def watch(job: Job, label: str = "", stop_key: str = "stop") -> JobSnapshot | None:
    """The job's final snapshot once it has finished (or this session has pressed Stop on it); until then None,
    after drawing its queue position or live progress bar and curves in a fragment that refreshes itself twice
    a second, so a waiting learner does not rerun the page. When the job ends, the fragment reruns the page."""
    me = session_id()
    if job.key in st.session_state.get(STOPPED, set()):  # this session pressed Stop: report, do not watch again
        snap = job.snapshot()
        if not snap.finished and snap.watchers == 0:  # nobody else watches: it is cancelled at its next chunk
            job.wait(30)
            snap = job.snapshot()
        return snap
    if not job.watched_by(me) and job.live:
        get_runner().submit(job.config, _watching(), visitor=visitor())  # watching again, e.g. after the server
        # forgot this session
    snap = job.snapshot()
    if snap.finished:
        return snap
    _live_progress(job.key, label, stop_key)
    return None


@fragment(run_every=0.5)
def _live_progress(key: str, label: str, stop_key: str) -> None:
    job = get_runner().get(key)
    if job is None or job.finished or not job.watched_by(session_id()):
        st.rerun()  # the whole page shows what became of it
    snap = job.snapshot()
    st.button(_("Stop training"), key=stop_key, on_click=_stop, args=(key,),
              help=_("Stop this run for you (it goes on while others watch it); nothing is saved."))
    st.progress(snap.overall_fraction, text=label + progress_text(snap, job))
    epochs = len(snap.history.get("loss", []))
    if epochs:
        st.plotly_chart(charts.training_curves(snap.history), key=f"{stop_key}-live",
                        alt=_("Loss and accuracy per epoch so far"))


def _stop(key: str) -> None:
    st.session_state.setdefault(STOPPED, set()).add(key)
    job = get_runner().get(key)
    if job is not None:
        get_runner().leave(job, session_id())


def report_unfinished(snap: JobSnapshot) -> None:
    """Say in the page why a job did not produce a result."""
    if not snap.finished and snap.watchers:
        # Translators: {n}: other browser sessions still watching this run, e.g. 1
        st.warning(ngettext("Stopped for you; {n} other still watches this run, so it goes on. Press Train to "
                            "watch it again.",
                            "Stopped for you; {n} others still watch this run, so it goes on. Press Train to "
                            "watch it again.", snap.watchers).format(n=snap.watchers))
    elif snap.status is JobStatus.CANCELLED:
        done = len(snap.history.get("loss", []))
        # Translators: {done}: epochs finished when it was stopped, e.g. 3; {epochs}: epochs asked for, e.g. 10
        st.warning(_("Training stopped after {done} of {epochs} epochs. Nothing was saved; press Train to run it "
                     "again.").format(done=done, epochs=snap.config.epochs))
    elif snap.status is JobStatus.FAILED:
        st.error(failure_sentence(snap.error).format(reason=plain(_(snap.error or ""))))


def provenance(found: Lookup) -> str:
    """'From the cache: trained 25 Nov 2026 07:52 UTC in 4.6 s', 'Trained just now in 4.6 s', or where a run
    sharing its beginning came from ('Trained just now, continued from the 10-epoch run ...')."""
    result = found.run
    seconds = number(result.train_seconds, 1)
    if result.origin and not found.from_cache:
        if result.read_off_longer_run:
            # Translators: {origin}: which stored run it was read off, e.g. "taken from the 30-epoch run"
            return _("Ready at once: {origin} (its first epochs are this run; no training needed).").format(
                origin=result.origin_text())
        # Translators: {origin}: which stored run it continued, e.g. "continued from the 10-epoch run"; {seconds}:
        # training time in seconds, e.g. "5.2"
        return _("Trained just now, {origin}: {seconds} s of training in all.").format(origin=result.origin_text(),
                                                                                      seconds=seconds)
    if found.from_cache:
        when = date_time(datetime.fromisoformat(result.trained_at))
        # Translators: {when}: date and time in the language's format, e.g. "25 Nov 2026, 07:52:00"; {seconds}: training
        # time in seconds, e.g. "4.6"
        return _("From the cache: trained {when} UTC in {seconds} s.").format(when=when, seconds=seconds)
    # Translators: {seconds}: training time in seconds, e.g. "4.6"
    return _("Trained just now in {seconds} s.").format(seconds=seconds)


def warn_if_unsaved(found: Lookup) -> None:
    """A run that could not be stored is shown, with a warning that it will not be kept (and what stands in its
    place in the cache, when something does)."""
    if found.saved:
        return
    in_the_way = get_runner().cache.in_the_way(found.run.config)
    if in_the_way is not None:
        # Translators: {path}: a folder on the server, e.g. "/home/teacher/.cache/fmnist-lab/runs/3f9c2a1b7d4e5f60"
        st.warning(plain(_("This run could not be saved because {path} stands in its place in the run cache and is "
                           "not a run (it is left alone: move it away to keep this configuration's runs), so it is "
                           "shown now and gone after a reload.").format(path=in_the_way)))
        return
    st.warning(_("This run could not be saved in the run cache (the disk may be full or read-only), so it will "
                 "not be kept: it is shown now and gone after a reload. The server log says why."))


def run_configs(configs: list[RunConfig], labels: list[str], key: str) -> list[RunResult] | None:
    """Fetch or train each config in turn (longest first: it answers shorter runs), with a progress bar over the
    sweep; None while a run trains (its progress is shown) or after one was stopped or failed (said in the page).

    The request is kept in session state, so the page's next run (a widget, or the end of a run) goes on with it.
    """
    pending = st.session_state.setdefault(f"{key}_pending", {"keys": [c.key for c in configs], "asked": []})
    if pending["keys"] != [c.key for c in configs]:  # other values now: a new sweep
        pending.update(keys=[c.key for c in configs], asked=[])
    total = len(configs)
    results: list[RunResult | None] = [None] * total
    order = sorted(range(total), key=lambda i: -configs[i].epochs)
    for done, i in enumerate(order):
        results[i] = cached_result(configs[i])
        if results[i] is not None:
            continue
        # Translators: {done}: runs ready, e.g. 2; {total}: runs in the comparison, e.g. 4
        st.progress(done / total, text=_("comparison: {done} of {total} runs ready").format(done=done, total=total))
        job = get_runner().get(configs[i].key) if configs[i].key in pending["asked"] else None
        if job is None:
            pending["asked"].append(configs[i].key)
            job = submit(configs[i])
            if job is None:
                st.session_state.pop(f"{key}_pending", None)
                return None
        # Translators: {done}: this run's place, e.g. 2; {total}: e.g. 4; {label}: the run's label, e.g. "10 epochs"
        snap = watch(job, label=_("run {done}/{total}: {label}").format(done=done + 1, total=total,
                                                                         label=labels[i]) + " · ",
                     stop_key=f"{key}_stop_{i}")
        if snap is None:
            return None
        if not snap.done:
            report_unfinished(snap)
            st.session_state.pop(f"{key}_pending", None)
            return None
        results[i] = snap.result
    st.session_state.pop(f"{key}_pending", None)
    return results


def sweep_pending(key: str) -> bool:
    """True if this session asked for a sweep that has not finished (e.g. a rerun interrupted it)."""
    return bool(st.session_state.get(f"{key}_pending"))


def run_choice(result: RunResult, current: bool = False) -> str:
    """How a stored run is offered in a select box: '128 units x 1 layer, 10 epochs — test accuracy 88.1%'
    (``current``: marked as the Train page's current run)."""
    # Translators: a run in a select box; {run}: the run's label, e.g. "128 units x 1 layer, 10 epochs, normalised";
    # {accuracy}: e.g. "88.1%"
    return (_("{run} — test accuracy {accuracy} (the Train page's current run)") if current else
            # Translators: a run in a select box; {run}: the run's label, e.g. "128 units x 1 layer, 10 epochs,
            # normalised"; {accuracy}: e.g. "88.1%"
            _("{run} — test accuracy {accuracy}")).format(run=result.config.describe(),
                                                         accuracy=percent(result.test_accuracy, 1))


def choose_run(label: str) -> RunResult | None:
    """A select box of the cached runs, the most accurate first chosen; the Train page's current run is marked.

    The choice is kept in the URL (``?run=<key>``), so a copied link shows the same run; a link naming a run
    that is not stored falls back with a message. With no run cached, offers one click to train the default
    configuration and returns None meanwhile.
    """
    runner = get_runner()
    runs = runner.cache.list()
    if not runs:
        st.info(_("No trained model yet. Train the default network once (about ten seconds); it is kept for next "
                  "time."))
        job = runner.get(RunConfig().key)
        running = job is not None and not job.finished
        if st.button(_("Train the default model"), type="primary") or running:
            snap = watch(job if running else submit(RunConfig()))
            if snap is not None and not snap.done:
                report_unfinished(snap)
        return None
    by_key = {run.key: run for run in runs}
    train_page_key = st.session_state.get("train_job")
    default_key = max(runs, key=lambda r: r.test_accuracy).key
    linked = st.query_params.get("run")
    if linked and linked not in by_key:
        # Translators: {value}: the run key the link names, e.g. "3f9c2a1b7d4e5f60" (keep "run=" as it is: it is the
        # link's own text)
        st.warning(plain(_("The link's run={value} is not stored here; showing the most accurate run instead.")
                         .format(value=linked[:40])))
    elif linked:
        default_key = linked
    keys = list(by_key)
    chosen = st.selectbox(
        label, keys, index=keys.index(default_key),
        format_func=lambda k: run_choice(by_key[k], current=k == train_page_key),
        help=_("Any trained run from the cache; the most accurate one is chosen at first."),
    )
    st.query_params["run"] = chosen
    return by_key[chosen]
