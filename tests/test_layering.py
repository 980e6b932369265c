"""What each part of fmnist_core may import, read from the source (AST): Keras and TensorFlow only under
``net/`` (only worker processes import it), tensorflow-datasets only lazily for its optional data source,
Streamlit nowhere."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "fmnist_core"
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
        found += [(name.split(".")[0], node.lineno, id(node) not in inside) for name in names]
    return found


def where(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


@pytest.mark.parametrize("path", [p for p in SOURCES if not where(p).startswith("net/")], ids=where)
def test_keras_and_tensorflow_are_imported_only_under_net(path):
    assert [f"line {line}: {name}" for name, line, _ in imports(path) if name in TENSORFLOW] == []


def test_net_itself_imports_them_only_in_its_modules():
    assert [name for name, *_ in imports(PACKAGE / "net" / "__init__.py") if name in TENSORFLOW] == []


@pytest.mark.parametrize("path", SOURCES, ids=where)
def test_tensorflow_datasets_only_lazily_for_its_source_and_streamlit_never(path):
    found = imports(path)
    assert [line for name, line, _ in found if name == "streamlit"] == []
    datasets = [(line, eager) for name, line, eager in found if name == "tensorflow_datasets"]
    assert not datasets or (where(path) in OPTIONAL_SOURCE and not any(eager for _, eager in datasets))
