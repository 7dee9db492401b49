"""The term's tooling: the plan check, no silent plan, the plan's hash on assignment rows,
what ``descent grades`` counts (collected work, extensions, gradings that need attention,
nbgrader lateness by the plan), ``--assignment`` on the class report and the gradebook export,
the reports and the instructor workflow. (nbgrader's due dates from the plan, which need
nbgrader's database, and a real grading of an exact selection are in test_term.py.)"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from descent.commands import main
from descent.course import assignbook, assigned, coursegrade, lateness, submissions
from descent.course import plan as plan_mod
from descent.course.gradebook import Gradebook
from descent.course.runner import Outcome

from .conftest import KIT
from .test_term import DUE, PLAN, write_plan

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

UTC = timezone.utc


def _said(capsys) -> str:
    """What the command printed, its lines joined (the console wraps long lines)."""
    return " ".join(capsys.readouterr().out.split())


# ------------------------------------------------------------------------------ the plan check


def test_the_check_refuses_a_student_the_roster_does_not_have(tmp_path, capsys):
    path = write_plan(tmp_path)
    (tmp_path / "extensions.csv").write_text("student,assignment,due\ndna,a1,+3d\n")  # dan
    assert main(["course", "check", "--plan", str(path)]) == 2
    assert "student 'dna' is not in the roster" in _said(capsys)
    with pytest.raises(lateness.LatenessError, match="'dna' is not in the roster"):
        roster = set(coursegrade.read_roster(tmp_path / "roster.csv"))
        lateness.read_extensions(tmp_path / "extensions.csv", plan_mod.load(path), roster)


@pytest.mark.parametrize(
    "edit, message",
    [
        (('roster = "roster.csv"', 'roster = "class.csv"'), "roster"),
        (("due = 2027-01-15T23:59:00\n", ""), "assignment 'a2': no due date"),
        (('time_source = "manifest"\n', ""), "assignment 'a1': no time_source"),
        (('time_source = "manifest"', 'time_source = "email"'), "time_source must be one of"),
    ],
)
def test_the_check_refuses_a_missing_roster_due_date_or_time_source(tmp_path, edit, message):
    path = write_plan(tmp_path, PLAN.replace(*edit, 1))
    with pytest.raises(plan_mod.PlanError, match=message):
        plan_mod.load(path)


def test_the_check_prints_each_late_policy_as_it_will_be_applied(tmp_path, capsys):
    hourly = PLAN.replace(
        "weight = 2\nrelease = 2027-01-15T09:00:00\ndue = 2027-01-22T23:59:00\n",
        "weight = 2\nrelease = 2027-01-15T09:00:00\ndue = 2027-01-22T23:59:00\n"
        '[assignment.late]\npenalty = 1\nper = "hour"\ncap = 25\n',
    )
    path = write_plan(tmp_path, hourly)
    assert main(["course", "check", "--plan", str(path)]) == 0
    out = capsys.readouterr().out
    assert (
        "a1: 15 min of grace; then 10% of the earned score per started day, at most 50%; no "
        "credit more than 5 d late" in out
    )
    assert "a3: 15 min of grace; then 1% of the earned score per started hour, at most 25%" in out
    assert "lab1: 15 min of grace; then 10%" in out  # nbgrader items follow [late] too
    # a lab's times are what nbgrader wrote at submit, read from the collected copy: the export
    # holds nbgrader's own reading of them, which the kit never uses
    # (docs/reference/submission-times.md)
    lab1 = next(line for line in out.splitlines() if line.strip("│ ").startswith("lab1"))
    assert "nbgrader submit" in lab1 and "export" not in out.split("late policy")[0]


# ------------------------------------------------------------------------------ no silent plan


@pytest.mark.parametrize(
    "argv",
    [
        ["grade", "solutions", "--assignment", "a1"],
        ["batch", "SUBS", "--assignment", "a1"],
        ["bundle", "OUT", "--assignment", "a1"],
        ["grades"],
    ],
)
def test_no_plan_here_is_a_usage_error_naming_the_sample(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.chdir(tmp_path)
    argv = [str(tmp_path / a) if a in ("SUBS", "OUT") else a for a in argv]
    assert main(argv) == 2
    out = capsys.readouterr().out
    assert "no course plan" in out and str(KIT / "course.toml") in out
    assert not (tmp_path / "OUT").exists()


def test_rows_of_another_plan_are_settled_again_only_when_asked(tmp_path, capsys):
    path = write_plan(tmp_path)
    plan = plan_mod.load(path)
    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        when = lateness.Submitted(DUE, lateness.MANIFEST)
        row = assigned.grade(plan.item("a1"), "ann", None, "h", "graded", 5, 5, when, None, plan)
        assignbook.write(book, [row])
        assert assignbook.read(book)[0].plan_hash == plan.digest
    other = tmp_path / "other"
    other.mkdir()
    other_path = write_plan(other, PLAN.replace("penalty = 10", "penalty = 20"))
    empty = tmp_path / "empty"
    empty.mkdir()
    argv = ["batch", str(empty), "--out", str(tmp_path), "--assignment", "a1"]
    argv += ["--plan", str(other_path)]
    assert main(argv) == 2
    said = _said(capsys)
    assert "settled with another course plan" in said and "--replace-plan" in said
    assert plan.short_digest in said
    main(argv + ["--replace-plan"])  # past the check: the empty folder is what stops it now
    said = _said(capsys)
    assert "another course plan" not in said and "no submissions" in said


def test_an_exercise_id_selects_no_exercise_whose_id_contains_it():
    item = plan_mod.Item("a6", "Adam", plan_mod.CODE, "code", exercises=("optim.adam",))
    # optim.adam.tests is the write-the-tests exercise on Adam: its id contains optim.adam too
    assert item.selection == "(optim.adam and not optim.adamw and not optim.adam.tests)"
    both = plan_mod.Item("a7", "", plan_mod.CODE, "code", exercises=("optim.adam", "optim.adamw"))
    assert both.selection == "(optim.adam and not optim.adam.tests) or optim.adamw"


# ------------------------------------------------------------------------------ descent grades


def _nb_export(path: Path, rows: list[str]) -> Path:
    path.write_text(
        "assignment,duedate,timestamp,student_id,last_name,first_name,email,raw_score,"
        "late_submission_penalty,score,max_score\n" + "".join(r + "\n" for r in rows)
    )
    return path


def _grades_csv(tmp_path, path, at="2027-02-01T00:00", book=None) -> dict[str, dict]:
    out = tmp_path / "g.csv"
    argv = ["grades", "--plan", str(path), "--at", at, "--format", "csv", "--out", str(out)]
    argv += ["--nbgrader-grades", str(tmp_path / "nb.csv")]
    argv += ["--gradebook", str(book)] if book else []
    assert main(argv) == 0
    with open(out, encoding="utf-8-sig") as handle:
        return {r["student"]: r for r in csv.DictReader(handle)}


def test_hand_placed_nbgrader_work_counts_with_its_time_unknown(tmp_path, capsys):
    """docs/how-to/labs.md allows placing a notebook in submitted/ by hand; nbgrader exports it with
    an empty timestamp, like a student who handed in nothing. The folder tells them apart."""
    path = write_plan(tmp_path)
    (tmp_path / "nb" / "submitted" / "ann" / "lab1").mkdir(parents=True)
    _nb_export(
        tmp_path / "nb.csv",
        ["lab1,,,ann,Doe,Ann,,8,0,8,10", "lab1,,,bob,Doe,Bob,,0,0,0,10"],
    )
    rows = _grades_csv(tmp_path, path)
    assert rows["ann"]["lab1"] == "8" and "lab1: time unknown" in rows["ann"]["attention"]
    assert rows["bob"]["lab1"] == "missing"
    assert "needs the instructor" in capsys.readouterr().out


def test_nbgrader_lateness_follows_the_plan(tmp_path):
    """A quiz 48 days late got full credit from nbgrader; the plan gives none after 5 days."""
    path = write_plan(tmp_path)
    lab_due = datetime(2027, 1, 20, 23, 59, tzinfo=UTC)
    late = (lab_due + timedelta(days=48)).strftime("%Y-%m-%d %H:%M:%S.%f")
    slightly = (lab_due + timedelta(hours=20)).strftime("%Y-%m-%d %H:%M:%S")
    _nb_export(
        tmp_path / "nb.csv",
        [f"lab1,,{late},ann,Doe,Ann,,10,0,10,10", f"lab1,,{slightly},bob,Doe,Bob,,10,0,10,10"],
    )
    rows = _grades_csv(tmp_path, path, at="2027-04-01T00:00")
    assert rows["ann"]["lab1"] == "0"  # no credit after 5 days
    assert rows["bob"]["lab1"] == "9"  # one started day: 10% of 10


def test_an_extension_decides_missing_or_not_due(tmp_path):
    path = write_plan(tmp_path)  # dan's a1 extension: +3 days
    (tmp_path / "extensions.csv").write_text(
        "student,assignment,due,reason\ndan,a1,+3d,ill\nbob,a1,+60d,exchange term\n"
    )
    _nb_export(tmp_path / "nb.csv", [])
    rows = _grades_csv(tmp_path, path, at="2027-01-10T00:00")
    assert rows["dan"]["a1"] == "extension running (until 2027-01-11 23:59 UTC)"
    assert rows["bob"]["a1"] == "extension running (until 2027-03-09 23:59 UTC)"
    assert rows["ann"]["a1"] == "missing" and rows["ann"]["a2"] == "not due"
    rows = _grades_csv(tmp_path, path, at="2027-01-12T12:00")
    assert rows["dan"]["a1"] == "missing" and rows["bob"]["a1"].startswith("extension running")


def test_a_grading_that_failed_needs_attention_and_is_never_a_zero(tmp_path):
    path = write_plan(tmp_path)
    _nb_export(tmp_path / "nb.csv", [])
    on_time = (DUE - timedelta(hours=1)).isoformat()
    with Gradebook(tmp_path / "gb.sqlite") as book:
        assignbook.write(
            book,
            [
                assignbook.Grade(s, "a1", None, "h", on_time, "manifest", st, r, 20, 0, 0, "", r)
                for s, st, r in (
                    ("ann", "failed", 0),
                    ("bob", "timed_out", 0),
                    ("cy", "graded", 10),
                )
            ],
        )
    rows = _grades_csv(tmp_path, path, at="2027-01-10T00:00", book=tmp_path / "gb.sqlite")
    assert rows["ann"]["a1"] == "needs attention" and rows["bob"]["a1"] == "needs attention"
    assert "grading failed" in rows["ann"]["attention"]
    assert rows["ann"]["course grade %"] == "" and rows["cy"]["course grade %"] == "50"


# ------------------------------------------------------------------------------ --assignment


def results_doc(student: str, exercise: str, points: float) -> dict:
    """A results document of one student graded on one exercise of 10 points."""
    return {
        "schema": "descent.results/1",
        "duration_s": 1.0,
        "devices": ["cpu"],
        "environment": {},
        "tests": [],
        "implementations": [
            {
                "name": student,
                "kind": "folder",
                "points": points,
                "max_points": 10.0,
                "exercises": [
                    {
                        "id": exercise,
                        "title": exercise,
                        "points": points,
                        "max_points": 10.0,
                        "status": "passed" if points == 10 else "partial",
                        "first_failure": "",
                        "misconceptions": [],
                    }
                ],
            }
        ],
    }


def _two_assignments(tmp_path) -> Path:
    """ann graded on a1 (basics, 10/10, then late: final 8) and afterwards on a2 (clipping,
    4/10): her newest grading is a2's."""
    plan = plan_mod.load(write_plan(tmp_path))
    book_path = tmp_path / "gb.sqlite"
    with Gradebook(book_path) as book:
        for item, exercise, points, late in (
            ("a1", "basics.gd_regime", 10, timedelta(days=1)),
            ("a2", "clipping.clip_grad_norm", 4, timedelta(0)),
        ):
            sid = book.record(
                Outcome(
                    "ann",
                    "/x",
                    "graded",
                    results=results_doc("ann", exercise, points),
                    content_hash=item,
                    version=item,
                ),
                source="/x",
                submitted=0,
                superseded=[],
            )
            when = lateness.Submitted(plan.item(item).due + late, lateness.MANIFEST)
            row = assigned.grade(
                plan.item(item), "ann", sid, item, "graded", points, 10, when, None, plan
            )
            assignbook.write(book, [row])
    return book_path


def test_the_class_report_and_the_export_take_one_assignment(tmp_path, capsys):
    book = str(_two_assignments(tmp_path))
    charts = str(tmp_path / "charts")
    assert main(["report", "--class", book, "--assignment", "a1", "--charts", charts]) == 0
    out = capsys.readouterr().out
    assert "basics.gd_regime" in out and "clipping" not in out
    assert main(["report", "--class", book, "--charts", charts]) == 0
    assert "clipping.clip_grad_norm" in capsys.readouterr().out  # the newest grading
    out_csv = tmp_path / "a1.csv"
    argv = ["export", "--gradebook", book, "--format", "csv", "--out", str(out_csv)]
    assert main(argv + ["--assignment", "a1"]) == 0
    with open(out_csv, encoding="utf-8-sig") as handle:
        (row,) = list(csv.DictReader(handle))
    # 10/10 of a1's 20 points, a day late: 1 started day x 10% -> 18
    assert (row["raw"], row["penalty"], row["final"]) == ("20.0", "2.0", "18.0")
    assert "basics.gd_regime" in row and "a1: final 18/20" in row["note"]
    assert main(argv + ["--assignment", "a9"]) == 2
    assert "no grade of assignment 'a9'" in capsys.readouterr().out
    feedback = tmp_path / "fb"
    argv = ["export", "--gradebook", book, "--format", "feedback", "--out", str(feedback)]
    assert main(argv + ["--assignment", "a1"]) == 0
    page = (feedback / "ann" / "report.html").read_text()
    assert "<p class='total'>a1: 18 / 20 points (90%)</p>" in page


# ------------------------------------------------------------------------------ reports


def test_reports_show_times_in_the_course_zone_and_name_another_assignments_files(tmp_path):
    path = write_plan(tmp_path, PLAN.replace('timezone = "UTC"', 'timezone = "Europe/Berlin"'))
    plan = plan_mod.load(path)
    subs = tmp_path / "subs"
    (subs / "ann").mkdir(parents=True)
    (subs / "ann" / "basics.py").write_text("# a1's work, handed in as a2\n")
    entry = submissions.discover(subs).entries[0]
    note = assigned.foreign_modules(entry, plan.item("a2"), plan)
    assert "none of a2's modules (clipping.py) was handed in" in note and "basics.py (a1)" in note
    assert assigned.foreign_modules(entry, plan.item("a1"), plan) == ""
    with Gradebook(tmp_path / "gb.sqlite") as book:
        sid = book.record(
            Outcome(
                "ann",
                "/x",
                "graded",
                results=results_doc("ann", "clipping.clip_grad_norm", 0),
                content_hash="h",
                version="v",
            ),
            source="/x",
            submitted=0,
            superseded=[],
        )
        when = lateness.Submitted(datetime(2027, 1, 15, 12, tzinfo=UTC), lateness.MANIFEST)
        row = assigned.grade(plan.item("a2"), "ann", sid, "h", "graded", 0, 10, when, None, plan)
        row.note = note
        assigned.write_reports(book, [row], plan, tmp_path / "reports")
    page = (tmp_path / "reports" / "ann.html").read_text()
    assert "Submitted 2027-01-15 13:00 CET (manifest)" in page  # 12:00 UTC in Berlin
    assert "graded 20" in page and " CE" in page.split("graded ", 1)[1][:30]
    assert "basics.py (a1)" in page
    assert "<p class='total'>a2: 0 / 50 points (0%)</p>" in page


def test_the_instructor_workflow_runs_one_assignment():
    workflow = yaml.safe_load((KIT / "workflows" / "instructor.yml").read_text())
    job = workflow["jobs"]["grade"]
    assert "assignment" in workflow[True]["workflow_dispatch"]["inputs"]  # YAML reads on: as True
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    (batch,) = [step["run"] for step in job["steps"] if " batch " in step.get("run", "")]
    assert '"submissions/$ASSIGNMENT"' in batch and '--assignment "$ASSIGNMENT"' in batch
    for command in ("report --class", "export --gradebook"):
        lines = [line for line in runs.splitlines() if command in line]
        assert lines and all('--assignment "$ASSIGNMENT"' in line for line in lines)


def test_the_export_json_of_an_assignment_keeps_the_settled_score(tmp_path):
    book = str(_two_assignments(tmp_path))
    out = tmp_path / "results"
    argv = ["export", "--gradebook", book, "--format", "results", "--out", str(out)]
    assert main(argv + ["--assignment", "a1"]) == 0
    block = json.loads((out / "ann.json").read_text())["implementations"][0]
    assert (block["raw"], block["penalty"], block["final"]) == (20, 2, 18)


def test_a_held_student_needs_attention_and_is_never_missing(tmp_path):
    """A student the batch holds (two entries, a link, an unreadable entry) has a row of the
    assignment that needs attention, naming why, rather than no row (which reads as missing)."""
    plan = plan_mod.load(write_plan(tmp_path))
    item = plan.item("a1")
    entry = tmp_path / "subs" / "ann.zip"
    entry.parent.mkdir()
    entry.write_bytes(b"")
    reason = "two entries for one student: ann.zip, ann/"
    with Gradebook(tmp_path / "gb.sqlite") as book:
        book.record(
            Outcome(
                "ann",
                str(entry),
                "failed",
                message="not graded: " + reason,
                content_hash="held:1",
                version="v",
            ),
            source=str(entry),
            submitted=0,
            superseded=[],
        )
        listing = submissions.Listing([], [], {"ann": [reason]}, {"ann": [entry]})
        records = assigned.Records({}, {}, {})
        (row,) = assigned.settle(book, plan, item, listing, "v", entry.parent, records)
    assert row.student == "ann" and row.status == "failed" and row.final == 0
    assert reason in row.note
