"""Generate ``starter/`` from ``solutions/``: the one source of truth for every stub.

In a solution file, code between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` is the answer.
Inside a function the region becomes ``raise NotImplementedError(...)`` naming the exercise;
at module level (helpers only the solution needs) it is dropped. Everything else, signatures and
docstrings included, is copied as is, so starter and solutions cannot drift apart:
``descent stubs --check`` (and the kit's tests) fail when ``starter/`` is not what this generates.

Writing never replaces a learner's work (self-study happens in ``starter/``): a starter file is
replaced only while it holds nothing but the kit's text, that is while each of its functions
still only raises ``NotImplementedError`` (or is the kit's own helper) and it has no comment or
statement the fresh stub lacks (imports aside). Otherwise the file is kept and the fresh stub is
written beside it as ``<module>.py.new``; ``force`` replaces it anyway.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from .. import registry
from ..errors import DescentError
from ..testwriting import declared as written_tests

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


@dataclass
class StubReport:
    """What :func:`write_stubs` did, by file name."""

    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # the learner's work: fresh stub in .py.new
    removed: list[str] = field(default_factory=list)


def fresh_stubs(solutions: Path) -> dict[str, str]:
    """File name -> the stub made from each exercise module of ``solutions``, and from each
    reference test file of a write-the-tests exercise (``test_mse.py``: the student's template)."""
    return {
        src.name: make_stub(src.read_text(), src.stem)
        for src in sorted(Path(solutions).glob("*.py"))
        # __init__.py and support files are written by hand
        if src.stem in registry.MODULES or written_tests.by_file(src.name) is not None
    }


def generate(solutions: Path, starter: Path, *, check: bool = False) -> list[str]:
    """Write (or with ``check`` only compare) every stub; return the files that differ. Writing
    keeps a file that holds the learner's work (see :func:`write_stubs`)."""
    if not check:
        report = write_stubs(solutions, starter)
        return sorted(report.written + report.kept + report.removed)
    return _differing(fresh_stubs(solutions), Path(starter))


def _differing(fresh: dict[str, str], starter: Path) -> list[str]:
    differ = [
        name
        for name, stub in fresh.items()
        if not (starter / name).exists() or (starter / name).read_text() != stub
    ]
    return differ + [path.name for path in _extra(fresh, starter)]


def _extra(fresh: dict[str, str], starter: Path) -> list[Path]:
    """Starter modules (and test templates) of the kit that no solution makes any more."""
    return [
        path
        for path in sorted(starter.glob("*.py"))
        if (path.stem in registry.MODULES or written_tests.by_file(path.name) is not None)
        and path.name not in fresh
    ]


def write_stubs(solutions: Path, starter: Path, *, force: bool = False) -> StubReport:
    """Bring ``starter/`` in line with ``solutions/``, never replacing the learner's work unless
    ``force``: a file that holds some is kept, and its fresh stub written beside it."""
    starter, report = Path(starter), StubReport()
    fresh = fresh_stubs(solutions)
    for name in _differing(fresh, starter):
        dest = starter / name
        stub = fresh.get(name)
        if dest.exists() and not force and learner_parts(dest.read_text(), stub or ""):
            report.kept.append(name)
            if stub is not None:
                dest.with_name(f"{name}.new").write_text(stub)
        elif stub is None:
            dest.unlink()
            report.removed.append(name)
        else:
            starter.mkdir(parents=True, exist_ok=True)
            dest.write_text(stub)
            dest.with_name(f"{name}.new").unlink(missing_ok=True)
            report.written.append(name)
    return report


def learner_parts(current: str, stub: str) -> list[str]:
    """What in ``current`` (a starter file) is not the kit's text, compared with the fresh
    ``stub``: functions whose body is neither the ``raise NotImplementedError`` of a stub nor the
    stub's own body, other statements and comments the stub lacks; imports are not counted."""
    try:
        tree = ast.parse(current)
    except SyntaxError:
        return ["the whole file (it does not parse: work in progress)"]
    ours = ast.parse(stub)
    kit_defs, kit_statements = _kit_parts(ours.body, "")
    found = []
    for qualname, node in _walk(tree.body, ""):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if not _raises_not_implemented(node) and _body(node) != kit_defs.get(qualname):
                found.append(f"{qualname} (line {node.lineno})")
        elif not isinstance(node, (ast.Import, ast.ImportFrom, ast.ClassDef)) and not (
            _docstring_like(node) or ast.dump(node) in kit_statements
        ):
            found.append(f"the statement at line {node.lineno}")
    found += [f"a comment at line {line}" for line in _comments(current, stub)]
    return found


def _walk(body: list[ast.stmt], prefix: str):
    for node in body:
        name = getattr(node, "name", "")
        yield f"{prefix}{name}", node
        if isinstance(node, ast.ClassDef):
            yield from _walk(node.body, f"{prefix}{name}.")


def _kit_parts(body: list[ast.stmt], prefix: str) -> tuple[dict[str, str], set[str]]:
    defs, statements = {}, set()
    for qualname, node in _walk(body, prefix):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defs[qualname] = _body(node)
        else:
            statements.add(ast.dump(node))
    return defs, statements


def _body(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """A function's code without its docstring (the kit edits docstrings between releases)."""
    body = fn.body[1:] if ast.get_docstring(fn) is not None else fn.body
    return ast.dump(ast.Module(body=body, type_ignores=[]))


def _raises_not_implemented(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    body = fn.body[1:] if ast.get_docstring(fn) is not None else fn.body
    return (
        len(body) == 1
        and isinstance(body[0], ast.Raise)
        and isinstance(body[0].exc, ast.Call)
        and getattr(body[0].exc.func, "id", None) == "NotImplementedError"
    )


def _docstring_like(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _comments(current: str, stub: str) -> list[int]:
    """Lines of the comments in ``current`` whose text the stub does not have."""

    def comments(text: str) -> list[tuple[str, int]]:
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        return [(t.string, t.start[0]) for t in tokens if t.type == tokenize.COMMENT]

    kit = {text for text, _ in comments(stub)}
    return [line for text, line in comments(current) if text not in kit]
