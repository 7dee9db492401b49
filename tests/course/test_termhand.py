"""``descent course set-time`` that cannot be misused (``descent.course.termhand``).

A time set by hand beats every source, so it is checked before it is kept: the gradebook must
be there, the student must have a submission of the item (not excused, not dropped), the time
must lie between the item's release and the end of term unless forced with a reason; it is
tied to the submission it was set for and lapses, saying so, when another comes in; it can be
unset; the student's report is written again. Every refusal is exit 2 with nothing changed.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from descent.commands import main
from descent.course import assignbook, assigned, lateness, submissions
from descent.course import plan as plan_mod
from descent.course.gradebook import Gradebook

from .test_term import DUE, _outcome, write_plan
from .test_term_people import snapshot

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _settle(folder: Path, manifest: dict[str, str]) -> dict[str, assignbook.Grade]:
    """Record a full-marks grading of each entry of ``folder/subs`` and settle a1 from
    ``manifest``, as ``descent batch --assignment a1`` does, its reports included."""
    plan = plan_mod.load(folder / "course.toml")
    subs = folder / "subs"
    rows = "".join(f"{s},{t}\n" for s, t in manifest.items())
    (subs / "manifest.csv").write_text("student,submitted_at\n" + rows)
    listing = submissions.discover(subs)
    with Gradebook(folder / "gb.sqlite") as book:
        for entry in listing.entries:
            digest = submissions.content_hash(entry.path)
            if book.graded(entry.student, digest, "v-a1") is None:
                outcome = _outcome(entry.student, 20.0, 20.0, digest)
                book.record(outcome, source="x", submitted=0, superseded=[])
        records = assigned.Records(
            lateness.read_manifest(subs, plan.timezone),
            lateness.read_extensions(plan.extensions, plan),
            assignbook.overrides(book),
        )
        grades = assigned.settle(book, plan, plan.item("a1"), listing, "v-a1", subs, records)
        assignbook.write(book, grades)
        assigned.write_reports(book, grades, plan, folder / "reports" / "a1")
    return {g.student: g for g in grades}


@pytest.fixture
def term(tmp_path):
    write_plan(tmp_path)
    (tmp_path / "extensions.csv").write_text("student,assignment,due\ndan,a1,excused\n")
    for student in ("ann", "bob"):
        (tmp_path / "subs" / student).mkdir(parents=True)
        (tmp_path / "subs" / student / "basics.py").write_text(f"# {student}\n")
    _settle(tmp_path, {"ann": "2027-01-08T20:00:00Z"})  # bob: not in the manifest
    return tmp_path


def set_time(folder: Path, *argv: str, book: str = "gb.sqlite") -> int:
    common = ["--plan", str(folder / "course.toml"), "--gradebook", str(folder / book)]
    return main(["course", "set-time", *argv, *common])


def _said(capsys) -> str:
    return " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    "argv, message",
    [
        (["bob", "a1", "2031-01-10T12:00", "--why", "x"], "is after the end of term (2027-03-23"),
        (["bob", "a1", "2026-12-31T12:00", "--why", "x"], "is before a1's release (2027-01-01"),
        (["bob", "a1", "9999-01-10T12:00", "--why", "x"], "outside the years 1970 to 2199"),
        (["bob", "a1", "2027-01-10T12:00"], "--why must say why"),
        (["bob", "a1", "--why", "x"], "give the TIME"),
        (["eve", "a1", "2027-01-10T12:00", "--why", "x"], "no submission of a1 by eve"),
        (["dan", "a1", "2027-01-10T12:00", "--why", "x"], "dan is excused from a1"),
        (["zed", "a1", "2027-01-10T12:00", "--why", "x"], "no student 'zed' in the roster"),
        (["bob", "a1", "--unset"], "no time was set by hand for bob, a1"),
        (["bob", "a1", "2027-01-10T12:00", "--why", "x", "--force", " "], "--force needs"),
        (["bob", "lab1", "2027-01-20T12:00", "--why", "x"], "bob has no submission of lab1"),
    ],
)
def test_a_time_that_cannot_be_right_is_refused_and_nothing_changes(term, capsys, argv, message):
    before = snapshot(term)
    assert set_time(term, *argv) == 2
    assert message in _said(capsys)
    assert snapshot(term) == before


def test_a_mistyped_gradebook_is_refused_and_no_gradebook_is_made(term, capsys):
    assert set_time(term, "bob", "a1", "2027-01-10T12:00", "--why", "x", book="gb.sqlit") == 2
    assert "no gradebook at" in _said(capsys)
    assert not (term / "gb.sqlit").exists() and not (term / "gb.sqlit.lock").exists()


def test_a_time_outside_the_term_is_kept_only_when_forced_with_a_reason(term, capsys):
    argv = ["bob", "a1", "2027-04-10T12:00", "--why", "resit"]
    assert set_time(term, *argv) == 2
    assert set_time(term, *argv, "--force", "the exam board's decision") == 0
    with Gradebook(term / "gb.sqlite", writable=False) as book:
        why = assignbook.overrides(book)[("bob", "a1")].why
        (row,) = [g for g in assignbook.read(book, "a1") if g.student == "bob"]
    assert why.startswith("resit (forced, after the end of term") and "exam board" in why
    assert row.final == 0 and row.time_source.startswith("set by the instructor: resit")


def test_the_time_holds_for_its_submission_and_lapses_saying_so(term, capsys):
    """The issue: a time set by hand stayed attached to the student, so a later submission 19
    days late still counted as on time. Now it holds for the submission it was set for."""
    assert set_time(term, "bob", "a1", "2027-01-08T22:00", "--why", "email receipt") == 0
    assert "final 20 -> 20/20" in _said(capsys)
    page = (term / "reports" / "a1" / "bob.html").read_text()
    assert "Submitted 2027-01-08 22:00 UTC (set by the instructor: email receipt)." in page
    again = _settle(term, {"ann": "2027-01-08T20:00:00Z"})["bob"]
    assert again.final == 20 and again.time_source == "set by the instructor: email receipt"
    # bob hands in again, 19 days late: the time set by hand was for the first submission
    (term / "subs" / "bob" / "basics.py").write_text("# bob, much later\n")
    late = (DUE + timedelta(days=19)).isoformat()
    bob = _settle(term, {"ann": "2027-01-08T20:00:00Z", "bob": late})["bob"]
    assert bob.time_source == lateness.MANIFEST and bob.final == 0
    assert "was for an earlier submission: it lapsed" in bob.note
    assert "it lapsed" in (term / "reports" / "a1" / "bob.html").read_text()


def test_unset_returns_to_the_source_and_the_report_is_written_again(term, capsys):
    assert set_time(term, "ann", "a1", "2027-01-10T23:00", "--why", "proctor's note") == 0
    assert "final 20 -> 16/20" in _said(capsys)
    page = (term / "reports" / "a1" / "ann.html").read_text()
    assert "a1: 16 / 20 points" in page and "proctor" in page
    assert set_time(term, "ann", "a1", "--unset") == 0
    assert "final 16 -> 20/20" in _said(capsys)
    with Gradebook(term / "gb.sqlite", writable=False) as book:
        (ann,) = [g for g in assignbook.read(book, "a1") if g.student == "ann"]
        assert assignbook.overrides(book) == {}
    assert ann.time_source == lateness.MANIFEST and ann.final == 20
    assert "a1: 20 / 20 points" in (term / "reports" / "a1" / "ann.html").read_text()


def test_an_nbgrader_items_time_is_tied_to_the_collected_copy(term, capsys):
    """For a lab, the time is tied to the copy in submitted/ (its timestamp.txt and secret
    change with every submit): a new collect makes it lapse."""
    from descent.course import coursegrade

    folder = term / "nb" / "submitted" / "bob" / "lab1"
    folder.mkdir(parents=True)
    (folder / "lab1.ipynb").write_text("{}")
    export = term / "nb.csv"
    export.write_text(
        "assignment,duedate,timestamp,student_id,last_name,first_name,email,raw_score,"
        "late_submission_penalty,score,max_score\nlab1,,,bob,Doe,Bob,,8,0,8,10\n"
    )
    path = term / "course.toml"
    path.write_text(
        path.read_text().replace(
            'nbgrader_course = "nb"', 'nbgrader_course = "nb"\nnbgrader_grades = "nb.csv"'
        )
    )
    assert set_time(term, "bob", "lab1", "2027-01-22T12:00", "--why", "placed by hand") == 0
    plan = plan_mod.load(path)
    at = plan_mod.at(plan, "2027-03-01T00:00")

    def cell():
        with Gradebook(term / "gb.sqlite", writable=False) as book:
            inputs = coursegrade.Inputs(
                labs=coursegrade.read_labs(plan, export), overrides=assignbook.overrides(book)
            )
        return coursegrade.compute(plan, inputs, ["bob"], at)[0].cells["lab1"]

    first = cell()
    assert (first.points, first.flag) == (6.4, "")  # 1 d 12 h late: 2 days x 10% of 8
    (folder / "timestamp.txt").write_text("2027-01-20 10:00:00.000000 UTC")  # collected again
    second = cell()
    assert second.points == 8 and "was for an earlier submission: it lapsed" in second.flag
