"""Assignment grades in the class gradebook: one row per (student, assignment).

The table ``assignment_grades`` sits beside the gradings in ``gradebook.sqlite`` (created on
first use; older readers ignore it; columns added later are added to an older table on first
use). Each row points at the grading it came from and keeps the raw score scaled to the
assignment's points, the submission time and where it came from, the late penalty and why, the
final score, and the SHA-256 of the plan that settled it (``plan_hash``): settling an
assignment's rows with another plan is refused unless asked for (``--replace-plan``), so a plan
picked by mistake never rewrites a term's penalties and extensions.

The table ``time_overrides`` keeps the submission times an instructor set by hand (``descent
course set-time``), with the reason and when; an override beats every source of the plan.
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
    PRIMARY KEY (student, assignment))"""
OVERRIDES = """CREATE TABLE IF NOT EXISTS time_overrides (
    student TEXT NOT NULL, assignment TEXT NOT NULL, submitted_at TEXT NOT NULL,
    why TEXT NOT NULL, set_at TEXT NOT NULL, PRIMARY KEY (student, assignment))"""
ADDED = {"plan_hash": "TEXT NOT NULL DEFAULT ''", "note": "TEXT NOT NULL DEFAULT ''"}
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


@dataclass(frozen=True)
class Override:
    submitted_at: str  # ISO 8601 with offset
    why: str
    set_at: str


def ensure(book: Gradebook) -> None:
    """Create the tables, or add the columns an older ``assignment_grades`` lacks."""
    with book.transaction() as db:
        db.execute(TABLE)
        db.execute(OVERRIDES)
        have = {row[1] for row in db.execute("PRAGMA table_info(assignment_grades)")}
        for name, kind in ADDED.items():
            if name not in have:
                db.execute(f"ALTER TABLE assignment_grades ADD COLUMN {name} {kind}")


def recorded_time(
    book: Gradebook, student: str, assignment: str, content_hash: str
) -> tuple[str, str] | None:
    """The submission time (and its source) already recorded for this very content."""
    row = book.db.execute(
        "SELECT submitted_at, time_source FROM assignment_grades WHERE "
        "student = ? AND assignment = ? AND content_hash = ?",
        (student, assignment, content_hash),
    ).fetchone()
    return (row[0], row[1]) if row and row[0] else None


def other_plans(book: Gradebook, assignment: str, digest: str) -> list[str]:
    """The plan hashes, other than ``digest``, that settled rows of ``assignment``."""
    try:
        rows = book.db.execute(
            "SELECT DISTINCT plan_hash FROM assignment_grades WHERE assignment = ? AND "
            "plan_hash != ?",
            (assignment, digest),
        ).fetchall()
    except sqlite3.OperationalError:  # no table yet, or one without plan_hash: nothing settled
        return []
    return [r[0] or "(not recorded)" for r in rows]


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


def read(book: Gradebook, assignment: str | None = None) -> list[Grade]:
    """The recorded grades (of one assignment, or all), ordered by assignment and student."""
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


def set_override(book: Gradebook, student: str, assignment: str, at: str, why: str) -> None:
    ensure(book)
    with book.transaction() as db:
        db.execute(
            "INSERT OR REPLACE INTO time_overrides VALUES (?, ?, ?, ?, ?)",
            (student, assignment, at, why, now()),
        )


def overrides(book: Gradebook) -> dict[tuple[str, str], Override]:
    """``{(student, item id): Override}``: the times set by hand."""
    try:
        rows = book.db.execute(
            "SELECT student, assignment, submitted_at, why, set_at FROM time_overrides"
        ).fetchall()
    except sqlite3.OperationalError:  # no time was ever set
        return {}
    return {(r[0], r[1]): Override(r[2], r[3], r[4]) for r in rows}


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
