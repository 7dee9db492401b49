"""The layering a reviewer of the sandbox relies on, checked from the source (no grading run).

- ``descent.isolation`` imports neither pytest nor the grading plugin or the command line;
  the plugin's glue (``plugin_workers.py``) is the only way in from the plugin.
- What grader code sees (``impl``, ``checker``, ``compare``, ``callables``, ``tape``,
  ``gradcheck``, ``graders/``, ``exercises/``) imports nothing from ``descent.isolation``.
- The trusted side of a connection is a stack: each module imports only those below it.
- No module but the entry point imports the command line (no import loop through ``cli``).
- No function of the isolation package is longer than a screen.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parents[1]
SRC = KIT / "src" / "descent"
ISOLATION = SRC / "isolation"
SCREEN = 60   # lines, a function's whole text (signature, docstring and body)
# The trusted side of a connection, lowest first.
STACK = ["errors", "edits", "handles", "pipeline", "codec", "connection", "remote"]
GRADER_FACING = ["impl", "checker", "compare", "callables", "tape", "gradcheck"]


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent if SRC.parent in path.parents else KIT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of the file, as absolute dotted names."""
    tree = ast.parse(path.read_text())
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            stem = ".".join(base + ([node.module] if node.module else []))
            found.add(stem)
            found.update(f"{stem}.{alias.name}" for alias in node.names)
    return found


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _offenders(paths, forbidden) -> dict[str, list[str]]:
    bad = {}
    for path in paths:
        hits = sorted(i for i in _imports(path) if any(i == f or i.startswith(f + ".")
                                                       for f in forbidden))
        if hits:
            bad[str(path.relative_to(KIT))] = hits
    return bad


def test_the_isolation_package_knows_nothing_of_pytest_or_the_plugin():
    forbidden = ["pytest", "_pytest", "descent.plugin", "descent.plugin_workers",
                 "descent.cli"]
    assert _offenders(_files(ISOLATION), forbidden) == {}


def test_what_graders_see_imports_nothing_from_isolation():
    paths = [SRC / f"{name}.py" for name in GRADER_FACING]
    paths += _files(KIT / "graders") + _files(KIT / "exercises")
    assert _offenders(paths, ["descent.isolation"]) == {}


@pytest.mark.parametrize("level", range(len(STACK)))
def test_each_trusted_module_imports_only_those_below_it(level):
    above = [f"descent.isolation.{name}" for name in STACK[level + 1:]]
    assert _offenders([ISOLATION / f"{STACK[level]}.py"], above) == {}


def test_only_the_entry_point_imports_the_command_line():
    # course/runner.py is the entry point of a grading subprocess (python -m): it runs
    # descent.cli.main there, and nothing imports it for that function.
    entry_points = {SRC / "cli.py", SRC / "__main__.py", SRC / "course" / "runner.py"}
    paths = [p for p in _files(SRC) if p not in entry_points]
    assert _offenders(paths, ["descent.cli"]) == {}


def test_no_isolation_function_is_longer_than_a_screen():
    long = []
    for path in _files(ISOLATION):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > SCREEN:
                    long.append(f"{path.name}:{node.name} ({lines} lines)")
    assert long == []


def test_the_checks_see_real_imports():
    """The scanner itself: it finds a relative import inside a function."""
    found = _imports(ISOLATION / "remote.py")
    assert "descent.isolation.connection" in found and "descent.impl" in found
