"""The code's shape: which modules may import what."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "fmnist_core"
APP_FILES = [ROOT / "streamlit_app.py", *sorted((ROOT / "pages").rglob("*.py")), *sorted(CORE.rglob("*.py"))]


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of the file (lazy imports inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_no_module_outside_the_tests_touches_streamlit_internals():
    """Only Streamlit's public API (``import streamlit as st``, ``streamlit.testing`` in tests): its runtime and
    script runner change between releases."""
    internal = {str(p.relative_to(ROOT)): sorted(m for m in imported_modules(p)
                                                  if m.startswith("streamlit.") and m != "streamlit.components.v1")
                for p in APP_FILES}
    assert {path: modules for path, modules in internal.items() if modules} == {}


def test_fmnist_core_knows_nothing_of_streamlit():
    uses = [str(p.relative_to(ROOT)) for p in sorted(CORE.rglob("*.py"))
            if any(m.split(".")[0] == "streamlit" for m in imported_modules(p))]
    assert uses == []
