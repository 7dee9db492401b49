"""The list of generic diagnoses, made from :data:`descent.diagnoses.package_map.MODULES`: the table in
``docs/reference/generic-diagnoses.md`` and the map in ``diagnoses/__init__.py``.

A row of the table gives a module's stage (where the order's lists put its functions, and any
other place its entry declares), what it reads, the kinds it can name (those its entries in the
order declare and those its code writes) and what it names. Both sit between two marker lines;
``descent docs`` rewrites them and ``descent docs --check`` (run by the kit's tests) says whether
they are stale. The modules are read as source, so neither needs torch.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from ..diagnoses import order, package_map
from .exercise_table import _cell as cell  # one escape for every table the docs hold
from .exercise_table import replace_between

PAGE = Path("docs") / "reference" / "generic-diagnoses.md"
MAP = Path("src") / "descent" / "diagnoses" / "__init__.py"
TABLE_BEGIN = (
    "<!-- the table below is made by `descent docs` from diagnoses/package_map.py (MODULES) -->"
)
TABLE_END = "<!-- end of the table made by `descent docs` -->"
MAP_BEGIN = ".. the map below is made by ``descent docs`` from :data:`.package_map.MODULES`"
MAP_END = ".. end of the map made by ``descent docs``"


def built_kinds(tree: ast.AST) -> set[str]:
    """The kinds ``tree`` builds a diagnosis with: the first argument of ``Diagnosis(...)`` (or of
    a helper ``_diagnosis`` that builds one) and every ``kind=`` keyword; string literals only,
    declared or not (the kit's tests check that each is declared)."""
    built: set[object] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        callee = getattr(node.func, "id", getattr(node.func, "attr", ""))
        first = node.args[0] if node.args else None
        if callee in ("Diagnosis", "_diagnosis") and isinstance(first, ast.Constant):
            built.add(first.value)
        built |= {
            k.value.value
            for k in node.keywords
            if k.arg == "kind" and isinstance(k.value, ast.Constant)
        }
    return {k for k in built if isinstance(k, str)}


def _written(tree: ast.AST) -> set[str]:
    """The declared kinds a module's code writes: those it builds (:func:`built_kinds`) and, in a
    module that builds a diagnosis at all, the kind of each ``(kind, text)`` pair (a table of
    texts by kind)."""
    built = built_kinds(tree)
    if not built:
        return set()
    pairs: set[object] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple) and len(node.elts) >= 2:
            kind, text = node.elts[:2]
            if isinstance(kind, ast.Constant) and isinstance(text, (ast.Constant, ast.JoinedStr)):
                pairs.add(kind.value)
    return {k for k in built | pairs if isinstance(k, str) and k in order.KINDS}


def kinds(module: str, source: str) -> list[str]:
    """The kinds ``module`` can name, in the order of :data:`~descent.diagnoses.order.KINDS`: those
    its entries in the order declare and those its code (``source``) writes."""
    declared = {
        kind
        for _, _, entries in order.lists()
        for entry in entries
        if entry.function.partition(".")[0] == module
        for kind in entry.kinds
    }
    found = declared | _written(ast.parse(source))
    return [kind for kind in order.KINDS if kind in found]


def _stage(module: package_map.Module) -> str:
    places = [
        f"{stage} ({', '.join(where)})" if where else stage
        for stage, where in order.places(module.name).items()
    ]
    return "; ".join(places + ([module.stage] if module.stage else []))


def table(kit: Path) -> str:
    """The table of every module of :data:`~descent.diagnoses.package_map.MODULES`, as Markdown."""
    folder = kit / MAP.parent
    rows = ["| module | stage | reads | kinds | what it names |", "|---|---|---|---|---|"]
    for module in package_map.MODULES:
        named = kinds(module.name, (folder / f"{module.name}.py").read_text())
        rows.append(
            f"| `{module.name}` | {cell(_stage(module))} | {cell(module.reads)} | "
            f"{', '.join(f'`{k}`' for k in named)} | {cell(module.names)} |"
        )
    return "\n".join(rows) + "\n"


def module_map() -> str:
    """The package's map: one item per module, its one-line summary wrapped at 100 columns."""
    width = max(len(m.name) for m in package_map.MODULES) + 9  # ":mod:`." and "`"
    lines = []
    for module in package_map.MODULES:
        head = f"* {f':mod:`.{module.name}`':<{width}} "
        lines += textwrap.wrap(
            module.summary, 100, initial_indent=head, subsequent_indent=" " * len(head)
        )
    return "\n".join(lines) + "\n"


def update(kit: Path, *, check: bool = False) -> list[Path]:
    """Rewrite the table and the map (or with ``check`` only compare); the files that were
    stale, relative to ``kit``."""
    stale = []
    made = {
        PAGE: (TABLE_BEGIN, TABLE_END, table(kit)),
        MAP: (MAP_BEGIN, MAP_END, module_map()),
    }
    for path, (begin, end, body) in made.items():
        text = (kit / path).read_text()
        fresh = replace_between(text, begin, end, body, path)
        if fresh != text:
            stale.append(path)
            if not check:
                (kit / path).write_text(fresh)
    return stale
