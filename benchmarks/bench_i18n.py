"""Benchmark (not a test): what speaking three languages costs, on the real data.

    .venv/bin/python -m benchmarks.bench_i18n

Prints the cost of loading a catalog (compiled .mo, or the .po compiled in memory), of one translated
sentence and one formatted percentage, and the script time of the Train page showing a stored run in each
language (AppTest, median of 5 reruns, no browser drawing).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from fmnist_core import i18n
from fmnist_core.config import RunConfig, config_to_query

ROOT = Path(__file__).resolve().parents[1]


def per_call_us(action, n: int = 20_000) -> float:
    start = time.perf_counter()
    for _ in range(n):
        action()
    return 1e6 * (time.perf_counter() - start) / n


def catalog_ms(code: str, compiled: bool) -> float:
    mo = i18n.LOCALE_DIR / code / "LC_MESSAGES" / "messages.mo"
    hidden = mo.with_suffix(".mo.bench")
    if not compiled and mo.exists():
        mo.rename(hidden)
    try:
        i18n.catalog.cache_clear()
        start = time.perf_counter()
        i18n.catalog(code)
        return 1000 * (time.perf_counter() - start)
    finally:
        if hidden.exists():
            hidden.rename(mo)
        i18n.catalog.cache_clear()


def page_ms(lang: str, config: RunConfig) -> float:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    for name, value in (config_to_query(config) | {"lang": lang}).items():
        at.query_params[name] = value
    at.run()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    assert not at.exception
    return 1000 * statistics.median(times)


def main() -> None:
    print(f"catalog ko: .mo {catalog_ms('ko', True):.1f} ms, .po compiled in memory {catalog_ms('ko', False):.1f} ms")
    for code in i18n.LANGUAGES:
        i18n.set_language(code)
        print(f"{code}: _() {per_call_us(lambda: i18n._('Train the network')):.2f} us, "
              f"percent() {per_call_us(lambda: i18n.percent(0.8782), 5000):.1f} us")
    i18n.set_language(i18n.DEFAULT)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(FMNIST_CACHE_DIR=tmp, FMNIST_WARM_UP="0", FMNIST_PREFETCH="0")
        from fmnist_core.runs.cache import RunCache

        config = RunConfig(epochs=2)
        RunCache(tmp).get_or_train(config)
        for code in i18n.LANGUAGES:
            print(f"Train page with a stored run, rerun, {code}: {page_ms(code, config):.0f} ms")


if __name__ == "__main__":
    main()
