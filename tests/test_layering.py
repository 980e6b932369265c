"""What each part may import, read from the source (AST): in fmnist_core, Keras and TensorFlow only under
``net/`` (only worker processes import it), tensorflow-datasets only lazily for its optional data source,
Streamlit nowhere; in the app, Streamlit's public API only (its internals change between releases)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fmnist_core"
SOURCES = sorted(PACKAGE.rglob("*.py"))
TENSORFLOW = {"keras", "tensorflow"}
OPTIONAL_SOURCE = {"data/sources.py"}  # tensorflow-datasets, imported inside the function that loads through it


def imports(path: Path) -> list[tuple[str, int, bool]]:
    """Each absolute import of ``path``: (top-level module, line, whether it runs at import of the module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    inside = {id(node) for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
              for node in ast.walk(fn)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(name, node.lineno, id(node) not in inside) for name in names]
    return found


def top(name: str) -> str:
    return name.split(".")[0]


def where(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


@pytest.mark.parametrize("path", [p for p in SOURCES if not where(p).startswith("net/")], ids=where)
def test_keras_and_tensorflow_are_imported_only_under_net(path):
    assert [f"line {line}: {name}" for name, line, _ in imports(path) if top(name) in TENSORFLOW] == []


def test_net_itself_imports_them_only_in_its_modules():
    assert [name for name, *_ in imports(PACKAGE / "net" / "__init__.py") if top(name) in TENSORFLOW] == []


@pytest.mark.parametrize("path", SOURCES, ids=where)
def test_tensorflow_datasets_only_lazily_for_its_source_and_streamlit_never(path):
    found = imports(path)
    assert [line for name, line, _ in found if top(name) == "streamlit"] == []
    datasets = [(line, eager) for name, line, eager in found if top(name) == "tensorflow_datasets"]
    assert not datasets or (where(path) in OPTIONAL_SOURCE and not any(eager for _, eager in datasets))


APP = [ROOT / "streamlit_app.py", *sorted((ROOT / "pages").rglob("*.py")), *SOURCES]


# The one exception, and why: Streamlit has no public way to learn that a session ended (pages/ui/sessions.py).
INTERNALS = {"pages/ui/sessions.py": {"streamlit.runtime.scriptrunner"}}


@pytest.mark.parametrize("path", APP, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_module_outside_the_tests_touches_streamlit_internals(path):
    allowed = INTERNALS.get(path.relative_to(ROOT).as_posix(), set())
    assert [f"line {line}: {name}" for name, line, _ in imports(path)
            if name.startswith("streamlit.") and name not in allowed] == []
