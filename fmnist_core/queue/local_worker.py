"""A local worker process: ``python -m fmnist_core.queue.local_worker FD``, started by the app's ``local.WorkerPool``.

It imports TensorFlow once and warms it up, then trains the runs its socket ``FD`` asks for (``wire.Train``), each
in a thread of its own (the pool sends no more at once than the process's slots), reporting their progress and how
each ended, and answers short tasks (``wire.Call``: a Common mistake, a ``.keras`` file) in threads beside them.
Runs in threads share TensorFlow and the data; only seeding and building take turns (``KERAS_LOCK``), so each run's
numbers are those it would have alone. Cancel and give-way raise a run's flags, which training reads between
chunks. Keras's state is released when the last run training here ends (``clear_session`` resets every thread's).
It exits as soon as the socket closes: the server is gone, however it ended. Only this process imports TensorFlow
(through ``work``); the web process never imports this module.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from multiprocessing.connection import Connection

from ..config import RunConfig
from ..data.sources import DataError
from ..reports import TrainingCancelled
from ..runs.results import RunUnavailable
from . import wire
from .limits import lower_priority, release_memory
from .quiet import quiet_environment, quiet_python_logging
from .work import TASKS, train_run, warm_up

log = logging.getLogger(__name__)


class Serving:
    """A worker process's end of the socket: the runs asked for, each trained in a thread, and their flags."""

    def __init__(self, fd: int) -> None:
        self.conn, self._send_lock = Connection(fd), threading.Lock()
        self.warm = threading.Event()  # set once the warm-up is over: runs start after it
        self.flags: dict[int, tuple[threading.Event, threading.Event]] = {}  # run id -> (cancel, give way)
        self.training, self._training_lock = 0, threading.Lock()  # runs training now

    def send(self, ident: int, message: wire.FromWorker) -> None:
        with self._send_lock:
            self.conn.send((ident, message))

    def run(self) -> None:
        """Warm up while a thread reads the socket (runs asked for meanwhile wait for the warm-up), then wait for
        the socket to close."""
        reader = threading.Thread(target=self.read, daemon=True)
        reader.start()
        try:
            warm_up()
        except Exception:  # noqa: BLE001 - a failed warm-up only means the first run waits
            log.exception("TensorFlow warm-up failed")
        self.warm.set()
        reader.join()

    def read(self) -> None:
        """Queue runs, raise their cancel and give-way flags, start short tasks; exit when the socket closes."""
        try:
            while True:
                self.take(*self.conn.recv())
        except (EOFError, OSError):
            os._exit(0)  # the server is gone: so are we, mid-run or not

    def take(self, ident: int, message: wire.ToWorker) -> None:
        """One message from the server, about run (or short task) ``ident``."""
        if isinstance(message, wire.Train):
            self.flags[ident] = (threading.Event(), threading.Event())
            threading.Thread(target=self.train, args=(ident, message), name=f"run-{ident}", daemon=True).start()
        elif isinstance(message, wire.Cancel | wire.GiveWay):
            flags = self.flags.get(ident)  # None: the run has just ended (its thread took its flags away)
            if flags is not None:
                (flags[0] if isinstance(message, wire.Cancel) else flags[1]).set()
        elif isinstance(message, wire.Call):
            threading.Thread(target=self.call, args=(ident, message), daemon=True).start()

    def call(self, ident: int, call: wire.Call) -> None:
        """A short task (``work.TASKS``), in its own thread beside the training."""
        try:
            self.send(ident, wire.Called(ok=True, value=TASKS[call.task](*call.args)))
        except Exception as exc:  # noqa: BLE001 - the asker gets the error's words, the worker goes on
            self.send(ident, wire.Called(ok=False, value=str(exc) or type(exc).__name__))

    def train(self, ident: int, task: wire.Train) -> None:
        """Train one run (after the warm-up), reporting its progress, and say how it ended."""
        self.warm.wait()
        cancel, give_way = self.flags[ident]
        with self._training_lock:
            self.training += 1
        outcome: wire.Outcome
        try:
            found, train_images = train_run(RunConfig.from_dict(task.config), task.cache_root,
                                            lambda report: self.send(ident, report),
                                            lambda: cancel.is_set() or give_way.is_set(), task.data_dir,
                                            task.hold_dir, task.allowance)
        except TrainingCancelled:
            outcome = wire.Yielded() if give_way.is_set() and not cancel.is_set() else wire.Cancelled()
        except Exception as exc:  # noqa: BLE001 - reported to the watchers and the terminal, the worker goes on
            if isinstance(exc, DataError | RunUnavailable):  # explained by its message: one line
                log.error("a run failed: %s", exc)
            else:
                log.exception("a run failed (%s)", task.config)
            outcome = wire.Failed(error=str(exc) or type(exc).__name__)
        else:
            outcome = wire.Done(unsaved=None if found.saved else found.run, from_cache=found.from_cache,
                                train_images=train_images)
        self.flags.pop(ident, None)
        with self._training_lock:  # a run starting now waits for the release (it counts itself under this lock)
            self.training -= 1
            self.release(last=not self.training)
        self.send(ident, outcome)

    @staticmethod
    def release(last: bool) -> None:
        """A run ended: the free heap given back, and when it was the ``last`` run training here, Keras's state too;
        before its outcome is sent (the pool weighs this process's memory when it hears it)."""
        try:
            release_memory(keras=last)
        except Exception:  # noqa: BLE001 - memory not given back is no reason to lose the run
            log.exception("releasing a finished run's memory failed")


def serve(fd: int) -> None:
    """A worker process's life: warm up, then train what the socket ``fd`` asks until it closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle; we end with its socket
    quiet_environment(os.environ)  # before TensorFlow is imported (the warm-up imports it)
    quiet_python_logging()
    lower_priority()  # pages and the board before training (FMNIST_WORKER_NICE)
    logging.basicConfig(format="%(asctime)s fmnist worker %(process)d %(levelname)s %(message)s")
    Serving(fd).run()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
