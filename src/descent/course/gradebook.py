"""The class gradebook: one SQLite file holding every grading of a course.

Tables (schema version :data:`SCHEMA`, in ``PRAGMA user_version``; the file is marked as
Descent's with ``PRAGMA application_id``):

* ``students``: ``id`` (the entry name without suffix), ``current_submission`` (the newest
  submission graded for that student), when first seen and last updated;
* ``submissions``: one row per (student, content hash, grader version): where it came from, when
  it was submitted (the entry's modification time) and graded, ``status`` (``graded``,
  ``timed_out``: retried once on the next run, then kept; ``failed``: the grading itself did not
  complete and is retried next run),
  points, the older entries it superseded, and the whole ``descent.results/1`` document;
* ``exercise_results`` and ``test_results``: the per-exercise and per-test rows of that
  document, for queries;
* ``images``: the capstone's loss-curve PNG;
* ``meta``: which Descent created and last wrote the file, and which students the submissions
  folder held at the last batch (``present``).

Every student's result is written in one transaction, so a batch killed at any moment leaves
each student either fully recorded or not at all. A batch holds ``GRADEBOOK.lock`` (an advisory
``flock``, released by the kernel even on SIGKILL) so two batches never write one gradebook.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from .. import __version__
from ..errors import DescentError

SCHEMA = 1
APPLICATION_ID = 0x44534354  # "DSCT"
BUSY_TIMEOUT_S = 10.0
# A re-run keeps a ``graded`` row. A ``timed_out`` one is kept only once the same submission
# has timed out on two runs (the first may be the machine's load, not the submission): its
# message then ends with KEPT_TIMEOUT. ``failed`` is always retried.
KEPT_TIMEOUT = "(timed out on two runs: kept; --regrade grades it again)"

_TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE students (
    id TEXT PRIMARY KEY,
    current_submission INTEGER REFERENCES submissions(id) ON DELETE SET NULL,
    first_seen TEXT NOT NULL,
    updated_at TEXT NOT NULL);
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    student TEXT NOT NULL REFERENCES students(id),
    source TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    grader_version TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    graded_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('graded', 'timed_out', 'failed')),
    points REAL NOT NULL DEFAULT 0,
    max_points REAL NOT NULL DEFAULT 0,
    duration_s REAL NOT NULL DEFAULT 0,
    host TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    superseded TEXT NOT NULL DEFAULT '[]',
    results TEXT,
    UNIQUE (student, content_hash, grader_version));
CREATE TABLE exercise_results (
    submission INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    exercise TEXT NOT NULL, title TEXT NOT NULL, points REAL NOT NULL, max_points REAL NOT NULL,
    status TEXT NOT NULL, first_failure TEXT NOT NULL, misconceptions TEXT NOT NULL,
    PRIMARY KEY (submission, exercise));
CREATE TABLE test_results (
    submission INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    nodeid TEXT NOT NULL, exercise TEXT NOT NULL, outcome TEXT NOT NULL, points REAL NOT NULL,
    max_points REAL NOT NULL, counted INTEGER NOT NULL, message TEXT NOT NULL,
    misconception TEXT, duration_s REAL NOT NULL,
    PRIMARY KEY (submission, nodeid));
CREATE TABLE images (
    submission INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    name TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (submission, name));
"""


class GradebookError(DescentError):
    """The gradebook cannot be used; the message says why and what to do."""


def out_of(rows: list[dict]) -> float:
    """What a student whose grading did not complete is out of: the class's maximum (the most
    points any current submission could get), the same in the summary and every export."""
    return max((r["max_points"] for r in rows), default=0.0)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")


class Gradebook:
    """An open gradebook. ``writable`` gradebooks hold the batch lock until :meth:`close`."""

    def __init__(self, path: str | Path, *, writable: bool = True):
        self.path = Path(path)
        self.writable = writable
        self._lock_fd: int | None = None
        if writable:
            self._lock()
        elif not self.path.is_file():
            raise GradebookError(f"{self.path}: no such gradebook (`descent batch` creates it)")
        try:
            self.db = self._connect()
            self._check_or_create()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ opening

    def _lock(self) -> None:
        lock = self.path.with_name(self.path.name + ".lock")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise GradebookError(
                f"cannot create the gradebook at {self.path}: {exc.strerror}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise GradebookError(
                f"{self.path} is in use by another batch ({holder}); wait for "
                f"it to finish, or grade into another gradebook"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, since {now()}".encode(), 0)
        self._lock_fd = fd

    def _connect(self) -> sqlite3.Connection:
        mode = "rwc" if self.writable else "ro"
        uri = f"file:{quote(str(self.path.resolve()))}?mode={mode}"
        try:
            db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise GradebookError(f"cannot open the gradebook {self.path}: {exc}") from None
        db.execute("PRAGMA foreign_keys = ON")
        return db

    def _check_or_create(self) -> None:
        try:
            app_id = self.db.execute("PRAGMA application_id").fetchone()[0]
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            tables = self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):  # locked, unreadable: not a verdict
                raise _explain(self.path, exc, BUSY_TIMEOUT_S) from None
            raise GradebookError(
                f"{self.path} is not a Descent gradebook ({exc}); it was left untouched"
            ) from None
        if tables == 0 and app_id == 0 and self.writable:
            self._create()
            return
        if app_id != APPLICATION_ID:
            raise GradebookError(
                f"{self.path} is an SQLite file but not a Descent gradebook; it was left untouched"
            )
        if version != SCHEMA:
            writer = self._meta("last_written_by") or "an unknown version"
            newer = "newer" if version > SCHEMA else "older"
            raise GradebookError(
                f"{self.path} was written by Descent {writer} (gradebook schema {version}); this "
                f"Descent {__version__} reads schema {SCHEMA}. The gradebook was left untouched: "
                f"use the {newer} Descent that wrote it, or start a new gradebook"
            )

    def _meta(self, key: str) -> str | None:
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row else None

    def _create(self) -> None:
        with self.transaction():
            for statement in _TABLES.split(";"):
                if statement.strip():
                    self.db.execute(statement)
            self.db.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [
                    ("created_by", __version__),
                    ("created_at", now()),
                    ("last_written_by", __version__),
                ],
            )
            self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            self.db.execute(f"PRAGMA user_version = {SCHEMA}")

    def transaction(self):
        return _Transaction(self)

    def close(self) -> None:
        db = getattr(self, "db", None)
        if db is not None:
            db.close()
            self.db = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ queries

    def graded(self, student: str, content_hash: str, version: str) -> int | None:
        """The id of a final grading of exactly this content with these graders, or None
        (see :data:`KEPT_TIMEOUT`)."""
        row = self.db.execute(
            "SELECT id FROM submissions WHERE student = ? AND content_hash = ? AND "
            "grader_version = ? AND (status = 'graded' OR (status = 'timed_out' AND "
            "message LIKE '%' || ?))",
            (student, content_hash, version, KEPT_TIMEOUT),
        ).fetchone()
        return row[0] if row else None

    def make_current(self, student: str, submission: int) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE students SET current_submission = ?, updated_at = ? "
                "WHERE id = ? AND current_submission IS NOT ?",
                (submission, now(), student, submission),
            )

    def current(self) -> list[dict]:
        """Each student's current submission (newest graded), ordered by student id; ``present``
        says whether the last batch still found the student's entry."""
        rows = self._rows(
            "FROM students t JOIN submissions s ON s.id = t.current_submission ORDER BY t.id", ()
        )
        present = self._meta("present")
        present = set(json.loads(present)) if present else None
        for row in rows:
            row["present"] = present is None or row["student"] in present
        return rows

    def gradings(self, ids: list[int]) -> list[dict]:
        """The submissions ``ids`` (one per student, such as an assignment's gradings) in the
        form of :meth:`current`, ordered by student id (``present``: the last batch's folder
        is one assignment's, so it says nothing of another's)."""
        marks = ", ".join("?" * len(ids))
        rows = self._rows(f"FROM submissions s WHERE s.id IN ({marks}) ORDER BY s.student", ids)
        for row in rows:
            row["present"] = True
        return rows

    def _rows(self, tail: str, args) -> list[dict]:
        keys = (
            "id",
            "student",
            "source",
            "content_hash",
            "grader_version",
            "submitted_at",
            "graded_at",
            "status",
            "points",
            "max_points",
            "duration_s",
            "host",
            "message",
            "superseded",
        )
        rows = self.db.execute(
            f"SELECT {', '.join('s.' + k for k in keys)} {tail}", tuple(args)
        ).fetchall()
        out = [dict(zip(keys, row)) for row in rows]
        for row in out:
            row["superseded"] = json.loads(row["superseded"])
        return out

    def set_present(self, students) -> None:
        """Record which students the submissions folder holds now (``meta``'s ``present``): a
        student graded earlier and absent now is reported as removed, never silently kept."""
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('present', ?)", (json.dumps(sorted(students)),)
            )

    def results(self, submission: int) -> dict | None:
        row = self.db.execute(
            "SELECT results FROM submissions WHERE id = ?", (submission,)
        ).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def images(self, submission: int) -> dict[str, bytes]:
        return dict(
            self.db.execute(
                "SELECT name, data FROM images WHERE submission = ?", (submission,)
            ).fetchall()
        )

    def counts(self) -> dict[str, int]:
        return dict(
            self.db.execute(
                "SELECT status, count(*) FROM submissions s JOIN students t "
                "ON s.id = t.current_submission GROUP BY status"
            ).fetchall()
        )

    # ------------------------------------------------------------------ writing

    def record(
        self,
        outcome,
        *,
        source: str,
        submitted: float,
        superseded: list[str],
        regrade: bool = False,
    ) -> int:
        """Store one grading (a :class:`~descent.course.runner.Outcome`) and make it the
        student's current submission, all in one transaction; returns the submission id."""
        doc = outcome.results
        stamp = now()
        message = outcome.message
        with self.transaction():
            db = self.db
            if outcome.status == "timed_out" and self._timed_out_before(outcome):
                message = f"{message.removesuffix(KEPT_TIMEOUT).rstrip()} {KEPT_TIMEOUT}"
            db.execute(
                "INSERT INTO students (id, first_seen, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at",
                (outcome.student, stamp, stamp),
            )
            db.execute(
                "DELETE FROM submissions WHERE student = ? AND content_hash = ? AND "
                "grader_version = ?",
                (outcome.student, outcome.content_hash, outcome.version),
            )
            sid = self._insert_submission(
                outcome,
                doc,
                source=source,
                submitted=submitted,
                stamp=stamp,
                message=message,
                superseded=superseded,
            )
            self._insert_details(sid, doc, outcome.images)
            db.execute(
                "UPDATE students SET current_submission = ? WHERE id = ?", (sid, outcome.student)
            )
            db.execute("INSERT OR REPLACE INTO meta VALUES ('last_written_by', ?)", (__version__,))
        return sid

    def _insert_submission(
        self,
        outcome,
        doc: dict | None,
        *,
        source: str,
        submitted: float,
        stamp: str,
        message: str,
        superseded: list[str],
    ) -> int:
        """The ``submissions`` row of one grading (inside :meth:`record`'s transaction)."""
        block = doc["implementations"][0] if doc and doc.get("implementations") else {}
        cur = self.db.execute(
            "INSERT INTO submissions (student, source, content_hash, grader_version, "
            "submitted_at, graded_at, status, points, max_points, duration_s, host, message, "
            "superseded, results) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                outcome.student,
                source,
                outcome.content_hash,
                outcome.version,
                iso(submitted),
                stamp,
                outcome.status,
                block.get("points", 0.0),
                block.get("max_points", 0.0),
                outcome.duration_s,
                outcome.host,
                message,
                json.dumps(superseded),
                json.dumps(doc) if doc else None,
            ),
        )
        return cur.lastrowid

    def _insert_details(self, sid: int, doc: dict | None, images: dict[str, bytes]) -> None:
        """The per-exercise, per-test and image rows of submission ``sid`` (inside
        :meth:`record`'s transaction)."""
        block = doc["implementations"][0] if doc and doc.get("implementations") else {}
        db = self.db
        db.executemany(
            "INSERT INTO exercise_results VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    sid,
                    ex["id"],
                    ex["title"],
                    ex["points"],
                    ex["max_points"],
                    ex["status"],
                    ex["first_failure"],
                    json.dumps(ex["misconceptions"]),
                )
                for ex in block.get("exercises", [])
            ],
        )
        db.executemany(
            "INSERT INTO test_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    sid,
                    t["nodeid"],
                    t["exercise"],
                    t["outcome"],
                    t["points"],
                    t["max_points"],
                    int(t["counted"]),
                    t["message"],
                    t["misconception"],
                    t["duration_s"],
                )
                for t in (doc or {}).get("tests", [])
            ],
        )
        db.executemany(
            "INSERT INTO images VALUES (?, ?, ?)",
            [(sid, name, data) for name, data in images.items()],
        )

    def _timed_out_before(self, outcome) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM submissions WHERE student = ? AND content_hash = ? AND "
            "grader_version = ? AND status = 'timed_out'",
            (outcome.student, outcome.content_hash, outcome.version),
        ).fetchone()
        return row is not None


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any error); SQLite's own "locked" and
    "disk full" errors become :class:`GradebookError` with what to do."""

    def __init__(self, book: Gradebook):
        self.book = book

    def __enter__(self):
        self._execute("BEGIN IMMEDIATE")
        return self.book.db

    def __exit__(self, kind, exc, tb):
        if kind is None:
            self._execute("COMMIT")
            return False
        try:
            self.book.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        if isinstance(exc, sqlite3.Error):
            raise _explain(self.book.path, exc) from None
        return False

    def _execute(self, sql: str) -> None:
        start = time.monotonic()
        try:
            self.book.db.execute(sql)
        except sqlite3.Error as exc:
            if sql == "COMMIT":
                try:
                    self.book.db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            raise _explain(self.book.path, exc, time.monotonic() - start) from None


def _explain(path: Path, exc: sqlite3.Error, waited: float = 0.0) -> GradebookError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return GradebookError(
            f"{path} is locked by another program (waited {waited:.0f} s); "
            f"close it (a database browser, another batch) and run again"
        )
    if "full" in text or "disk I/O" in text:
        return GradebookError(
            f"cannot write the gradebook {path}: {text} (is the disk full?); "
            f"everything recorded before is kept: free space and run the same "
            f"command again"
        )
    if "readonly" in text:
        return GradebookError(f"cannot write the gradebook {path}: it is read-only")
    return GradebookError(f"gradebook {path}: {text}")
