"""One course grade per student, from the plan's code assignments and nbgrader assignments.

Every item of the plan gets, per student and as of a moment ``at`` (default now), one
:class:`Cell`, decided in this order:

1. **excused**: the extensions file says ``excused``; the item is left out of that student's
   category (Canvas ``EX``);
2. **not due**: the student's due date (an extension's, else the item's) is after ``at``; left
   out, even when something was already graded;
3. **graded**: the late policy applied to the raw score, with the times and extensions as they
   are now: a code assignment's raw score and submission time from the gradebook, an nbgrader
   assignment's ``raw_score`` and ``timestamp`` from ``nbgrader export`` (the plan's late policy
   is applied to it, one rule for every item); a time set by hand beats both. A submission whose
   time is unknown keeps its raw score, with no penalty, and is flagged;
   **needs attention**: a grading that failed or timed out; left out and flagged, never a 0;
4. **missing**: nothing came in and the due date has passed: counts 0.

Submitted means collected: for nbgrader, a row with a ``timestamp``, or a folder in the
course's ``submitted/`` or ``autograded/`` (work placed there by hand has no timestamp in the
export, and counts). A category's percentage is the weighted mean of its counted items after
dropping the lowest ``drop_lowest`` (always keeping one; of equal percentages the heavier is
dropped); the course grade is the category weights' mean of the categories that have a counted
item.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import lateness
from .assignbook import Grade, Override
from .plan import CODE, Item, Plan

GRADED, MISSING, NOT_DUE, EXCUSED, ATTENTION = (
    "graded",
    "missing",
    "not due",
    "excused",
    "needs attention",
)


@dataclass
class Cell:
    item: str
    status: str  # GRADED, MISSING, NOT_DUE, EXCUSED or ATTENTION
    points: float | None = None  # the final score (None unless graded)
    max_points: float = 0.0
    dropped: bool = False
    raw: float | None = None
    penalty: float = 0.0
    flag: str = ""  # what the instructor must still settle (time unknown, needs attention)

    @property
    def percent(self) -> float | None:
        if self.status == GRADED:
            return 100 * (self.points or 0.0) / self.max_points if self.max_points else 0.0
        return 0.0 if self.status == MISSING else None


@dataclass
class StudentGrade:
    student: str
    cells: dict[str, Cell]
    categories: dict[str, float | None] = field(default_factory=dict)
    total: float | None = None  # percent

    @property
    def flags(self) -> list[str]:
        return [f"{item}: {cell.flag}" for item, cell in self.cells.items() if cell.flag]


@dataclass
class Person:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    section: str = ""
    sis_login_id: str = ""
    canvas_id: str = ""


@dataclass(frozen=True)
class LabRow:
    """One student's row of one assignment in ``nbgrader export``'s CSV, when submitted."""

    raw: float
    max_points: float
    timestamp: datetime | None  # None: nbgrader has no time (placed by hand)
    nbgrader_penalty: float = 0.0  # nbgrader's own late penalty, replaced by the plan's


@dataclass
class Inputs:
    """Everything a course grade is computed from."""

    code: dict[tuple[str, str], Grade] = field(default_factory=dict)
    labs: dict[tuple[str, str], LabRow] = field(default_factory=dict)
    extensions: dict[tuple[str, str], lateness.Extension] = field(default_factory=dict)
    overrides: dict[tuple[str, str], Override] = field(default_factory=dict)


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
    path: Path, wanted: set[str], course: Path | None = None
) -> dict[tuple[str, str], LabRow]:
    """``{(student, assignment): LabRow}`` from ``nbgrader export``'s CSV, for the assignments
    in ``wanted`` and the students who submitted (see the module doc: a timestamp, or a folder
    in ``course``'s ``submitted/`` or ``autograded/``). nbgrader writes its times in UTC without
    a zone."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        need = {"assignment", "student_id", "raw_score", "max_score"}
        if not need <= set(reader.fieldnames or []):
            raise ValueError(
                f"{path} is not an nbgrader export (it needs the columns {', '.join(sorted(need))})"
            )
        out = {}
        for line, row in enumerate(reader, start=2):
            student, item = row["student_id"], row["assignment"]
            stamp = (row.get("timestamp") or "").strip()
            if item not in wanted or not (stamp or _collected(course, student, item)):
                continue
            try:
                when = lateness.parse_time(stamp, timezone.utc) if stamp else None
                out[(student, item)] = LabRow(
                    float(row["raw_score"] or 0),
                    float(row["max_score"] or 0),
                    when,
                    float(row.get("late_submission_penalty") or 0),
                )
            except ValueError as exc:
                raise ValueError(f"{path}, line {line}: {exc}") from None
    return out


def _collected(course: Path | None, student: str, item: str) -> bool:
    return course is not None and any(
        (course / stage / student / item).is_dir() for stage in ("submitted", "autograded")
    )


def compute(
    plan: Plan, inputs: Inputs, students: list[str], at: datetime | None = None
) -> list[StudentGrade]:
    """Course grades of ``students`` as of ``at`` (default now)."""
    at = at or datetime.now(timezone.utc)
    out = []
    for student in students:
        cells = {item.id: _cell(plan, item, student, inputs, at) for item in plan.items}
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


def _cell(plan: Plan, item: Item, student: str, inputs: Inputs, at: datetime) -> Cell:
    most = item.points if item.kind == CODE else 0.0
    extension = inputs.extensions.get((student, item.id))
    if extension and extension.excused:
        return Cell(item.id, EXCUSED, max_points=most)
    due = lateness.due_for(item, extension)
    if due is not None and at <= due:
        return Cell(item.id, NOT_DUE, max_points=most)
    manual = inputs.overrides.get((student, item.id))
    if item.kind == CODE:
        row = inputs.code.get((student, item.id))
        if row is None:
            return Cell(item.id, MISSING, max_points=most)
        if row.status != GRADED:
            return Cell(
                item.id,
                ATTENTION,
                max_points=most,
                flag=f"{ATTENTION} (grading {row.status.replace('_', ' ')})",
            )
        when = _code_time(row, manual)
        raw, most = row.raw, row.max_points
    else:
        lab = inputs.labs.get((student, item.id))
        if lab is None:
            return Cell(item.id, MISSING)
        when = _lab_time(lab, manual)
        raw, most = lab.raw, lab.max_points
    settled = lateness.settle(item, raw, when, extension, plan.timezone)
    flag = when.source if not when.known else ""
    return Cell(item.id, GRADED, settled.final, most, raw=raw, penalty=settled.penalty, flag=flag)


def _code_time(row: Grade, manual: Override | None) -> lateness.Submitted:
    if manual:
        return _by_hand(manual)
    if row.submitted_at:
        return lateness.Submitted(datetime.fromisoformat(row.submitted_at), row.time_source)
    return lateness.Submitted(None, row.time_source)


def _lab_time(lab: LabRow, manual: Override | None) -> lateness.Submitted:
    if manual:
        return _by_hand(manual)
    if lab.timestamp is not None:
        return lateness.Submitted(lab.timestamp, "nbgrader")
    return lateness.unknown("no timestamp in nbgrader's export (placed in submitted/ by hand?)")


def _by_hand(manual: Override) -> lateness.Submitted:
    return lateness.Submitted(
        datetime.fromisoformat(manual.submitted_at), f"{lateness.SET_BY_HAND}: {manual.why}"
    )


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
    return sum(i.weight * (c.percent or 0.0) for i, c in kept) / weight
