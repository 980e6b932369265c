"""A class of its own: a teacher starts a class, learners join it with a nickname, their runs are recorded, and a
board shows the class learning. No Streamlit here: the pages call into it, and get the class records from
``open_store``."""

from __future__ import annotations

from pathlib import Path

from .. import settings
from .board import Best, Board, board, class_confusion, clock, confusion_sentence, of_class, runs_csv, sentences
from .codes import ALPHABET, ClassError, check_nickname, new_code, qr_png, read_code
from .redis_store import RedisClassStore
from .sqlite_store import SQLiteClassStore
from .store import ClassInfo, ClassRun, ClassStore, ClassUnavailable, Learner, class_challenge

__all__ = ["ALPHABET", "Best", "Board", "ClassError", "ClassInfo", "ClassRun", "ClassStore", "ClassUnavailable",
           "Learner", "RedisClassStore", "SQLiteClassStore", "board", "check_nickname", "class_challenge",
           "class_confusion", "clock", "confusion_sentence", "new_code", "of_class", "open_store", "qr_png",
           "read_code", "runs_csv", "sentences"]


def open_store(path: Path | str | None = None, url: str | None = None) -> ClassStore:
    """The class records the environment asks for: in the Redis of ``url`` (default ``FMNIST_QUEUE_URL``) when
    there is one, so every app server shows one board; else in the SQLite file ``path`` (default: beside the run
    cache)."""
    url = settings.text("FMNIST_QUEUE_URL") if url is None else url
    if url:
        return RedisClassStore(url)
    return SQLiteClassStore(path)
