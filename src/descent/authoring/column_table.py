"""The table of the CSV's columns in ``docs/how-to/export.md``, made from
:data:`descent.reports.export.COLUMNS`, where the columns are declared once and from which
``descent export --format csv`` writes them.

The table sits between two marker lines; ``descent docs`` rewrites it and ``descent docs
--check`` (run by the kit's tests) says whether it is stale, so a column added to the code is a
row of the docs, or the check fails.
"""

from __future__ import annotations

from pathlib import Path

from ..reports import export
from .exercise_table import _cell as cell  # one escape for every table the docs hold
from .exercise_table import replace_between

PAGE = Path("docs") / "how-to" / "export.md"
BEGIN = "<!-- the table below is made by `descent docs` from reports/export.py (COLUMNS) -->"
END = "<!-- end of the table made by `descent docs` from reports/export.py -->"


def table() -> str:
    """One row per column of the CSV, in its order, then the exercises' columns."""
    rows = ["| column | holds |", "|---|---|"]
    rows += [f"| `{name}` | {cell(meaning)} |" for name, meaning in export.COLUMNS.items()]
    name, meaning = export.EXERCISE_COLUMNS
    rows.append(f"| {cell(name)} | {cell(meaning)} |")
    return "\n".join(rows) + "\n"


def update(kit: Path, *, check: bool = False) -> list[Path]:
    """Rewrite the table (or with ``check`` only compare); ``[PAGE]`` when it was stale."""
    path = kit / PAGE
    text = path.read_text()
    fresh = replace_between(text, BEGIN, END, table(), PAGE)
    if fresh != text and not check:
        path.write_text(fresh)
    return [PAGE] if fresh != text else []
