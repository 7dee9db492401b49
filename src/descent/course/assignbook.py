"""Assignment grades in the class gradebook: one row per (student, assignment).

The table ``assignment_grades`` sits beside the gradings in ``gradebook.sqlite`` (created on
first use; older readers ignore it; columns added later are added to an older table on first
use). Each row points at the grading it came from and keeps the raw score scaled to the
assignment's points, the submission time and where it came from, the late penalty and why, the
final score, and the SHA-256 of the plan that settled it (``plan_hash``): settling an
assignment's rows with another plan is refused unless asked for (``--replace-plan``), so a plan
picked by mistake never rewrites a term's penalties and extensions.

The table ``time_overrides`` keeps the submission times an instructor set by hand (``descent
course set-time``), with the reason, when, and the content hash of the submission it was set
for: it beats every source of the plan for that submission only, and lapses (saying so) when a
new one comes in. ``dropped`` keeps the entries the instructor dropped from a term (``descent
course drop``: a folder that is nobody's, such as one nbgrader named after a misread time), with
the reason; every table, course grade and file leaves them out, and ``--undo`` brings them back.
``report_folders`` remembers where each assignment's HTML reports went, so that a time set by
hand redoes the student's report.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .gradebook import Gradebook, now

TABLE = """CREATE TABLE IF NOT EXISTS assignment_grades (
    student TEXT NOT NULL, assignment TEXT NOT NULL,
    submission INTEGER REFERENCES submissions(id) ON DELETE SET NULL,
    content_hash TEXT NOT NULL, submitted_at TEXT NOT NULL, time_source TEXT NOT NULL,
    status TEXT NOT NULL, raw REAL NOT NULL, max_points REAL NOT NULL,
    penalty_percent REAL NOT NULL, penalty REAL NOT NULL, reason TEXT NOT NULL,
    final REAL NOT NULL, extension TEXT NOT NULL DEFAULT '', graded_at TEXT NOT NULL,
    plan_hash TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '',
    source_at TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (student, assignment))"""
OVERRIDES = """CREATE TABLE IF NOT EXISTS time_overrides (
    student TEXT NOT NULL, assignment TEXT NOT NULL, submitted_at TEXT NOT NULL,
    why TEXT NOT NULL, set_at TEXT NOT NULL, content_hash TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (student, assignment))"""
DROPPED = """CREATE TABLE IF NOT EXISTS dropped (
    student TEXT NOT NULL, assignment TEXT NOT NULL, reason TEXT NOT NULL,
    dropped_at TEXT NOT NULL, PRIMARY KEY (student, assignment))"""
REPORTS = """CREATE TABLE IF NOT EXISTS report_folders (
    assignment TEXT PRIMARY KEY, folder TEXT NOT NULL)"""
ADDED = {
    "plan_hash": "TEXT NOT NULL DEFAULT ''",
    "note": "TEXT NOT NULL DEFAULT ''",
    "source_at": "TEXT NOT NULL DEFAULT ''",
    "source": "TEXT NOT NULL DEFAULT ''",
}
COLUMNS = (
    "student",
    "assignment",
    "submission",
    "content_hash",
    "submitted_at",
    "time_source",
    "status",
    "raw",
    "max_points",
    "penalty_percent",
    "penalty",
    "reason",
    "final",
    "extension",
    "graded_at",
    "plan_hash",
    "note",
    "source_at",
    "source",
)


@dataclass
class Grade:
    """One student's grade for one assignment (points scaled to the assignment's total)."""

    student: str
    assignment: str
    submission: int | None
    content_hash: str
    submitted_at: str  # ISO 8601 with offset; "" when the time is unknown
    time_source: str
    status: str  # graded, timed_out, failed
    raw: float
    max_points: float
    penalty_percent: float
    penalty: float
    reason: str
    final: float
    extension: str = ""
    graded_at: str = ""
    plan_hash: str = ""
    note: str = ""  # what the instructor should know (another assignment's modules, ...)
    # the plan's own source, before any time set by hand ("" in rows of earlier versions):
    # what the row falls back to when that time lapses or is unset
    source_at: str = ""
    source: str = ""


@dataclass(frozen=True)
class Override:
    submitted_at: str  # ISO 8601 with offset
    why: str
    set_at: str
    content_hash: str = ""  # of the submission it was set for ("": set before the kit kept it)

    def holds_for(self, content_hash: str) -> bool:
        """Whether the time applies to the submission with ``content_hash``."""
        return not self.content_hash or self.content_hash == content_hash

    def lapsed(self) -> str:
        """What the row says once a new submission came in."""
        return (
            f"the time set by hand ({self.submitted_at}, {self.why}; set {self.set_at[:10]}) was "
            f"for an earlier submission: it lapsed (set it again, or --unset it)"
        )


def ensure(book: Gradebook) -> None:
    """Create the tables, or add the columns an older ``assignment_grades`` lacks."""
    with book.transaction() as db:
        db.execute(TABLE)
        db.execute(OVERRIDES)
        db.execute(DROPPED)
        db.execute(REPORTS)
        have = {row[1] for row in db.execute("PRAGMA table_info(assignment_grades)")}
        for name, kind in ADDED.items():
            if name not in have:
                db.execute(f"ALTER TABLE assignment_grades ADD COLUMN {name} {kind}")
        if "content_hash" not in {r[1] for r in db.execute("PRAGMA table_info(time_overrides)")}:
            # a time set before times were tied to a submission: to the one it was set beside
            db.execute(
                "ALTER TABLE time_overrides ADD COLUMN content_hash TEXT NOT NULL DEFAULT ''"
            )
            db.execute(
                "UPDATE time_overrides SET content_hash = COALESCE((SELECT g.content_hash FROM "
                "assignment_grades g WHERE g.student = time_overrides.student AND "
                "g.assignment = time_overrides.assignment), '')"
            )


def recorded_time(
    book: Gradebook, student: str, assignment: str, content_hash: str
) -> tuple[str, str] | None:
    """The submission time (and its source) the plan's source gave for this very content, a
    time set by hand aside."""
    row = book.db.execute(
        "SELECT submitted_at, time_source, source_at, source FROM assignment_grades WHERE "
        "student = ? AND assignment = ? AND content_hash = ?",
        (student, assignment, content_hash),
    ).fetchone()
    if row is None:
        return None
    at, source = (row[2], row[3]) if row[3] else (row[0], row[1])
    return (at, source) if at else None


def other_plans(book: Gradebook, assignment: str, digest: str) -> list[str]:
    """The plan hashes, other than ``digest``, that settled rows of ``assignment`` (rows the
    instructor dropped are nobody's, and left out)."""
    gone = {s for s, a in dropped(book) if a == assignment}
    try:
        rows = book.db.execute(
            "SELECT student, plan_hash FROM assignment_grades WHERE assignment = ? AND "
            "plan_hash != ?",
            (assignment, digest),
        ).fetchall()
    except sqlite3.OperationalError:  # no table yet, or one without plan_hash: nothing settled
        return []
    return list(dict.fromkeys(r[1] or "(not recorded)" for r in rows if r[0] not in gone))


def write(book: Gradebook, grades: list[Grade]) -> None:
    """Store ``grades`` (each replacing that student's row for that assignment only)."""
    ensure(book)
    stamp = now()
    with book.transaction() as db:
        db.executemany(
            f"INSERT OR REPLACE INTO assignment_grades ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(COLUMNS))})",
            [tuple(getattr(g, c) if c != "graded_at" else stamp for c in COLUMNS) for g in grades],
        )


def read(
    book: Gradebook, assignment: str | None = None, *, with_dropped: bool = False
) -> list[Grade]:
    """The recorded grades (of one assignment, or all), ordered by assignment and student;
    without the entries the instructor dropped unless ``with_dropped``."""
    gone = set() if with_dropped else set(dropped(book))
    return [g for g in _read(book, assignment) if (g.student, g.assignment) not in gone]


def _read(book: Gradebook, assignment: str | None) -> list[Grade]:
    where, args = ("WHERE assignment = ?", (assignment,)) if assignment else ("", ())
    try:
        have = {row[1] for row in book.db.execute("PRAGMA table_info(assignment_grades)")}
        columns = [c for c in COLUMNS if c in have]
        rows = book.db.execute(
            f"SELECT {', '.join(columns)} FROM assignment_grades {where} "
            f"ORDER BY assignment, student",
            args,
        ).fetchall()
    except sqlite3.OperationalError:  # a gradebook no assignment was graded into
        return []
    return [Grade(**dict(zip(columns, row))) for row in rows]


def set_override(
    book: Gradebook, student: str, assignment: str, at: str, why: str, content_hash: str
) -> None:
    """Record the time set by hand for the submission with ``content_hash``."""
    ensure(book)
    with book.transaction() as db:
        db.execute(
            "INSERT OR REPLACE INTO time_overrides (student, assignment, submitted_at, why, "
            "set_at, content_hash) VALUES (?, ?, ?, ?, ?, ?)",
            (student, assignment, at, why, now(), content_hash),
        )


def unset_override(book: Gradebook, student: str, assignment: str) -> bool:
    """Forget the time set by hand; whether there was one."""
    ensure(book)
    with book.transaction() as db:
        gone = db.execute(
            "DELETE FROM time_overrides WHERE student = ? AND assignment = ?",
            (student, assignment),
        ).rowcount
    return bool(gone)


def overrides(book: Gradebook) -> dict[tuple[str, str], Override]:
    """``{(student, item id): Override}``: the times set by hand."""
    try:
        have = {r[1] for r in book.db.execute("PRAGMA table_info(time_overrides)")}
        extra = ", content_hash" if "content_hash" in have else ""
        rows = book.db.execute(
            f"SELECT student, assignment, submitted_at, why, set_at{extra} FROM time_overrides"
        ).fetchall()
    except sqlite3.OperationalError:  # no time was ever set
        return {}
    return {(r[0], r[1]): Override(*r[2:]) for r in rows}


def drop(book: Gradebook, student: str, assignment: str, reason: str) -> None:
    ensure(book)
    with book.transaction() as db:
        db.execute(
            "INSERT OR REPLACE INTO dropped VALUES (?, ?, ?, ?)",
            (student, assignment, reason, now()),
        )


def undrop(book: Gradebook, student: str, assignment: str) -> bool:
    """Bring a dropped entry back; whether it was dropped."""
    ensure(book)
    with book.transaction() as db:
        gone = db.execute(
            "DELETE FROM dropped WHERE student = ? AND assignment = ?", (student, assignment)
        ).rowcount
    return bool(gone)


def dropped(book: Gradebook) -> dict[tuple[str, str], str]:
    """``{(student, item id): reason}``: the entries the instructor dropped from the term."""
    try:
        rows = book.db.execute("SELECT student, assignment, reason FROM dropped").fetchall()
    except sqlite3.OperationalError:  # nothing was ever dropped
        return {}
    return {(r[0], r[1]): r[2] for r in rows}


def set_report_folder(book: Gradebook, assignment: str, folder: str) -> None:
    ensure(book)
    with book.transaction() as db:
        db.execute("INSERT OR REPLACE INTO report_folders VALUES (?, ?)", (assignment, folder))


def report_folder(book: Gradebook, assignment: str) -> str | None:
    """Where the last batch of ``assignment`` wrote its HTML reports."""
    try:
        row = book.db.execute(
            "SELECT folder FROM report_folders WHERE assignment = ?", (assignment,)
        ).fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def gradings(book: Gradebook, assignment: str) -> list[dict]:
    """The gradings the rows of ``assignment`` came from, in the form of
    :meth:`Gradebook.current`, each with its settled :class:`Grade` under ``"grade"``: what
    ``descent report --class`` and ``descent export --gradebook`` read with ``--assignment``
    (``Gradebook.current`` is each student's newest grading, whichever assignment it was)."""
    grades = {g.submission: g for g in read(book, assignment) if g.submission is not None}
    rows = book.gradings(list(grades))
    for row in rows:
        row["grade"] = grades[row["id"]]
    return rows
