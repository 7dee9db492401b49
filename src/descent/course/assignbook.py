"""Assignment grades in the class gradebook: one row per (student, assignment).

The table ``assignment_grades`` sits beside the gradings in ``gradebook.sqlite`` (created on
first use; older readers ignore it). Each row points at the grading it came from and keeps the
raw score scaled to the assignment's points, the late penalty and why, and the final score.
Grading one assignment writes only that assignment's rows. A regrade of the same content (same
hash) keeps the submission time first recorded: new graders never make work late.
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
    PRIMARY KEY (student, assignment))"""
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
)


@dataclass
class Grade:
    """One student's grade for one assignment (points scaled to the assignment's total)."""

    student: str
    assignment: str
    submission: int | None
    content_hash: str
    submitted_at: str  # ISO 8601 with offset
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


def ensure(book: Gradebook) -> None:
    with book.transaction() as db:
        db.execute(TABLE)


def recorded_time(
    book: Gradebook, student: str, assignment: str, content_hash: str
) -> tuple[str, str] | None:
    """The submission time (and its source) already recorded for this very content."""
    row = book.db.execute(
        "SELECT submitted_at, time_source FROM assignment_grades WHERE "
        "student = ? AND assignment = ? AND content_hash = ?",
        (student, assignment, content_hash),
    ).fetchone()
    return (row[0], row[1]) if row else None


def write(book: Gradebook, grades: list[Grade]) -> None:
    """Store ``grades`` (each replacing that student's row for that assignment only)."""
    stamp = now()
    with book.transaction() as db:
        db.execute(TABLE)
        db.executemany(
            f"INSERT OR REPLACE INTO assignment_grades ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(COLUMNS))})",
            [tuple(getattr(g, c) if c != "graded_at" else stamp for c in COLUMNS) for g in grades],
        )


def read(book: Gradebook, assignment: str | None = None) -> list[Grade]:
    """The recorded grades (of one assignment, or all), ordered by assignment and student."""
    where, args = ("WHERE assignment = ?", (assignment,)) if assignment else ("", ())
    try:
        rows = book.db.execute(
            f"SELECT {', '.join(COLUMNS)} FROM assignment_grades {where} "
            f"ORDER BY assignment, student",
            args,
        ).fetchall()
    except sqlite3.OperationalError:  # a gradebook no assignment was graded into
        return []
    return [Grade(**dict(zip(COLUMNS, row))) for row in rows]
