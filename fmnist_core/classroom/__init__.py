"""A class of its own: a teacher starts a class, learners join it with a nickname, their runs are recorded, and a
board shows the class learning. No Streamlit here: the pages call into it."""

from .board import Best, Board, board, class_confusion, clock, confusion_sentence, runs_csv, sentences
from .codes import ALPHABET, ClassError, check_nickname, new_code, qr_png, read_code
from .store import ClassInfo, ClassRun, ClassStore, ClassUnavailable, Learner, class_challenge

__all__ = ["ALPHABET", "Best", "Board", "ClassError", "ClassInfo", "ClassRun", "ClassStore", "ClassUnavailable",
           "Learner", "board", "check_nickname", "class_challenge", "class_confusion", "clock", "confusion_sentence",
           "new_code", "qr_png", "read_code", "runs_csv", "sentences"]
