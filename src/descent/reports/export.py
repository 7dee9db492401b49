"""Exporters: a results document (``descent.results/1``) to Gradescope's results.json or CSV.

Gradescope gets one entry per exercise (score, max_score, status and the first problem, which is
already free of hidden inputs). CSV gets one row per graded implementation (usually one per
student: the submission folder's name), its status and note, and one column per exercise, from
any number of results files; an implementation block that carries an assignment's settled score
(``raw``, ``penalty``, ``final``, as ``descent export --gradebook --assignment`` writes them) adds
those three columns. Every cell goes through :mod:`descent.reports.spreadsheet`, so no student-chosen
name can become a formula.

An implementation block may carry ``status`` (``graded`` when absent; ``timed_out`` or ``failed``
for a grading that did not complete, as the class gradebook exports it) and ``note`` (what an
instructor should know: the reason a grading did not complete, refused files, ...). Every export
keeps both.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import spreadsheet


def to_gradescope(
    doc: dict[str, Any], implementation: str | None = None, total: float | None = None
) -> dict[str, Any]:
    """Gradescope's ``results.json`` for one implementation; ``total`` (an assignment's points
    in the course plan) scales every score so the maximum is that total."""
    blocks = doc["implementations"]
    block = (
        next((b for b in blocks if b["name"] == implementation), None)
        if implementation
        else (blocks[0] if len(blocks) == 1 else None)
    )
    if block is None:
        names = ", ".join(b["name"] for b in blocks)
        raise ValueError(f"choose one implementation for Gradescope (one of: {names})")
    status, note = block_status(block)
    if status != GRADED:
        return {
            "score": 0.0,
            "execution_time": doc.get("duration_s", 0.0),
            "tests": [],
            "output": not_graded_text(status, note),
        }
    scale = total / block["max_points"] if total and block["max_points"] else 1.0
    tests = []
    for ex in block["exercises"]:
        output = ex["first_failure"]
        if ex["misconceptions"]:
            output += f"\nLikely mistake: {', '.join(ex['misconceptions'])}"
        tests.append(
            {
                "name": f"{ex['id']}: {ex['title']}",
                "score": round(ex["points"] * scale, 4),
                "max_score": round(ex["max_points"] * scale, 4),
                "status": "passed" if ex["status"] == "passed" else "failed",
                "output": output,
                "visibility": "visible",
            }
        )
    return {
        "score": round(block["points"] * scale, 4),
        "execution_time": doc["duration_s"],
        "output": f"Graded on {', '.join(doc['devices']) or '?'}; isolation: "
        f"{doc['environment'].get('isolation', '?')}." + (f" Note: {note}" if note else ""),
        "tests": tests,
    }


GRADED = "graded"


def block_status(block: dict[str, Any]) -> tuple[str, str]:
    """(status, note) of an implementation block (``graded`` and no note when it says none)."""
    return block.get("status") or GRADED, block.get("note") or ""


def not_graded_text(status: str, reason: str) -> str:
    """What a student reads when their grading did not complete (Gradescope's output)."""
    return (
        f"Grading did not complete ({status.replace('_', ' ')}): {reason.rstrip('.')}. "
        f"Ask your instructor to look at it."
    )


SETTLED = ("raw", "penalty", "final")  # an assignment's score, when the block carries it
# The CSV's columns, in order, and what each holds: declared once, written by :func:`to_csv`,
# and shown in docs/how-to/export.md's table of them (made by ``descent docs``). The settled three
# are written when a block carries them; one column per exercise follows (:data:`EXERCISE_COLUMNS`).
COLUMNS = {
    "student": "the implementation's name: the student's entry in the submissions folder",
    "status": "`graded`, or `timed_out` or `failed` for a grading that did not complete",
    "points": "the points earned (0 for a grading that did not complete)",
    "max_points": "the most the graded exercises give (for a grading that did not complete, "
    "the class's maximum)",
    "percent": "points as a percentage of max_points",
    "raw": "with `--assignment`: the assignment's points before the late policy",
    "penalty": "with `--assignment`: the points the late policy took off",
    "final": "with `--assignment`: raw minus penalty",
    "note": "the reason a grading did not complete, then the summary's notes",
}
EXERCISE_COLUMNS = (
    "one per exercise, named by its id",
    "its points (0 on every exercise for a grading that did not complete)",
)


def to_csv(docs: Iterable[dict[str, Any]]) -> str:
    rows: list[dict[str, Any]] = []
    exercise_ids: list[str] = []
    for doc in docs:
        for block in doc["implementations"]:
            status, note = block_status(block)
            row = {
                "student": block["name"],
                "status": status,
                "points": round(block["points"], 4),
                "max_points": round(block["max_points"], 4),
                "percent": round(100 * block["points"] / block["max_points"], 2)
                if block["max_points"]
                else 0.0,
                "note": note,
            }
            row.update((key, round(block[key], 4)) for key in SETTLED if key in block)
            for ex in block["exercises"]:
                if ex["id"] not in exercise_ids:
                    exercise_ids.append(ex["id"])
                row[ex["id"]] = round(ex["points"], 4)
            rows.append(row)
    for row in rows:  # a grading that did not complete scored 0 on every exercise, not blank
        if row["status"] != GRADED:
            row.update((ex, 0.0) for ex in exercise_ids if ex not in row)
    undeclared = {key for row in rows for key in row} - set(COLUMNS) - set(exercise_ids)
    if undeclared:  # a column no table of the docs would show
        raise ValueError(f"declare {', '.join(sorted(undeclared))} in export.COLUMNS")
    header = [c for c in COLUMNS if c not in SETTLED or any(c in row for row in rows)]
    header += exercise_ids
    return spreadsheet.render([header] + [[row.get(c, "") for c in header] for row in rows])


def write_csv(text: str, path: str | Path) -> None:
    """Write a CSV file as UTF-8 with a byte-order mark (:func:`descent.reports.spreadsheet.write`)."""
    spreadsheet.write(path, text)
