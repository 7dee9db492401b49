"""Course grades as files for a learning management system (``descent grades --format``).

* ``csv``: one row per student, every item's final points or its status (``missing``, ``not
  due``, ``excused``, ``needs attention``), each category's percentage, the course grade, and
  what still needs the instructor (``attention``).
* ``canvas``: Canvas's gradebook import file: ``Student``, ``ID``, ``SIS User ID``, ``SIS Login
  ID``, ``Section``, then one column per item, and a ``Points Possible`` row under the header,
  as Canvas's own gradebook export writes it and its importer reads it (canvas-lms,
  ``app/models/gradebook_importer.rb``).
* ``moodle``: Moodle's CSV grade import (the format of its own export): ``First name``, ``Last
  name``, ``ID number``, ``Institution``, ``Department``, ``Email address``, then one column per
  item (moodle, ``grade/import/csv/classes/load_data.php``).

The LMS files hold only the columns of items that are due (as of ``at``) and graded for at
least one student: a column an LMS does not know becomes a new, empty assignment. In those
columns, per student:

=================== ============================== =====================================
cell                Canvas                         Moodle
=================== ============================== =====================================
graded              the final points               the final points
missing             0 (the plan counts it 0)       0
excused             ``EX`` (Canvas's excused)      blank: Moodle stores no grade, which
                                                   its default aggregation ("exclude empty
                                                   grades") leaves out of the category
not due (extension) blank: left as it is           blank: no grade yet
needs attention     blank: left as it is           refused (a blank would clear a grade)
=================== ============================== =====================================

A blank is safe in Canvas (its importer treats a blank or ``-`` as no score); in Moodle a blank
in the column of an existing grade item *clears* that student's grade (``load_data.php``:
``''`` or ``-`` becomes a null grade), which is why a Moodle file is refused while a grading
needs attention. Moodle identifies each row by the column mapped on import (``Email address``
by default, or ``ID number``): a row without it would give its grades to the previous row's
student (the importer moves on only when the mapped cell is not empty), so such rows are
refused, listing the students, as are two rows with the same key. Moodle also refuses a grade
above 100 unless the site allows larger ones (``gradevaluetoobig``).

The LMS files are keyed by the roster alone: a row is written for each student whose id is a
roster id, and for nobody else. An entry the roster does not list (a folder named after a
classmate's login, one nbgrader named after a misread time) would otherwise carry its grades
under whatever identifier it holds; it is flagged by ``descent grades`` instead, until the
instructor adds the student to the roster or drops the entry.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ..errors import DescentError
from .clock import elapsed
from .coursegrade import ATTENTION, EXCUSED, GRADED, MISSING, Person, StudentGrade
from .plan import CODE, Item, Plan

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
# The rows above the students' in each file: the header, and Canvas's Points Possible row.
HEADER_ROWS = {"csv": 1, "canvas": 2, "moodle": 1}
MOODLE_KEYS = {"email": "Email address", "idnumber": "ID number"}
MOODLE_MAX_GRADE = 100.0  # Moodle's gradepointmax unless the site allows unlimited grades


class LmsError(DescentError):
    """The file would misplace or lose a grade in the LMS; the message lists where and why."""


def _num(x: float | None) -> str:
    """Points as the LMS files write them: at most two decimals, no trailing zeros."""
    return "" if x is None else f"{round(x, 2):g}"


def column(item: Item) -> str:
    return f"{item.id}: {item.title}"


def columns(plan: Plan, grades: list[StudentGrade], at: datetime | None = None) -> list[Item]:
    """The items an LMS file carries: due as of ``at`` and graded for someone."""
    at = at or datetime.now(timezone.utc)
    return [
        item
        for item in plan.items
        if (item.due is None or elapsed(at, item.due).total_seconds() > 0)
        and any(g.cells[item.id].status == GRADED for g in grades)
    ]


def render(
    fmt: str,
    plan: Plan,
    grades: list[StudentGrade],
    roster: dict[str, Person],
    *,
    at: datetime | None = None,
    moodle_key: str = "email",
    moodle_max: float = MOODLE_MAX_GRADE,
) -> list[list]:
    """The rows of the file (header first), ready for :func:`descent.reports.spreadsheet.render`.
    Canvas and Moodle get a row for each roster student only (the module doc)."""
    if fmt in ("canvas", "moodle"):
        grades = [g for g in grades if g.student in roster and g.on_roster]
    people = [roster.get(g.student) or Person(g.student) for g in grades]
    if fmt == "canvas":
        return _canvas(plan, grades, people, columns(plan, grades, at))
    if fmt == "moodle":
        items = columns(plan, grades, at)
        _check_moodle(grades, people, items, moodle_key, moodle_max)
        rows: list[list] = [MOODLE_FIXED + [column(i) for i in items]]
        for g, p in zip(grades, people):
            fixed: list = [p.first_name, p.last_name, p.id, "", "", p.email]
            rows.append(fixed + [_moodle_cell(g.cells[i.id]) for i in items])
        return rows
    if fmt == "csv":
        return _plain(plan, grades)
    raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")


def students_in(fmt: str, rows: list[list]) -> int:
    """How many students' rows ``rows`` (what :func:`render` gave for ``fmt``) hold."""
    return len(rows) - HEADER_ROWS[fmt]


def _canvas(plan, grades, people, items) -> list[list]:
    rows: list[list] = [CANVAS_FIXED + [column(i) for i in items]]
    possible: list = ["    Points Possible", "", "", "", ""]
    rows.append(possible + [_possible(i, grades) for i in items])
    for g, p in zip(grades, people):
        name = f"{p.last_name}, {p.first_name}" if p.last_name else p.id
        fixed: list = [name, p.canvas_id, p.id, p.sis_login_id or p.id, p.section]
        rows.append(fixed + [_canvas_cell(g.cells[i.id]) for i in items])
    return rows


def _canvas_cell(cell) -> str:
    if cell.status == GRADED:
        return _num(cell.points)
    if cell.status == MISSING:
        return "0"
    return "EX" if cell.status == EXCUSED else ""


def _moodle_cell(cell) -> str:
    if cell.status == GRADED:
        return _num(cell.points)
    return "0" if cell.status == MISSING else ""


def _check_moodle(grades, people, items, key: str, most: float) -> None:
    if key not in MOODLE_KEYS:
        raise ValueError(f"--moodle-key must be one of {', '.join(MOODLE_KEYS)} (got {key!r})")
    keys = [p.email if key == "email" else p.id for p in people]
    problems = [
        f"{g.student}: no {MOODLE_KEYS[key]} (add it to the roster)"
        for g, k in zip(grades, keys)
        if not k.strip()
    ]
    seen: dict[str, str] = {}
    for g, k in zip(grades, keys):
        if k.strip() and k.strip().lower() in seen:
            problems.append(f"{g.student}: same {MOODLE_KEYS[key]} as {seen[k.strip().lower()]}")
        seen.setdefault(k.strip().lower(), g.student)
    for g in grades:
        for item in items:
            cell = g.cells[item.id]
            if cell.status == ATTENTION:
                problems.append(f"{g.student}, {item.id}: {cell.flag}")
            elif cell.status == GRADED and (cell.points or 0) > most:
                problems.append(
                    f"{g.student}, {item.id}: {cell.points:g} points is more than Moodle "
                    f"accepts ({most:g}; raise it on the site and pass --moodle-max-grade)"
                )
    if problems:
        raise LmsError(
            f"the Moodle file would misplace or clear grades; nothing was written "
            f"({len(problems)} problem(s)):\n" + "\n".join(f"  - {p}" for p in problems)
        )


def _plain(plan: Plan, grades: list[StudentGrade]) -> list[list]:
    cats = list(plan.categories)
    rows: list[list] = [
        ["student"]
        + [i.id for i in plan.items]
        + [f"{c} %" for c in cats]
        + ["course grade %", "attention"]
    ]
    for g in grades:
        rows.append(
            [g.student]
            + [
                _num(g.cells[i.id].points)
                if g.cells[i.id].status == GRADED
                else g.cells[i.id].label
                for i in plan.items
            ]
            + [_num(g.categories[c]) for c in cats]
            + [_num(g.total), "; ".join(g.flags)]
        )
    return rows


def _possible(item: Item, grades: list[StudentGrade]) -> str:
    """The item's points: the plan's for code, nbgrader's ``max_score`` for the others."""
    if item.kind == CODE:
        return _num(item.points)
    seen = [g.cells[item.id].max_points for g in grades if g.cells[item.id].status == GRADED]
    return _num(max(seen)) if seen else ""
