"""``descent course sync-nbgrader`` (``descent.course.nbsync``) on a real nbgrader database: the
plan's due dates written in UTC, an extension written on the student's submission, what nbgrader
does not have yet reported, each change said once. (A whole term through nbgrader's exchange:
test_term_nbgrader.py.) nbgrader migrates its database with alembic, a few seconds a
database: not in the fast lane."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from descent.course import lateness, nbsync
from descent.course import plan as plan_mod

from .test_term import write_plan

api = pytest.importorskip("nbgrader.api")
LAB_DUE = datetime(2027, 1, 20, 23, 59)  # the plan's lab1, UTC


@pytest.fixture
def plan(tmp_path, monkeypatch):
    # nbgrader's database runs alembic, installed beside this Python (a venv not on PATH)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return plan_mod.load(write_plan(tmp_path))


def _database(plan, *, submitted=("ann",)):
    path = plan.nbgrader_course / nbsync.DATABASE
    with api.Gradebook(f"sqlite:///{path}") as book:
        book.add_assignment("lab1", duedate=datetime(2027, 1, 1))
        for student in ("ann", "bo"):
            book.add_student(student)
        for student in submitted:
            book.add_submission("lab1", student)
    return path


def test_the_due_dates_and_extensions_are_written_and_each_change_said(plan):
    path = _database(plan)
    extensions = {
        ("ann", "lab1"): lateness.Extension(plan.item("lab1").due + timedelta(days=2), "illness"),
        ("bo", "lab1"): lateness.Extension(plan.item("lab1").due + timedelta(days=1), "travel"),
    }
    lines = nbsync.sync(plan, extensions)
    assert lines == [
        f"lab1: due 2027-01-01 00:00:00 -> {LAB_DUE} (UTC)",
        "lab1, ann: extension of 2 days, 0:00:00 written",
        "lab1, bo: extension kept for later (nothing collected)",
    ]
    with api.Gradebook(f"sqlite:///{path}") as book:
        assert book.find_assignment("lab1").duedate == LAB_DUE
        assert book.find_submission("lab1", "ann").extension == timedelta(days=2)
    assert nbsync.sync(plan, {}) == []  # the due date is the plan's now: nothing to say


def test_without_nbgraders_database_nothing_is_written_and_the_reason_given(plan):
    with pytest.raises(nbsync.SyncError, match="no nbgrader database at .*gradebook.db"):
        nbsync.sync(plan, {})
