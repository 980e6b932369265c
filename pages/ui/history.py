"""This session's runs, newest last: what the Train page's metrics compare with and Compare offers first."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from fmnist_core.config import RunConfig
from fmnist_core.runs import RunResult

KEY = "runs"


@dataclass(frozen=True)
class SessionRun:
    """One run this session looked at on the Train page."""

    key: str
    config: RunConfig
    test_accuracy: float
    test_loss: float
    train_seconds: float
    from_cache: bool

    @classmethod
    def of(cls, result: RunResult, from_cache: bool) -> SessionRun:
        return cls(key=result.key, config=result.config, test_accuracy=result.test_accuracy,
                   test_loss=result.test_loss, train_seconds=result.train_seconds, from_cache=from_cache)


def session_runs() -> list[SessionRun]:
    """This session's runs, oldest first."""
    return st.session_state.setdefault(KEY, [])


def remember(result: RunResult, from_cache: bool) -> SessionRun | None:
    """Put ``result`` (``from_cache`` or not) last in this session's runs (once); returns the run before it, if
    any."""
    runs = session_runs()
    if not runs or runs[-1].key != result.key:
        runs[:] = [r for r in runs if r.key != result.key]
        runs.append(SessionRun.of(result, from_cache))
    return runs[-2] if len(runs) > 1 else None
