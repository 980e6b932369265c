"""What each part may import, read from the source (AST): in fmnist_core, Keras and TensorFlow only under
``net/`` (only worker processes import its Keras modules), tensorflow-datasets only lazily for its optional data
source, Streamlit nowhere, and each part only the parts of the layers below it (``LAYERS``), with no circle of
modules; in the app, Streamlit's public API only (its internals change between releases)."""

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


# The layers of fmnist_core, bottom first: a part may import the parts of the layers below its own, never a part
# of its own layer or above (an import that runs up the stack, or a circle). The web process reaches down from
# ``runs``/``lessons``/``queue``/``views``; worker processes alone run ``net``'s Keras modules.
LAYERS = (
    ("i18n", "settings", "memory"),  # a script run's language; the FMNIST_* variables; a process's heap
    ("config",),  # RunConfig and FIELDS
    ("data", "forward", "reports"),  # the images; the NumPy forward pass; what workers report (no TensorFlow)
    ("net",),  # Keras (worker processes), and the TensorFlow-free listener and mistake outcome
    ("runs",),  # training, results, the run store and its reuse
    ("lessons", "queue", "views"),  # what the numbers mean; the queue; charts and the progress bar
    ("classroom",),  # a teacher's class: codes, nicknames, its records, the board's figures
    ("bench",),  # the benchmarks
    ("cli",),  # python -m fmnist_core
    ("__init__", "__main__"),  # the package's public names; the entry point
)
MAY_IMPORT = {name: {below for lower in LAYERS[:i] for below in lower} for i, layer in enumerate(LAYERS)
              for name in layer}


def part(module: str) -> str:
    """The part of fmnist_core a dotted module belongs to: 'fmnist_core.runs.cache' -> 'runs'."""
    names = module.split(".")
    return names[1] if len(names) > 1 else "__init__"


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    names = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(names)


MODULES = {module_name(p): p for p in SOURCES}


def internal_imports(path: Path) -> list[tuple[str, int]]:
    """Each import of an fmnist_core module by ``path`` (at import time, in a function, or for type checking):
    (the module imported, line). ``from . import x`` names the module ``x`` when it is one."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                found.append((f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base, node.lineno))
    return [(name, line) for name, line in found if name in MODULES]


def test_the_layer_table_names_every_part():
    assert {part(name) for name in MODULES} == set(MAY_IMPORT)


@pytest.mark.parametrize("path", SOURCES, ids=where)
def test_imports_run_down_the_layers(path):
    own = part(module_name(path))
    assert [f"line {line}: {name}" for name, line in internal_imports(path)
            if part(name) != own and part(name) not in MAY_IMPORT[own]] == []


def test_no_circle_of_modules():
    graph = {name: {target for target, _ in internal_imports(path)} - {name} for name, path in MODULES.items()}
    state: dict[str, str] = {}
    circles = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                circles.append(" -> ".join([*trail[trail.index(target):], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_the_app_never_imports_the_network_package():
    """The pages reach what workers report through ``fmnist_core.reports``, never ``fmnist_core.net`` (Keras's
    home: only worker processes import it)."""
    found = []
    for path in [ROOT / "streamlit_app.py", *sorted((ROOT / "pages").rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.startswith("fmnist_core.net")]
    assert found == []
