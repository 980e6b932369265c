"""Every ``FMNIST_*`` setting is described once, in ``fmnist_core.settings.SETTINGS``: no other module of the app
reads one (source scan), the README's settings table says what the table says, and a bad number falls back to
its default with one line in the log."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

from fmnist_core import settings
from fmnist_core.settings import SETTINGS
from tests.support import ROOT

APP = [ROOT / "streamlit_app.py", *sorted((ROOT / "pages").rglob("*.py")),
       *sorted((ROOT / "fmnist_core").rglob("*.py"))]
OWN = ROOT / "fmnist_core" / "settings.py"
NUMBERS = [name for name, s in SETTINGS.items() if s.kind in ("number", "integer")]


def default(name: str) -> float:
    """The default of a number setting as its reader gives it."""
    value = float(SETTINGS[name].default_value())
    return int(value) if SETTINGS[name].kind == "integer" else value


def _constants(tree: ast.Module) -> dict[str, str]:
    """A module's names bound to a string at its top level."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            found.update({t.id: node.value.value for t in node.targets if isinstance(t, ast.Name)})
    return found


def _environment_reads(node: ast.AST) -> ast.expr | None:
    """The key of an environment read (``os.environ.get(k)``, ``os.environ[k]``, ``os.getenv(k)``), else None."""
    def environ(n: ast.AST) -> bool:
        return isinstance(n, ast.Attribute) and n.attr == "environ"
    if isinstance(node, ast.Subscript) and environ(node.value):
        return node.slice
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
        if node.func.attr in ("get", "setdefault", "pop") and environ(node.func.value):
            return node.args[0]
        if node.func.attr == "getenv":
            return node.args[0]
    return None


def stray_reads(path: Path) -> list[str]:
    """Where ``path`` names an ``FMNIST_*`` variable as a whole string other than as the first argument of a
    ``settings.<reader>(...)`` call naming a row of the table, or reads the environment with a key that is not a
    plain string of its own (a name kept elsewhere might be one of the settings)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    constants = _constants(tree)
    through = {id(node.args[0]) for node in ast.walk(tree) if isinstance(node, ast.Call) and node.args
               and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
               and node.func.value.id == "settings" and getattr(node.args[0], "value", None) in SETTINGS}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("FMNIST_") \
                and node.value.strip("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == "" and id(node) not in through:
            found.append(f"line {node.lineno}: {node.value!r}")
        key = _environment_reads(node)
        if key is None:
            continue
        value = key.value if isinstance(key, ast.Constant) else constants.get(key.id) if isinstance(key, ast.Name) \
            else None
        if not isinstance(value, str) or value.startswith("FMNIST_"):
            found.append(f"line {node.lineno}: reads the environment with {ast.unparse(key)}")
    return found


@pytest.mark.parametrize("path", [p for p in APP if p != OWN], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_module_but_settings_reads_an_fmnist_variable(path):
    assert stray_reads(path) == []


def test_the_scan_sees_the_ways_a_setting_could_be_read(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('import os\nA_ENV = "FMNIST_A"\nB = "TF_X"\nos.environ.get(B)\nos.environ[A_ENV]\n'
                      'os.getenv("FMNIST_C")\nos.environ.get(name)\nprint("FMNIST_D (a sentence)")\n'
                      'settings.text("FMNIST_DATA_DIR")\nsettings.text("FMNIST_NOT_IN_THE_TABLE")\n')
    assert sorted(line.split(":")[0] for line in stray_reads(sample)) == ["line 10", "line 2", "line 5", "line 6",
                                                                          "line 6", "line 7"]


def test_the_readme_table_lists_the_settings_with_their_defaults_and_words():
    readme = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
              if line.startswith("| `FMNIST_")]
    assert readme == settings.readme_rows()  # the README's rows, in the table's order


@pytest.mark.parametrize("name", NUMBERS)
@pytest.mark.parametrize("bad", ["many", "nan", "-1"])
def test_a_bad_number_falls_back_to_its_default_with_one_warning(name, bad, monkeypatch, caplog):
    monkeypatch.setattr(settings, "_warned", set())  # what earlier tests said in the log is forgotten
    monkeypatch.setenv(name, bad)
    with caplog.at_level(logging.WARNING, logger="fmnist_core.settings"):
        assert [settings.setting(name) for _ in range(3)] == [default(name)] * 3  # said once, not at every read
    assert len(caplog.records) == 1 and name in caplog.text and bad in caplog.text


@pytest.mark.parametrize("name", NUMBERS)
def test_unset_or_empty_is_the_default_without_a_warning(name, monkeypatch, caplog):
    monkeypatch.delenv(name, raising=False)
    with caplog.at_level(logging.WARNING, logger="fmnist_core.settings"):
        unset = settings.setting(name)
        monkeypatch.setenv(name, "")
        assert settings.setting(name) == unset == default(name)
    assert caplog.records == []


@pytest.mark.parametrize(("name", "raw", "value"), [
    ("FMNIST_WORKERS", "0", 1), ("FMNIST_WORKERS", "99", 16), ("FMNIST_WORKERS", "2.7", 2),
    ("FMNIST_MAX_RUNS_PER_VISITOR", "0", 1), ("FMNIST_MAX_RUNS_PER_VISITOR", "1e9", 1000),
    ("FMNIST_OVERRUN", "1e9", 100.0), ("FMNIST_IDLE_WORKERS", "40", 16), ("FMNIST_WORKER_MAX_RUNS", "0", 0),
    ("FMNIST_MAX_RUN_SECONDS", "inf", float("inf")), ("FMNIST_CLASS_DAYS", "0.5", 0.5),
    ("FMNIST_CLASS_LEARNERS", "0", 200), ("FMNIST_CLASS_RECORDS", "inf", 1000),
])
def test_numbers_are_bounded_as_their_readers_always_did(name, raw, value, monkeypatch):
    monkeypatch.setenv(name, raw)
    assert settings.setting(name) == value


@pytest.mark.parametrize(("name", "raw", "on"), [
    ("FMNIST_PREFETCH", None, True), ("FMNIST_PREFETCH", "0", False), ("FMNIST_WARM_UP", "", True),
    ("FMNIST_WARM_UP", "no", True), ("FMNIST_DEBUG", None, False), ("FMNIST_DEBUG", "", False),
    ("FMNIST_DEBUG", "0", True),
])
def test_flags_and_switches(name, raw, on, monkeypatch):
    monkeypatch.delenv(name, raising=False)
    if raw is not None:
        monkeypatch.setenv(name, raw)
    assert settings.flag(name) is on


def test_a_setting_is_read_as_its_kind():
    with pytest.raises(TypeError):
        settings.integer("FMNIST_OVERRUN")
    with pytest.raises(TypeError):
        settings.text("FMNIST_WORKERS")
    with pytest.raises(KeyError):
        settings.setting("FMNIST_NO_SUCH_THING")


def test_the_memory_the_app_may_use_is_the_hosts_or_a_cgroup_limit_on_it(tmp_path):
    cgroup, proc, meminfo = tmp_path / "cgroup", tmp_path / "proc", tmp_path / "meminfo"
    proc.mkdir()
    meminfo.write_text("MemTotal:        2097152 kB\nMemFree:          100 kB\n")
    assert settings.memory_mb(cgroup, proc, meminfo) == 2048 - settings.SYSTEM_MB  # no cgroups: the host's

    # cgroup v2, a systemd unit's limit on a parent of this process's cgroup; "max" below it says nothing
    (proc / "cgroup").write_text("0::/system.slice/fmnist.service/app\n")
    unit = cgroup / "system.slice" / "fmnist.service"
    (unit / "app").mkdir(parents=True)
    (unit / "app" / "memory.max").write_text("max\n")
    assert settings.memory_mb(cgroup, proc, meminfo) == 2048 - settings.SYSTEM_MB
    (unit / "memory.max").write_text(f"{1024 * 2**20}\n")
    assert settings.memory_mb(cgroup, proc, meminfo) == 1024  # a limit is all the app's: no system share off it

    # cgroup v1 (a container's memory controller), the lowest limit wins; garbage is no limit
    (proc / "cgroup").write_text("9:name=systemd:/\n4:cpu,memory:/docker/abc\n0::/\n")
    (cgroup / "memory" / "docker" / "abc").mkdir(parents=True)
    (cgroup / "memory" / "docker" / "abc" / "memory.limit_in_bytes").write_text(f"{700 * 2**20}\n")
    (cgroup / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    assert settings.memory_mb(cgroup, proc, meminfo) == 700
    (cgroup / "memory" / "docker" / "abc" / "memory.limit_in_bytes").write_text("\x00garbage")
    meminfo.write_text("MemFree: 100 kB\n")  # no MemTotal line
    assert settings.memory_mb(cgroup, proc, meminfo) == 9223372036854771712 / 2**20
    (cgroup / "memory" / "memory.limit_in_bytes").unlink()
    assert settings.memory_mb(cgroup, proc, meminfo) is None  # nothing readable: no memory bound on the workers
    assert settings.memory_mb(tmp_path / "none", tmp_path / "none", tmp_path / "none") is None


@pytest.mark.parametrize(("cores", "memory", "threads", "workers"),
                         [(2, 1024, "", 1), (2, 1536, "", 1), (2, 1600, "", 2), (8, 2048, "", 3),
                          (2, 24 * 1024, "", 2), (8, 24 * 1024, "", 4), (8, 2500, "", 4), (2, None, "", 2),
                          (1, None, "", 1),
                          # a process for each run: 600 MB each further one
                          (2, 1600, "1", 1), (2, 2048, "1", 2), (8, 2048, "1", 2), (8, 2500, "1", 3),
                          # two runs a process: the third run starts a second process
                          (8, 2199, "2", 2), (8, 2200, "2", 3), (8, 2499, "2", 3), (8, 2500, "2", 4)])
def test_the_default_number_of_workers_fits_the_cores_and_the_memory(monkeypatch, cores, memory, threads, workers):
    monkeypatch.delenv("FMNIST_WORKERS", raising=False)
    monkeypatch.setenv("FMNIST_WORKER_THREADS", threads)  # empty: the default
    monkeypatch.setattr(settings.os, "cpu_count", lambda: cores)
    monkeypatch.setattr(settings, "memory_mb", lambda: memory)
    assert settings.integer("FMNIST_WORKERS") == workers
