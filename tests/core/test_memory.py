"""fmnist_core.memory: few heaps for a process's threads, pyarrow on the same heap (each in a fresh process)."""

from __future__ import annotations

import subprocess
import sys

from tests.support import ROOT

# Eight threads allocate at the same moment; glibc's malloc_info then says how many heaps (arenas) the process has.
HEAPS = """
import ctypes, re, sys, tempfile, threading
import pyarrow
from fmnist_core.memory import few_heaps, trim_heap
print(few_heaps() if sys.argv[1] == "few" else "-", pyarrow.default_memory_pool().backend_name)
start = threading.Barrier(8)
def work():
    start.wait()
    for _ in range(500):
        [bytearray(3000) for _ in range(50)]
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
trim_heap()
libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = ctypes.c_void_p
with tempfile.NamedTemporaryFile("r") as out:
    report = ctypes.c_void_p(libc.fopen(out.name.encode(), b"w"))
    libc.malloc_info(0, report)
    libc.fclose(report)
    print(len(re.findall("<heap nr=", out.read())))
"""


def heaps(how: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", HEAPS, how], cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_few_heaps_keeps_the_threads_on_two_heaps_and_pyarrow_on_the_system_heap():
    ready, pool, count = heaps("few")
    assert ready == "True" and pool == "system" and int(count) <= 2


def test_without_it_threads_get_heaps_of_their_own():  # what few_heaps is for (glibc's default)
    _, pool, count = heaps("many")
    assert pool != "system" and int(count) > 2
