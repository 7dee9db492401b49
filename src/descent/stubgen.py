"""Generate ``starter/`` from ``solutions/``: the one source of truth for every stub.

In a solution file, code between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` is the answer.
Inside a function the region becomes ``raise NotImplementedError(...)`` naming the exercise;
at module level (helpers only the solution needs) it is dropped. Everything else, signatures and
docstrings included, is copied as is, so starter and solutions cannot drift apart:
``descent stubs --check`` (and the kit's tests) fail when ``starter/`` is not what this generates.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from . import registry
from .errors import DescentError

BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")


class StubError(DescentError, ValueError):
    pass


def _enclosing(tree: ast.Module, line: int) -> tuple[str | None, str | None]:
    """(class name, function name) of the innermost function containing ``line``."""
    best: tuple[str | None, str | None] = (None, None)

    def visit(node, cls):
        nonlocal best
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, child.name)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if child.lineno <= line <= child.end_lineno:
                    best = (cls, child.name)
                    visit(child, cls)

    visit(tree, None)
    return best


def make_stub(source: str, module: str) -> str:
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = BEGIN.match(lines[i])
        if not m:
            if END.match(lines[i]):
                raise StubError(f"{module}.py:{i + 1}: END SOLUTION without BEGIN")
            out.append(lines[i])
            i += 1
            continue
        start = i
        while i < len(lines) and not END.match(lines[i]):
            i += 1
        if i == len(lines):
            raise StubError(f"{module}.py:{start + 1}: BEGIN SOLUTION without END")
        cls, fn = _enclosing(tree, start + 1)
        if fn is not None:
            qualname = f"{cls}.{fn}" if cls else fn
            ex = registry.exercise_of(module, cls or fn)
            label = ex.id if ex else module
            out.append(
                f"{m['indent']}raise NotImplementedError("
                f'"{label}: {qualname} is not implemented yet (starter/{module}.py)")\n'
            )
        i += 1
        # A dropped module-level helper leaves two blank lines; keep the file tidy.
        if fn is None:
            while i < len(lines) and not lines[i].strip() and out and not out[-1].strip():
                i += 1
    return "".join(out)


def generate(solutions: Path, starter: Path, *, check: bool = False) -> list[str]:
    """Write (or with ``check`` only compare) every stub; return the files that differ."""
    solutions, starter = Path(solutions), Path(starter)
    differ = []
    expected_names = set()
    for src in sorted(solutions.glob("*.py")):
        if src.stem not in registry.MODULES:
            continue  # __init__.py and other support files are written by hand on each side
        expected_names.add(src.name)
        stub = make_stub(src.read_text(), src.stem)
        dest = starter / src.name
        if not dest.exists() or dest.read_text() != stub:
            differ.append(src.name)
            if not check:
                starter.mkdir(parents=True, exist_ok=True)
                dest.write_text(stub)
    for extra in sorted(starter.glob("*.py")):
        if extra.stem in registry.MODULES and extra.name not in expected_names:
            differ.append(extra.name)
            if not check:
                extra.unlink()
    return differ
