"""Watching a job: its queue position or live progress while it waits or trains, Stop, and why it gave no run."""

from __future__ import annotations

import streamlit as st

from fmnist_core.i18n import _, ngettext, number
from fmnist_core.queue import NO_WORKER, Job, JobSnapshot, JobStatus, failure_sentence
from fmnist_core.views import charts, format_metrics
from pages.ui.lang import fragment
from pages.ui.runner import get_runner
from pages.ui.submit import STOPPED, session_id, visitor, watching
from pages.ui.text import plain


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
    """The job's final snapshot once it has finished (or this session has pressed Stop on it and others still
    watch it); until then None, after drawing its queue position or live progress bar and curves (or, once Stop
    is pressed, that it is stopping) in a fragment that refreshes itself twice a second, so a waiting learner
    does not rerun the page. When the job ends, the fragment reruns the page."""
    me = session_id()
    if job.key in st.session_state.get(STOPPED, set()):  # this session pressed Stop: report, do not watch again
        snap = job.snapshot()
        if snap.finished or snap.watchers:
            return snap
        # nobody else watches: it is cancelled at its worker's next step, which a busy machine may take a while
        # to reach (a wait here once held the script 30 s and then showed nothing)
        _stopping(job.key)
        return None
    if not job.watched_by(me) and job.live:
        get_runner().submit(job.config, watching(), visitor=visitor())  # watching again, e.g. after the server
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


@fragment(run_every=0.5)
def _stopping(key: str) -> None:
    job = get_runner().get(key)
    if job is None or job.finished:
        st.rerun()  # the whole page says what became of it
    st.info(_("Stopping this run…"), icon=":material/hourglass_top:")


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
