"""Course grades as files for a learning management system (``descent grades --format``).

* ``csv``: one row per student, each item's points or ``missing`` / ``not due``, each category's
  percentage and the course grade.
* ``canvas``: Canvas's gradebook import file. The columns ``Student``, ``ID``, ``SIS User ID``,
  ``SIS Login ID``, ``Section``, then one column per assignment, and a ``Points Possible`` row
  under the header, as Canvas's own gradebook export writes it (Instructure, "How do I import
  grades in the Gradebook?"; Ohio State, "Import a CSV file to Carmen Grades"). A column whose
  name Canvas does not know becomes a new assignment on import; a blank cell changes nothing.
* ``moodle``: Moodle's CSV grade import ("Grade import" in the Moodle docs: the import format is
  the export format): ``First name``, ``Last name``, ``ID number``, ``Institution``,
  ``Department``, ``Email address``, then one column per grade item; on import map ``Email
  address`` to the user's email and each column to its grade item.

Missing work is a blank cell in the LMS files (nothing is entered as 0 on the student's behalf);
the plain CSV says ``missing``.
"""

from __future__ import annotations

import csv
import io

from .coursegrade import GRADED, Person, StudentGrade
from .plan import Plan

CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_FIXED = [
    "First name",
    "Last name",
    "ID number",
    "Institution",
    "Department",
    "Email address",
]
FORMATS = ("csv", "canvas", "moodle")


def _num(x: float | None) -> str:
    return "" if x is None else f"{round(x, 2):g}"


def column(item) -> str:
    return f"{item.id}: {item.title}"


def _points(grade: StudentGrade, item_id: str, blank_missing: bool) -> str:
    cell = grade.cells[item_id]
    if cell.status == GRADED:
        return _num(cell.points)
    return "" if blank_missing else cell.status


def render(fmt: str, plan: Plan, grades: list[StudentGrade], roster: dict[str, Person]) -> str:
    handle = io.StringIO()
    writer = csv.writer(handle, lineterminator="\n")
    people = [roster.get(g.student) or Person(g.student) for g in grades]
    if fmt == "canvas":
        writer.writerow(CANVAS_FIXED + [column(i) for i in plan.items])
        writer.writerow(
            ["    Points Possible", "", "", "", ""]
            + [_num(_possible(i, grades)) for i in plan.items]
        )
        for g, p in zip(grades, people):
            name = f"{p.last_name}, {p.first_name}" if p.last_name else p.id
            writer.writerow(
                [name, p.canvas_id, p.id, p.sis_login_id or p.id, p.section]
                + [_points(g, i.id, True) for i in plan.items]
            )
    elif fmt == "moodle":
        writer.writerow(MOODLE_FIXED + [column(i) for i in plan.items])
        for g, p in zip(grades, people):
            writer.writerow(
                [p.first_name, p.last_name, p.id, "", "", p.email]
                + [_points(g, i.id, True) for i in plan.items]
            )
    elif fmt == "csv":
        cats = list(plan.categories)
        writer.writerow(
            ["student"] + [i.id for i in plan.items] + [f"{c} %" for c in cats] + ["course grade %"]
        )
        for g in grades:
            writer.writerow(
                [g.student]
                + [_points(g, i.id, False) for i in plan.items]
                + [_num(g.categories[c]) for c in cats]
                + [_num(g.total)]
            )
    else:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    return handle.getvalue()


def _possible(item, grades: list[StudentGrade]) -> float | None:
    """The item's points: the plan's for code, nbgrader's ``max_score`` for the others."""
    if item.kind == "code":
        return item.points
    seen = [g.cells[item.id].max_points for g in grades if g.cells[item.id].status == GRADED]
    return max(seen) if seen else None
