"""Assignment grades in the class gradebook (``descent.course.assignbook``): one row per student
and assignment, each written over its own only; the plans that settled them; times set by hand,
tied to one submission; dropped entries left out of what is read; and a gradebook no assignment
was graded into read as empty, not as an error."""

from __future__ import annotations

import sqlite3

import pytest

from descent.course import assignbook
from descent.course.gradebook import Gradebook

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _grade(student, assignment="a1", final=8.0, plan="p1", content="h1", **kw):
    return assignbook.Grade(
        student, assignment, None, content, "2027-01-08T12:00:00+00:00", "manifest", "graded",
        10.0, 10.0, 20.0, 2.0, "a day late", final, plan_hash=plan, **kw,
    )  # fmt: skip


@pytest.fixture
def book(tmp_path):
    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        yield book


def test_each_row_replaces_that_students_row_of_that_assignment_only(book):
    assignbook.write(book, [_grade("ann"), _grade("bo"), _grade("ann", "a2")])
    assignbook.write(book, [_grade("ann", final=10.0)])
    rows = {(g.student, g.assignment): g.final for g in assignbook.read(book)}
    assert rows == {("ann", "a1"): 10.0, ("bo", "a1"): 8.0, ("ann", "a2"): 8.0}
    assert [g.student for g in assignbook.read(book, "a1")] == ["ann", "bo"]
    assert all(g.graded_at for g in assignbook.read(book))


def test_the_plans_that_settled_an_assignment_are_told_apart(book):
    assignbook.write(
        book, [_grade("ann", plan="p1"), _grade("bo", plan="p2"), _grade("cy", plan="")]
    )
    assert assignbook.other_plans(book, "a1", "p1") == ["p2", "(not recorded)"]
    assignbook.drop(book, "bo", "a1", "nobody's folder")
    assert assignbook.other_plans(book, "a1", "p1") == ["(not recorded)"]
    assert assignbook.other_plans(book, "a2", "p1") == []


def test_a_time_set_by_hand_holds_for_its_submission_and_can_be_unset(book):
    assignbook.set_override(
        book, "ann", "a1", "2027-01-08T23:00:00+00:00", "the server was down", "h1"
    )
    override = assignbook.overrides(book)[("ann", "a1")]
    assert override.holds_for("h1") and not override.holds_for("h2")
    assert "it lapsed (set it again, or --unset it)" in override.lapsed()
    assert assignbook.unset_override(book, "ann", "a1") is True
    assert (
        assignbook.unset_override(book, "ann", "a1") is False and assignbook.overrides(book) == {}
    )


def test_the_time_the_plans_source_gave_is_kept_beside_one_set_by_hand(book):
    assignbook.write(
        book, [_grade("ann", source_at="2027-01-09T08:00:00+00:00", source="manifest")]
    )
    assert assignbook.recorded_time(book, "ann", "a1", "h1") == (
        "2027-01-09T08:00:00+00:00",
        "manifest",
    )
    assert assignbook.recorded_time(book, "ann", "a1", "other") is None


def test_a_dropped_entry_is_left_out_until_brought_back(book):
    assignbook.write(book, [_grade("ann"), _grade("zz-misread")])
    assignbook.drop(book, "zz-misread", "a1", "nbgrader misread a time")
    assert [g.student for g in assignbook.read(book)] == ["ann"]
    assert len(assignbook.read(book, with_dropped=True)) == 2
    assert assignbook.dropped(book) == {("zz-misread", "a1"): "nbgrader misread a time"}
    assert assignbook.undrop(book, "zz-misread", "a1") and not assignbook.undrop(book, "x", "a1")
    assert len(assignbook.read(book)) == 2


def test_a_gradebook_without_the_tables_reads_as_empty(book):
    assert assignbook.read(book) == [] and assignbook.overrides(book) == {}
    assert assignbook.dropped(book) == {} and assignbook.report_folder(book, "a1") is None
    assignbook.set_report_folder(book, "a1", "/reports/a1")
    assert assignbook.report_folder(book, "a1") == "/reports/a1"


def test_an_older_table_gets_the_columns_it_lacks(tmp_path):
    path = tmp_path / "old.sqlite"
    with Gradebook(path) as book:
        with book.transaction() as db:
            db.execute(
                assignbook.TABLE.split("plan_hash")[0].rstrip(", \n")
                + ", PRIMARY KEY (student, assignment))"
            )
        assignbook.ensure(book)
        have = {r[1] for r in book.db.execute("PRAGMA table_info(assignment_grades)")}
    assert set(assignbook.ADDED) <= have
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM time_overrides").fetchone() == (0,)
