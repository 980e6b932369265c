"""A quiet terminal: TensorFlow's start-up lines kept out of the workers' output, everything else passed on.

``TF_CPP_MIN_LOG_LEVEL=3`` (set before TensorFlow is imported) and absl/``tf.get_logger()`` at ERROR quiet most of
TensorFlow, but not all: TensorFlow 2.21 writes its first C++ lines ("oneDNN custom operations are on", "Could not
find cuda drivers") through absl before absl's logging is set up, whatever the level. So a worker's standard error
goes through ``forward``, which drops C++ log lines below the level ``TF_CPP_MIN_LOG_LEVEL`` names (I=0, W=1, E=2,
F=3; 3 keeps only fatal ones) and absl's "before InitializeLog" notice, and passes every other line on: Python
tracebacks, our own log lines and a run's error reach the terminal. ``TF_CPP_MIN_LOG_LEVEL=0`` shows everything.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, MutableMapping
from typing import BinaryIO

TF_LOG_ENV = "TF_CPP_MIN_LOG_LEVEL"
DEFAULT_LEVEL = "3"
# glog/absl's C++ prefix: severity, MMDD, time, thread, file:line]
_CPP_LINE = re.compile(rb"^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [^\s\]]+:\d+\] ")
_SEVERITIES = b"IWEF"
_NOTICES = (  # absl's notice before its first lines, and the second line of the CPU-instructions one
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    b"To enable the following instructions:",
)


def quiet_environment(env: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """``env`` with ``TF_CPP_MIN_LOG_LEVEL`` defaulting to 3 (a value already there is kept); returns ``env``."""
    env.setdefault(TF_LOG_ENV, DEFAULT_LEVEL)
    return env


def min_level(env: MutableMapping[str, str] | None = None) -> int:
    """The C++ log level hidden below, from ``TF_CPP_MIN_LOG_LEVEL`` (0-3; unset or unreadable: 3)."""
    try:
        return max(0, min(3, int((os.environ if env is None else env).get(TF_LOG_ENV, DEFAULT_LEVEL))))
    except ValueError:
        return int(DEFAULT_LEVEL)


def hidden(line: bytes, level: int) -> bool:
    """True for one of TensorFlow's C++ log lines below ``level`` (and absl's notices, unless ``level`` is 0)."""
    match = _CPP_LINE.match(line)
    if match:
        return _SEVERITIES.index(match.group(1)) < level
    return level > 0 and line.startswith(_NOTICES)


def forward(source: BinaryIO, write: Callable[[bytes], object], level: int) -> None:
    """Copy ``source``'s lines to ``write`` until it ends, leaving out the ``hidden`` ones."""
    for line in iter(source.readline, b""):
        if not hidden(line, level):
            with contextlib.suppress(OSError, ValueError):
                write(line)


def forward_in_thread(source: BinaryIO, write: Callable[[bytes], object], level: int,
                      name: str = "stderr-filter") -> threading.Thread:
    """``forward`` in a daemon thread (started); the source is closed when it ends."""

    def run() -> None:
        with contextlib.suppress(OSError, ValueError), source:
            forward(source, write, level)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def to_stderr(line: bytes) -> None:
    """Write one line to this process's standard error as it is now (flushed)."""
    stream = sys.stderr
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        buffer.write(line)
    else:
        stream.write(line.decode(errors="replace"))
    stream.flush()


def filter_own_stderr() -> None:
    """Route this process's file descriptor 2 (and its children's: RQ's work horses) through ``forward``.

    For ``python -m fmnist_core worker``; the local workers' output is filtered by the app server that reads it."""
    quiet_environment(os.environ)
    quiet_python_logging()
    level = min_level()
    if level == 0:
        return
    sys.stderr.flush()
    terminal = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    thread = forward_in_thread(os.fdopen(read_end, "rb"), lambda line: os.write(terminal, line),
                               level)

    def drain() -> None:  # at exit: our end of the pipe closed, what is left in it is still shown
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        os.dup2(terminal, 2)
        thread.join(2)

    atexit.register(drain)


def quiet_python_logging() -> None:
    """absl's and TensorFlow's Python loggers at ERROR; callable before TensorFlow is imported (it does not import it:
    ``tf.get_logger()`` is the ``tensorflow`` logger, whose level TensorFlow leaves as it finds it)."""
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    with contextlib.suppress(ImportError):  # absl comes with TensorFlow
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
