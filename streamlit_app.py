"""Fashion-MNIST Lab: a Streamlit multipage app over fmnist_core. Run: streamlit run streamlit_app.py"""

import faulthandler
import gc
import signal
import threading
import time

import streamlit as st

import pages.ui.preload  # noqa: F401 - first: every library the pages use, imported before sessions run side by side
from fmnist_core.i18n import _
from fmnist_core.memory import trim_heap
from fmnist_core.queue import QueueUnreachable
from pages.ui.lang import choose_language
from pages.ui.navigation import alias, page, run_page
from pages.ui.runner import prefetch_experiments, warm_up_workers

st.set_page_config(page_title="Fashion-MNIST Lab", page_icon=":material/checkroom:", layout="wide")


choose_language()  # before the menu: its titles are in the reader's language too
home = page("train.py", _("Train"), "home", "model_training", default=True)
navigation = st.navigation({
    _("Learn"): [
        home,
        page("data.py", _("The data"), "data", "photo_library"),
        page("concepts.py", _("Inside the network"), "concepts", "neurology"),
        page("compare.py", _("Compare runs"), "compare", "compare_arrows"),
        alias(home, "train"),  # hidden: /train?… links open the home page
    ],
    _("Experiments"): [
        page("epochs.py", _("More epochs?"), "epochs", "timer"),
        page("units.py", _("More units?"), "units", "grid_view"),
        page("layers.py", _("More layers?"), "layers", "layers"),
        page("normalisation.py", _("Normalise or not?"), "normalisation", "tune"),
        page("dropout.py", _("Does dropout help?"), "dropout", "blur_on"),
        page("early_stopping.py", _("Stop early?"), "early_stopping", "front_hand"),
        page("mistakes.py", _("Common mistakes"), "mistakes", "report"),
    ],
    _("Try it"): [
        page("classify.py", _("Classify your garment"), "classify", "draw"),
    ],
    _("Teach"): [
        page("class.py", _("Start a class"), "class", "groups"),
        page("board.py", _("Class board"), "board", "leaderboard", hidden=True),  # opened by its link (with the key)
    ],
})
st.sidebar.caption(_("Fashion-MNIST Lab: a dense network learns to recognise clothing. Every number here comes "
                     "from a real run."))


@st.cache_resource(show_spinner=False)
def freeze_start_up_heap() -> bool:
    """Once per process, after the first page: what is imported by now lives as long as the server, so the
    garbage collector stops walking it; and a full collection every 10 s instead of after every script and
    fragment run (``runner.postScriptGC`` is off: that was about 0.2 s of every click)."""
    gc.collect()
    gc.freeze()
    threading.Thread(target=_collect_now_and_then, name="gc-every-10s", daemon=True).start()
    return True


@st.cache_resource(show_spinner=False)
def stacks_on_sigusr1() -> bool:
    """Once per process: ``kill -USR1 <server pid>`` prints every thread's stack to the terminal, to see where a
    server that stopped answering waits (the browser tests do it when one fails)."""
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    return True


def _collect_now_and_then(seconds: float = 10.0) -> None:
    """A full collection every ``seconds``; after it, the freed heap goes back to the system (what ended sessions
    held is otherwise kept by the process for good)."""
    while True:
        time.sleep(seconds)
        gc.collect()
        trim_heap()


try:
    run_page(navigation)
except QueueUnreachable as exc:  # every page needs the queue: one sentence instead of redis-py's traceback
    st.error(exc.sentence())
finally:  # also when the page stopped early (st.stop): worker processes ready before the first Train click
    warm_up_workers()
    prefetch_experiments()
    freeze_start_up_heap()
    stacks_on_sigusr1()
