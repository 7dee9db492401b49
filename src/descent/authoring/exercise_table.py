"""The exercise tables of ``docs/reference/exercises.md``, made from the registry and the
references.

One table per module, in the registry's order: each exercise's id, its functions as the
reference writes their signatures (a class by its name alone), and the first paragraph of the
first function's docstring. The tables sit between two marker lines in the page; ``descent docs``
rewrites them and ``descent docs --check`` (run by the kit's tests) says whether they are stale.
The references are read as source (no import), so the page can be made without torch.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .. import registry
from ..errors import DescentError

BEGIN = "<!-- the tables below are made by `descent docs` from the registry and solutions/ -->"
END = "<!-- end of the tables made by `descent docs` -->"
PAGE = Path("docs") / "reference" / "exercises.md"


def _definitions(path: Path) -> dict[str, ast.FunctionDef | ast.ClassDef]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return {
        node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))
    }


def _cell(text: str) -> str:
    """Text in a Markdown table cell: a ``|`` would end the cell."""
    return text.replace("|", "\\|")


def _row(ex: registry.Exercise, found: dict) -> str:
    missing = [name for name in ex.functions if name not in found]
    if missing:
        raise DescentError(f"{ex.id}: solutions/{ex.module}.py defines no {', '.join(missing)}")
    shown = [
        name
        if isinstance(found[name], ast.ClassDef)
        else f"{name}({ast.unparse(found[name].args)})"
        for name in ex.functions
    ]
    doc = (ast.get_docstring(found[ex.functions[0]]) or "").strip()
    convention = " ".join(doc.split("\n\n")[0].split())  # the first paragraph, on one line
    return f"| `{ex.id}` | {'<br>'.join(f'`{_cell(s)}`' for s in shown)} | {_cell(convention)} |"


def tables(kit: Path) -> str:
    """Every module's table, as Markdown."""
    parts = []
    for module in registry.MODULES:
        path = kit / "solutions" / f"{module}.py"
        if not path.is_file():
            raise DescentError(f"the registry names module {module}, but {path} is missing")
        found = _definitions(path)
        rows = [_row(ex, found) for ex in registry.EXERCISES.values() if ex.module == module]
        parts.append(
            f"## `{module}.py`\n\n| exercise | functions | convention |\n"
            f"|---|---|---|\n" + "\n".join(rows) + "\n"
        )
    return "\n".join(parts)


def replace_between(text: str, begin: str, end: str, body: str, where: Path) -> str:
    """``text`` (of the file ``where``) with what lies between the marker lines ``begin`` and
    ``end`` replaced by ``body``, a blank line either side; a ``DescentError`` when the markers
    are not there once each, in order."""
    if text.count(begin) != 1 or text.count(end) != 1 or text.index(begin) > text.index(end):
        raise DescentError(
            f"{where} must hold the two marker lines once each, in order:\n{begin}\n{end}"
        )
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n\n{body}\n{end}{tail}"


def render(page: str, kit: Path) -> str:
    """``page`` with the text between the markers replaced by fresh tables."""
    return replace_between(page, BEGIN, END, tables(kit), PAGE)


def update(kit: Path, *, check: bool = False) -> bool:
    """Rewrite the page's tables (or with ``check`` only compare); whether they were stale."""
    path = kit / PAGE
    page = path.read_text()
    fresh = render(page, kit)
    if fresh != page and not check:
        path.write_text(fresh)
    return fresh != page
