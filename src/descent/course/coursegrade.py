"""One course grade per student, from the plan's code assignments and nbgrader assignments.

Every item of the plan gets, per student and as of a moment ``at`` (default now), one
:class:`Cell`, decided in this order:

1. **excused**: the extensions file says ``excused``; the item is left out of that student's
   category (Canvas ``EX``);
2. **not due**: the student's due date (an extension's, else the item's) is after ``at``; left
   out, even when something was already graded (labelled *extension running (until ...)* when
   only the extension is still running);
3. **graded**: the late policy applied to the raw score, with the times and extensions as they
   are now: a code assignment's raw score and submission time from the gradebook, an nbgrader
   assignment's ``raw_score`` and ``timestamp`` from ``nbgrader export`` (the plan's late policy
   is applied to it, one rule for every item), its time read from what nbgrader recorded at
   submit (:mod:`.nbrecords`); a time set by hand for that very submission beats both (one set
   for an earlier submission lapses, flagged). A submission whose time is unknown keeps its raw
   score, with no penalty, and is flagged;
   **needs attention**: a grading that failed or timed out; left out and flagged, never a 0;
4. **missing**: nothing came in and the due date has passed: counts 0.

Submitted means collected: for nbgrader, a row with a ``timestamp``, or a folder in the
course's ``submitted/`` or ``autograded/`` (work placed there by hand has no timestamp in the
export, and counts). A category's percentage is the weighted mean of its counted items after
dropping the lowest ``drop_lowest`` (always keeping one; of equal percentages the heavier is
dropped); the course grade is the category weights' mean of the categories that have a counted
item.

An entry the instructor dropped (``descent course drop``) is left out as if it had never come
in; a student the roster does not list is graded and flagged (:mod:`.roster`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from . import lateness, nbrecords
from .assignbook import Grade, Override
from .plan import CODE, Item, Plan
from .roster import Person, not_on_roster, read_roster

__all__ = ["Person", "read_roster"]  # the roster's names, kept here for earlier importers

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
    detail: str = ""  # a status said more precisely ("extension running (until ...)")

    @property
    def label(self) -> str:
        """The status as the tables and the plain CSV show it."""
        return self.detail or self.status

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
    roster_flag: str = ""  # "" for a roster student (or without a roster): see :mod:`.roster`

    @property
    def flags(self) -> list[str]:
        found = [self.roster_flag] if self.roster_flag else []
        return found + [f"{item}: {cell.flag}" for item, cell in self.cells.items() if cell.flag]

    @property
    def on_roster(self) -> bool:
        return not self.roster_flag


@dataclass(frozen=True)
class LabRow:
    """One student's row of one assignment in ``nbgrader export``'s CSV, when submitted."""

    raw: float
    max_points: float
    timestamp: datetime | None  # the export's (naive UTC, as nbgrader writes it); None: none
    nbgrader_penalty: float = 0.0  # nbgrader's own late penalty, replaced by the plan's
    when: lateness.Submitted | None = None  # read from nbgrader's records (:mod:`.nbrecords`)
    content: str = ""  # what identifies the submission (a time set by hand is tied to it)


@dataclass
class Inputs:
    """Everything a course grade is computed from."""

    code: dict[tuple[str, str], Grade] = field(default_factory=dict)
    labs: dict[tuple[str, str], LabRow] = field(default_factory=dict)
    extensions: dict[tuple[str, str], lateness.Extension] = field(default_factory=dict)
    overrides: dict[tuple[str, str], Override] = field(default_factory=dict)
    roster: dict[str, Person] = field(default_factory=dict)
    dropped: dict[tuple[str, str], str] = field(default_factory=dict)  # reason

    def students(self) -> list[str]:
        """The roster, and everyone else with an entry the instructor has not dropped."""
        entries = {s for s, i in [*self.code, *self.labs] if (s, i) not in self.dropped}
        return sorted(set(self.roster) | entries)


EXPORT_COLUMNS = (  # what nbgrader's CsvExportPlugin writes, in its order
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
)


def read_nbgrader_export(
    path: Path, wanted: set[str], course: Path | None = None, known: set[str] | None = None
) -> dict[tuple[str, str], LabRow]:
    """``{(student, assignment): LabRow}`` from ``nbgrader export``'s CSV, for the assignments
    in ``wanted`` and the students who submitted (see the module doc: a timestamp, or a folder
    in ``course``'s ``submitted/`` or ``autograded/``). nbgrader writes its times in UTC without
    a zone, and its fields unquoted (:func:`_export_fields`)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        lines = handle.read().splitlines()
    header = lines[0].split(",") if lines else []
    need = {"assignment", "student_id", "raw_score", "max_score"}
    if not need <= set(header):
        raise ValueError(
            f"{path} is not an nbgrader export (it needs the columns {', '.join(sorted(need))})"
        )
    out = {}
    for line, text in enumerate(lines[1:], start=2):
        if not text.strip():
            continue
        try:
            row = _export_fields(header, text.split(","), known or set())
        except ValueError as exc:
            raise ValueError(f"{path}, line {line}: {exc}") from None
        student, item = row["student_id"], row["assignment"]
        stamp = (row.get("timestamp") or "").strip()
        if item not in wanted or not (stamp or _collected(course, student, item)):
            continue
        try:
            when = lateness.parse_time(stamp, timezone.utc) if stamp else None
        except ValueError:
            when = None  # nbgrader's reading of a time it could not read: nbrecords says why
        try:
            out[(student, item)] = LabRow(
                float(row["raw_score"] or 0),
                float(row["max_score"] or 0),
                when.replace(tzinfo=None) if when else None,
                float(row.get("late_submission_penalty") or 0),
            )
        except ValueError as exc:
            raise ValueError(f"{path}, line {line}: {exc}") from None
    return out


def _export_fields(header: list[str], values: list[str], known: set[str]) -> dict[str, str]:
    """One row of nbgrader's export as nbgrader wrote it: joined with commas, never quoted, so
    a name such as ``Walker, Jr.`` adds a field. The columns before ``student_id`` are counted
    from the left, those after ``email`` from the right, and the commas between belong to the
    names, unless only another split gives an id in ``known`` (the roster's)."""
    extra = len(values) - len(header)
    if extra == 0:
        return dict(zip(header, values))
    if extra < 0 or tuple(header) != EXPORT_COLUMNS:
        raise ValueError(f"{len(values)} fields under a header of {len(header)}")
    left, right = values[:3], values[len(values) - 4 :]
    middle = values[3 : len(values) - 4]  # student_id, last_name, first_name, email
    ids = [",".join(middle[: k + 1]) for k in range(extra + 1)]
    chosen = [i for i in ids if i in known] or ids[:1]
    if len(chosen) > 1:
        raise ValueError(f"the student id could be any of {', '.join(map(repr, chosen))}")
    return dict(zip(EXPORT_COLUMNS, [*left, chosen[0], "", "", "", *right]))


def read_labs(
    plan: Plan, path: Path, known: set[str] | None = None
) -> dict[tuple[str, str], LabRow]:
    """The nbgrader items' rows of the export at ``path``, each with its time read from what
    nbgrader recorded at submit in the plan's nbgrader course (:mod:`.nbrecords`)."""
    wanted = {i.id for i in plan.items if i.kind != CODE}
    rows = read_nbgrader_export(path, wanted, plan.nbgrader_course, known)
    records = nbrecords.Records(plan.nbgrader_course, plan.written_allowance)
    for (student, item), row in rows.items():
        record = records.submitted(student, item, row.timestamp)
        content = records.content(student, item, row.timestamp)
        rows[(student, item)] = replace(row, when=record.when, content=content)
    return rows


def _collected(course: Path | None, student: str, item: str) -> bool:
    return course is not None and any(
        (course / stage / student / item).is_dir() for stage in ("submitted", "autograded")
    )


def compute(
    plan: Plan, inputs: Inputs, students: list[str] | None = None, at: datetime | None = None
) -> list[StudentGrade]:
    """Course grades of ``students`` (default :meth:`Inputs.students`) as of ``at`` (default
    now)."""
    at = at or datetime.now(timezone.utc)
    out = []
    for student in inputs.students() if students is None else students:
        cells = {item.id: _cell(plan, item, student, inputs, at) for item in plan.items}
        grade = StudentGrade(student, cells, roster_flag=not_on_roster(inputs.roster, student))
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
    if due is not None and lateness.elapsed(at, due).total_seconds() <= 0:
        return Cell(item.id, NOT_DUE, max_points=most, detail=running(item, extension, at, plan))
    manual = inputs.overrides.get((student, item.id))
    gone = (student, item.id) in inputs.dropped
    if item.kind == CODE:
        row = None if gone else inputs.code.get((student, item.id))
        if row is None:
            return Cell(item.id, MISSING, max_points=most)
        if row.status != GRADED:
            return Cell(
                item.id,
                ATTENTION,
                max_points=most,
                flag=f"{ATTENTION} (grading {row.status.replace('_', ' ')})",
            )
        when, lapsed = _code_time(row, manual)
        raw, most = row.raw, row.max_points
    else:
        lab = None if gone else inputs.labs.get((student, item.id))
        if lab is None:
            return Cell(item.id, MISSING)
        when, lapsed = _lab_time(lab, manual)
        raw, most = lab.raw, lab.max_points
    settled = lateness.settle(item, raw, when, extension, plan.timezone)
    flag = "; ".join(f for f in (when.source if not when.known else when.doubt, lapsed) if f)
    return Cell(item.id, GRADED, settled.final, most, raw=raw, penalty=settled.penalty, flag=flag)


def running(item: Item, extension: lateness.Extension | None, at: datetime, plan: Plan) -> str:
    """``extension running (until ...)`` when the item is past its own due date and only the
    student's extension keeps it open at ``at``; else ""."""
    if extension is None or extension.due is None or item.due is None:
        return ""
    if lateness.elapsed(at, item.due).total_seconds() <= 0:
        return ""
    return f"extension running (until {lateness.local(extension.due, plan.timezone)})"


def _code_time(row: Grade, manual: Override | None) -> tuple[lateness.Submitted, str]:
    """The time set by hand for this submission, else what the plan's source read."""
    if manual and manual.holds_for(row.content_hash):
        return _by_hand(manual), ""
    lapsed = manual.lapsed() if manual else ""
    at, source = (row.source_at, row.source) if row.source else (row.submitted_at, row.time_source)
    if source.startswith(lateness.SET_BY_HAND):  # a row of an earlier version, its time unset
        return lateness.unknown("the time set by hand was unset: run the batch again"), lapsed
    if at:
        return lateness.Submitted(datetime.fromisoformat(at), source), lapsed
    return lateness.Submitted(None, source), lapsed


def _lab_time(lab: LabRow, manual: Override | None) -> tuple[lateness.Submitted, str]:
    if manual and manual.holds_for(lab.content):
        return _by_hand(manual), ""
    lapsed = manual.lapsed() if manual else ""
    if lab.when is not None:
        return lab.when, lapsed
    if lab.timestamp is not None:
        return lateness.Submitted(lab.timestamp.replace(tzinfo=timezone.utc), "nbgrader"), lapsed
    return lateness.unknown(
        "no timestamp in nbgrader's export (placed in submitted/ by hand?)"
    ), lapsed


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
