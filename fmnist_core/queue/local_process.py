"""One local worker process as the web process sees it (``WorkerProcess``): started as ``python -m
fmnist_core.queue.local_worker FD`` with the other end of a socket pair, what it is told (``wire``), the thread
that reads what it says, the runs it trains (up to ``slots`` at once, each in a thread of its own there) and the
short tasks it still owes an answer.

Its standard error reaches ours without TensorFlow's start-up lines (``quiet``). It ends as soon as our end of the
socket closes, so none outlives the server.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import wire
from .base import WorkerLost
from .quiet import forward_in_thread, min_level, quiet_environment, to_stderr

if TYPE_CHECKING:
    from .local_job import LocalJob

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]  # the folder holding fmnist_core, for the workers' import path
WORKER_MODULE = "fmnist_core.queue.local_worker"


class Answer:
    """The answer a short task will get (``wire.Called``): its value, or the error a ``WorkerLost`` carries."""

    def __init__(self) -> None:
        self._came = threading.Event()
        self._called: wire.Called | None = None

    def give(self, called: wire.Called) -> None:
        self._called = called
        self._came.set()

    def came(self, timeout: float | None) -> bool:
        """Wait up to ``timeout`` seconds for it; True when it came."""
        return self._came.wait(timeout)

    def value(self) -> Any:
        """The task's return value (after ``came``); WorkerLost with the error's words when it failed."""
        assert self._called is not None
        if not self._called.ok:
            raise WorkerLost(str(self._called.value))
        return self._called.value


class WorkerProcess:
    """One worker process and the thread that reads what it says: each message goes to ``on_message(worker,
    ident, message)``; once the process has ended, ``on_lost(worker)``. It trains up to ``slots`` runs at once.
    Its pool changes ``jobs``, ``runs``, ``due``, ``retiring`` and ``calls`` under the pool's lock."""

    def __init__(self, on_message: Callable[[WorkerProcess, int, wire.FromWorker], None],
                 on_lost: Callable[[WorkerProcess], None], slots: int = 1) -> None:
        ours, theirs = socket.socketpair()
        env = quiet_environment(
            os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
        level = min_level(env)  # its standard error reaches ours without TensorFlow's start-up lines (``quiet``)
        self.proc = subprocess.Popen([sys.executable, "-m", WORKER_MODULE, str(theirs.fileno())],
                                     pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE if level else None)
        theirs.close()
        if self.proc.stderr is not None:
            forward_in_thread(self.proc.stderr, to_stderr, level, name=f"worker-{self.proc.pid}-stderr")
        self.conn = Connection(ours.detach())
        self.on_message, self.on_lost = on_message, on_lost
        self.slots = slots
        self.jobs: dict[int, LocalJob] = {}  # the runs it trains, by the id the messages about each carry
        self.alive = True
        self.runs = 0  # runs ended here
        self.due: str | None = None  # why it is to be replaced (``limits``) once its runs end; it takes no new one
        self.retiring = False  # replaced: it ends when its calls are answered
        self.calls: dict[int, Answer] = {}  # the short tasks it owes an answer, by call id
        self._send_lock = threading.Lock()
        threading.Thread(target=self._read, name=f"worker-{self.proc.pid}", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def free(self) -> int:
        """How many more runs it can take now."""
        return 0 if not self.alive or self.due or self.retiring else self.slots - len(self.jobs)

    def send(self, ident: int, message: wire.ToWorker) -> None:
        """Tell it ``message`` about run (or short task) ``ident``."""
        try:
            with self._send_lock:
                self.conn.send((ident, message))
        except OSError:  # it died: the reader thread reports it
            pass

    def _read(self) -> None:
        while True:
            try:
                ident, message = self.conn.recv()
                self.on_message(self, ident, message)
            except (EOFError, OSError):
                break
            except Exception:  # noqa: BLE001 - a message we cannot read: this worker is lost, not the server
                log.exception("unreadable message from worker process %s; stopping it", self.pid)
                self.proc.kill()
                break
        self.proc.wait()
        self.on_lost(self)

    def answered(self, ident: int, called: wire.Called) -> None:
        """The short task ``ident`` was answered (under the pool's lock); a retiring worker with nothing more to
        answer stops."""
        answer = self.calls.pop(ident, None)
        if answer is not None:
            answer.give(called)
        if self.retiring and not self.calls:
            self.stop()

    def lose_calls(self, error: str) -> None:
        """It ended: every short task it owed fails with ``error`` (under the pool's lock)."""
        calls, self.calls = self.calls, {}
        for answer in calls.values():
            answer.give(wire.Called(ok=False, value=error))

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.proc.poll() is None:
            self.proc.terminate()
