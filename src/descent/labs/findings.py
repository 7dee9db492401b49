"""Tampering the grader can see in a notebook, for ``descent labs report``.

Since the checks run outside the notebook, rebinding a grading name there cannot change a
score; it is still worth an instructor's look. Two views: a scan of the student's cells (their
source, on the trusted side, which nothing in the notebook can hide) and a look at the names
inside the worker after the last cell (which a determined student can fool, but which catches
``setattr`` and ``exec`` tricks the scan cannot see).
"""

from __future__ import annotations

import ast
from pathlib import Path

from . import cellmeta

# The student-side helper is defined in descent.student_notebook; released notebooks import it
# by its first name, descent.labs_grading, which is the same module object. Rebinding it under
# either name is tampering; its own objects say __module__ == GRADING.
GRADING = "descent.student_notebook"
MODULE_NAMES = (GRADING, "descent.labs_grading")
_SHORT = tuple(name.rpartition(".")[2] for name in MODULE_NAMES)
NAMES = ("Parts", "check_choice", "check_number", "hidden_checks", "labs_grading")


def rebound_names(nb, tests: dict) -> list[str]:
    """Student cells (not the restored test cells) that bind a grading name or assign into the
    grading module: ``cell N: Parts = ...``."""
    trees, found = [], []
    code = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code, 1):
        if cellmeta.grade_id(cell) in tests:
            continue
        try:
            trees.append((number, ast.parse(cellmeta.source(cell))))
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue  # it cannot run either
    aliases = set(_SHORT) | {name for _, tree in trees for name in _aliases(tree)}
    for number, tree in trees:
        # ast.walk is iterative, but unparsing a node recurses: a 1200-deep attribute chain
        # would exceed the interpreter's limit. Such a cell is named for a look instead.
        try:
            found += [
                f"cell {number}: {what}"
                for node in ast.walk(tree)
                if (what := _rebinding(node, aliases))
            ]
        except RecursionError:
            found.append(f"cell {number}: nested too deeply to scan for rebound grading names")
    return found


def _aliases(tree: ast.AST) -> set[str]:
    """Names the grading module is imported as (``import descent.labs_grading as g``)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            prefix = f"{node.module}." if isinstance(node, ast.ImportFrom) else ""
            found |= {
                a.asname for a in node.names if a.asname and (prefix + a.name).endswith(_SHORT)
            }
    return found


def _module(node: ast.AST, aliases: set[str]) -> bool:
    """Whether ``node`` names the grading module (``labs_grading``, ``descent.labs_grading``
    or a name it was imported as)."""
    text = ast.unparse(node)
    return any(short in text for short in _SHORT) or text.split(".")[0] in aliases


def _rebinding(node: ast.AST, aliases: set[str]) -> str | None:
    if (
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.name in NAMES
    ):
        return f"defines {node.name}"
    if (
        isinstance(node, ast.Name)
        and isinstance(node.ctx, (ast.Store, ast.Del))
        and node.id in NAMES
    ):
        return f"assigns {node.id}"
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.ctx, (ast.Store, ast.Del))
        and _module(node.value, aliases)
    ):
        return f"assigns {ast.unparse(node)}"
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        source = getattr(node, "module", None)
        for alias in node.names:
            bound = alias.asname or alias.name
            if bound in NAMES and not (source in MODULE_NAMES and alias.name == bound):
                return f"imports {alias.name} as {bound}"
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("setattr", "delattr")
        and node.args
        and _module(node.args[0], aliases)
    ):
        return f"calls {ast.unparse(node)[:80]}"
    return None


# Runs in the student's worker after the last cell: grading names that are no longer the
# module's own objects, in the notebook or in the module itself.
_RUNTIME = (
    "[n for n in {names} if n in globals() and n != 'labs_grading' and "
    "getattr(globals()[n], '__module__', None) != {mod!r}] + "
    "['{mod}.' + n for n in {names} if n != 'labs_grading' and "
    "getattr(getattr(__import__({mod!r}, fromlist=['Parts']), n, None), "
    "'__module__', None) != {mod!r}]"
)


def patched_at_runtime(kernel) -> list[str]:
    """Grading names the worker reports as replaced after the last cell."""
    try:
        names = kernel.eval(_RUNTIME.format(names=NAMES, mod=GRADING))
    except Exception as exc:  # noqa: BLE001 - a notebook that broke its worker says so
        return [f"could not inspect the notebook's names after the last cell ({exc})"[:300]]
    if type(names) is not list or not all(type(n) is str for n in names):
        return ["the notebook's worker answered the name check with something odd"]
    return [f"after the last cell, {n[:200]} is not descent's own" for n in names[:20]]


def read(path: Path) -> dict:
    """The findings stored in an autograded notebook (``{}`` if there are none)."""
    # optional: nbformat comes with nbgrader (the labs extra)
    import nbformat

    try:
        return dict(nbformat.read(path, as_version=4).metadata.get("descent", {}))
    except Exception:  # noqa: BLE001 - an unreadable file has no findings to show
        return {}


def lines(found: dict) -> list[str]:
    """The findings as report lines."""
    out = [f"forged nbgrader metadata: {x}" for x in found.get("forged_metadata", [])]
    out += [
        f"nbgrader flags of an assignment cell changed (restored from the source before "
        f"grading): {x}"
        for x in found.get("restored_metadata", [])
    ]
    out += [f"redefined grading name: {x}" for x in found.get("rebound", [])]
    out += [f"confinement refused: {x}" for x in found.get("refused", [])]
    if found.get("budget_spent"):
        out.append(
            f"the notebook's time budget was spent at {found['budget_spent']}: the cells "
            f"after it did not run and its test cells after it scored 0"
        )
    if found.get("restarts"):
        out.append(
            f"the notebook's worker was killed and restarted {found['restarts']} time(s) "
            f"(time, memory or a crash)"
        )
    return out
