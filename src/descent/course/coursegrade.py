"""One course grade per student, from the plan's code assignments and nbgrader assignments.

Every item of the plan gets, per student, one :class:`Cell`: its percentage when graded (a code
assignment's final score after the late penalty; an nbgrader assignment's ``score`` from
``nbgrader export``, which already holds nbgrader's own late penalty), ``missing`` when nothing
came in and the due date has passed (it counts as 0 and the table says *missing*), or ``not
due`` before the due date (left out). A category's percentage is the weighted mean of its
counted items after dropping the lowest ``drop_lowest`` (always keeping one; of equal
percentages the heavier is dropped); the course grade
is the category weights' mean of the categories that have a counted item.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .plan import Item, Plan

GRADED, MISSING, NOT_DUE = "graded", "missing", "not due"


@dataclass
class Cell:
    item: str
    status: str  # GRADED, MISSING or NOT_DUE
    points: float | None = None  # what the student has (None unless graded)
    max_points: float = 0.0
    dropped: bool = False

    @property
    def percent(self) -> float | None:
        if self.status == GRADED:
            return 100 * self.points / self.max_points if self.max_points else 0.0
        return 0.0 if self.status == MISSING else None


@dataclass
class StudentGrade:
    student: str
    cells: dict[str, Cell]
    categories: dict[str, float | None] = field(default_factory=dict)
    total: float | None = None  # percent


@dataclass
class Person:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    section: str = ""
    sis_login_id: str = ""
    canvas_id: str = ""


def read_roster(path: Path | None) -> dict[str, Person]:
    """``{student id: Person}`` from the roster CSV (``id`` and optional name, email, section,
    ``sis_login_id``, ``canvas_id``); no file, no roster."""
    if path is None or not Path(path).is_file():
        return {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if "id" not in (reader.fieldnames or []):
            raise ValueError(f"{path}: a roster needs an id column")
        keys = Person.__dataclass_fields__
        return {
            row["id"]: Person(**{k: (v or "").strip() for k, v in row.items() if k in keys})
            for row in reader
            if row.get("id")
        }


def read_nbgrader_export(
    path: Path, wanted: set[str]
) -> dict[tuple[str, str], tuple[float, float]]:
    """``{(student, assignment): (score, max_score)}`` from ``nbgrader export``'s CSV, for the
    assignments in ``wanted``. nbgrader writes a row of 0 points for a student who submitted
    nothing (an empty ``timestamp``): that is missing work, so it is left out here."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        need = {"assignment", "student_id", "score", "max_score"}
        if not need <= set(reader.fieldnames or []):
            raise ValueError(
                f"{path} is not an nbgrader export (it needs the columns {', '.join(sorted(need))})"
            )
        out = {}
        for line, row in enumerate(reader, start=2):
            if row["assignment"] not in wanted or not (row.get("timestamp", "x") or "").strip():
                continue
            try:
                out[(row["student_id"], row["assignment"])] = (
                    float(row["score"] or 0),
                    float(row["max_score"] or 0),
                )
            except ValueError:
                raise ValueError(
                    f"{path}, line {line}: score {row['score']!r} or max_score "
                    f"{row['max_score']!r} is not a number"
                ) from None
    return out


def compute(
    plan: Plan,
    code: dict[tuple[str, str], tuple[float, float]],
    labs: dict[tuple[str, str], tuple[float, float]],
    students: list[str],
    now: datetime | None = None,
) -> list[StudentGrade]:
    """Course grades of ``students``. ``code`` and ``labs`` map (student, item id) to
    (points, max points): final scores of code assignments, nbgrader scores."""
    now = now or datetime.now(timezone.utc)
    out = []
    for student in students:
        cells = {
            item.id: _cell(
                item, (code if item.kind == "code" else labs).get((student, item.id)), now
            )
            for item in plan.items
        }
        grade = StudentGrade(student, cells)
        for cat in plan.categories.values():
            grade.categories[cat.name] = _category(plan, cat, cells)
        counted = [
            (plan.categories[n].weight, p) for n, p in grade.categories.items() if p is not None
        ]
        weight = sum(w for w, _ in counted)
        grade.total = sum(w * p for w, p in counted) / weight if weight else None
        out.append(grade)
    return out


def _cell(item: Item, got: tuple[float, float] | None, now: datetime) -> Cell:
    if got is not None:
        return Cell(item.id, GRADED, got[0], got[1])
    status = NOT_DUE if item.due is not None and now <= item.due else MISSING
    return Cell(item.id, status, None, item.points if item.kind == "code" else 0.0)


def _category(plan: Plan, cat, cells: dict[str, Cell]) -> float | None:
    members = [(i, cells[i.id]) for i in plan.items if i.category == cat.name]
    counted = [(i, c) for i, c in members if c.percent is not None]
    if not counted:
        return None
    drop = min(cat.drop_lowest, len(counted) - 1)
    for _, cell in sorted(counted, key=lambda ic: (ic[1].percent, -ic[0].weight))[:drop]:
        cell.dropped = True
    kept = [(i, c) for i, c in counted if not c.dropped]
    weight = sum(i.weight for i, _ in kept)
    if not weight:
        return None
    return sum(i.weight * c.percent for i, c in kept) / weight
