"""A process's memory: few heaps for its threads, and freed heap given back to the system.

The web process runs one script thread per session. glibc gives threads that allocate at the same moment heaps of
their own (arenas, up to eight per core) and keeps what they free; pyarrow (Streamlit's tables) keeps freed memory
in a pool of its own. With 8 learners in real browsers the web process peaked at 519 MiB and kept 514 MiB after
they left; with two arenas and pyarrow on the same heap, 330 and 266 MiB (``benchmarks/bench_classroom_browser.py``,
docs/performance.md). Nothing here changes a result; where glibc or pyarrow is missing it does nothing.

glibc reads its limit only until a process has more than eight heaps, and keeps the heaps it made, so the sure way
is the environment at the start (``make run`` sets ``MALLOC_ARENA_MAX=2 ARROW_DEFAULT_MEMORY_POOL=system``).
``few_heaps``, called by the app's preload at the first page, is the fallback for a plain ``streamlit run``: pyarrow
follows it at once; glibc only if the server's threads have not made their heaps yet (with 20 learners it did not
show: web peak 764 MiB, 521 MiB after the class).
"""

from __future__ import annotations

import contextlib
import ctypes

M_ARENA_MAX = -8  # mallopt's parameter number for the most arenas (glibc's malloc.h)


def few_heaps(arenas: int = 2) -> bool:
    """From now on at most ``arenas`` glibc heaps for all threads, and pyarrow's memory on that heap too (so
    ``trim_heap`` can give it back); whether both took effect. Call it once, early, before threads pile up."""
    done = False
    with contextlib.suppress(OSError, AttributeError):
        done = ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, arenas) == 1
    try:
        import pyarrow
    except ImportError:
        return False
    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    return done


def trim_heap() -> None:
    """Give the heap's free pages back to the system (glibc keeps them for the process otherwise; elsewhere
    nothing happens)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
