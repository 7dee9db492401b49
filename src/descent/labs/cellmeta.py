"""A notebook cell's nbgrader metadata, read as untrusted data.

A student can write anything into a notebook's JSON: a ``grade_id`` that is a list, metadata
that is a string, a cell that is a number. Every reader of that metadata in the kit goes through
these functions, which never raise on such shapes; :func:`malformed` names what is wrong so that
the notebook can be refused with its reason instead of crashing a report for the whole class.
"""

from __future__ import annotations

# Keys nbgrader writes, and the types nbgrader itself gives them.
SHAPES = {
    "grade_id": (str,),
    "grade": (bool,),
    "solution": (bool,),
    "locked": (bool,),
    "task": (bool,),
    "points": (int, float),
    "schema_version": (int,),
    "cell_type": (str,),
    "checksum": (str,),
}
# Lines only the instructor's source notebook has (nbgrader strips them from the release).
SOURCE_ONLY = ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS", "=== BEGIN MARK SCHEME ===")


def nbgrader(cell) -> dict:
    """The cell's nbgrader metadata, or ``{}`` when there is none or it is not a mapping."""
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    found = meta.get("nbgrader") if isinstance(meta, dict) else None
    return found if isinstance(found, dict) else {}


def grade_id(cell) -> str | None:
    """The cell's nbgrader ``grade_id`` when it is a string, else None."""
    gid = nbgrader(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def source(cell) -> str:
    """The cell's source as one string (``""`` when it has some other shape)."""
    text = cell.get("source") if isinstance(cell, dict) else None
    if isinstance(text, list) and all(isinstance(line, str) for line in text):
        return "".join(text)
    return text if isinstance(text, str) else ""


def malformed(nb) -> list[str]:
    """What is malformed in the notebook's cells, one line each (``[]`` when nothing is):
    ``cell 3: nbgrader grade_id is a list, not a string``."""
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        return [f"its cells are a {type(cells).__name__}, not a list"]
    out = []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            out.append(f"cell {number} is a {type(cell).__name__}, not a cell")
            continue
        meta = cell.get("metadata", {})
        raw = meta.get("nbgrader") if isinstance(meta, dict) else None
        if not isinstance(meta, dict):
            out.append(f"cell {number}: metadata is a {type(meta).__name__}, not a mapping")
        elif raw is not None and not isinstance(raw, dict):
            out.append(f"cell {number}: nbgrader metadata is a {type(raw).__name__}, not a mapping")
        for key, kinds in SHAPES.items():
            value = raw.get(key) if isinstance(raw, dict) else None
            if value is not None and (
                not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool))
            ):
                out.append(
                    f"cell {number}: nbgrader {key} is a {type(value).__name__}, not "
                    f"a {' or '.join(k.__name__ for k in kinds)}"
                )
        text = cell.get("source", "")
        if not isinstance(text, str) and not (
            isinstance(text, list) and all(isinstance(line, str) for line in text)
        ):
            out.append(f"cell {number}: its source is a {type(text).__name__}, not text")
    return out
