"""A term run from the course plan: every command given a broken plan (the plan itself:
test_plan.py), late work, the assignment grades in the gradebook, course grades, the LMS files,
and releasing one assignment at a time.

The class of the issue: ann submits on time, bob within the grace period, carol two days late,
dan two days late with an extension, eve never. Every expected number is worked out by hand in
the test from the plan below (10% per started day, 15 minutes of grace, cap 50%, nothing after
5 days).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from descent.course import assignbook, assigned, coursegrade, lateness, lms, release, submissions
from descent.course import plan as plan_mod
from descent.course.gradebook import Gradebook
from descent.course.runner import Outcome
from descent.reports import spreadsheet

from .conftest import KIT, env

UTC = timezone.utc
PLAN = """
[course]
name = "Three-assignment term"
timezone = "UTC"
extensions = "extensions.csv"
roster = "roster.csv"
nbgrader_course = "nb"
time_source = "manifest"

[categories.code]
weight = 70
drop_lowest = 1
[categories.labs]
weight = 30

[late]
grace_minutes = 15
penalty = 10
per = "day"
cap = 50
no_credit_after_days = 5

[[assignment]]
id = "a1"
title = "Gradient descent"
exercises = ["basics"]
points = 20
category = "code"
release = 2027-01-01T09:00:00
due = 2027-01-08T23:59:00

[[assignment]]
id = "a2"
title = "Clipping"
exercises = ["clipping.clip_grad_norm", "clipping.clip_grad_value"]
points = 50
category = "code"
release = 2027-01-08T09:00:00
due = 2027-01-15T23:59:00

[[assignment]]
id = "a3"
title = "Regression"
exercises = ["regression"]
points = 30
category = "code"
weight = 2
release = 2027-01-15T09:00:00
due = 2027-01-22T23:59:00

[[nbgrader]]
id = "lab1"
title = "Lab 1"
category = "labs"
due = 2027-01-20T23:59:00
"""
DUE = datetime(2027, 1, 8, 23, 59, tzinfo=UTC)


def write_plan(folder: Path, text: str = PLAN) -> Path:
    (folder / "nb" / "source" / "lab1").mkdir(parents=True, exist_ok=True)
    (folder / "extensions.csv").write_text("student,assignment,due,reason\ndan,a1,+3d,illness\n")
    (folder / "roster.csv").write_text(
        "id,first_name,last_name,email,section\n"
        + "".join(
            f"{s},{s.title()},Doe,{s}@example.edu,S1\n"
            for s in ("ann", "bob", "carol", "dan", "eve")
        )
    )
    path = folder / "course.toml"
    path.write_text(text)
    return path


@pytest.fixture
def plan(tmp_path) -> plan_mod.Plan:
    return plan_mod.load(write_plan(tmp_path))


# ------------------------------------------------------------------------------ the plan


@pytest.mark.parametrize(
    "argv",
    [
        ["course", "check"],
        ["grades"],
        ["bundle", "OUT", "--assignment", "a1"],
        ["grade", "solutions", "--assignment", "a1"],
        ["batch", "SUBS", "--assignment", "a1"],
        ["gradescope", "OUT.zip", "--assignment", "a1"],
    ],
)
def test_every_command_given_a_broken_plan_fails_with_the_message(tmp_path, argv):
    path = write_plan(tmp_path, PLAN.replace('exercises = ["basics"]', 'exercises = ["nope"]'))
    argv = [str(tmp_path / a) if a in ("OUT", "SUBS", "OUT.zip") else a for a in argv]
    proc = subprocess.run(
        [sys.executable, "-m", "descent", *argv, "--plan", str(path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env(),
        timeout=120,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "unknown exercise or module 'nope'" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


# ------------------------------------------------------------------------------ late work


def test_late_policy_by_hand(plan):
    a1 = plan.item("a1")
    on_time = lateness.penalty(a1.late, DUE, DUE - timedelta(hours=1))
    grace = lateness.penalty(a1.late, DUE, DUE + timedelta(minutes=10))
    two_days = lateness.penalty(a1.late, DUE, DUE + timedelta(days=1, hours=20))
    steep = dataclasses.replace(a1.late, penalty=20)
    capped = lateness.penalty(steep, DUE, DUE + timedelta(days=2, hours=1))
    too_late = lateness.penalty(a1.late, DUE, DUE + timedelta(days=5, minutes=1))
    assert (on_time.percent, on_time.reason) == (0, "")
    assert grace.percent == 0 and "within the grace period" in grace.reason
    assert two_days.percent == 20 and "2 day(s) x 10% = 20%" in two_days.reason  # 2 started days
    assert capped.percent == 50 and "(the cap)" in capped.reason  # 3 x 20 > 50
    assert too_late.percent == 100 and "no credit after 5 d" in too_late.reason


def _outcome(student: str, points: float, most: float, digest: str, version="v-a1") -> Outcome:
    doc = {
        "implementations": [
            {"name": student, "points": points, "max_points": most, "exercises": []}
        ],
        "tests": [],
    }
    return Outcome(
        student, f"/subs/{student}", "graded", results=doc, content_hash=digest, version=version
    )


# Exercise points of the class for a1 (of 20): ann 20, bob 15, carol 10, dan 18; eve never.
CLASS = {
    "ann": (20.0, DUE - timedelta(hours=2)),
    "bob": (15.0, DUE + timedelta(minutes=10)),
    "carol": (10.0, DUE + timedelta(days=1, hours=12)),
    "dan": (18.0, DUE + timedelta(days=2)),
}


def _grade_class(
    book: Gradebook, plan, folder: Path, extensions, shift=timedelta(0)
) -> list[assignbook.Grade]:
    """Record the class's a1 gradings and settle them, as ``descent batch --assignment a1``
    does after grading (times from a manifest, shifted by ``shift``)."""
    subs = folder / "subs"
    rows = ["student,submitted_at"]
    for student, (_points, at) in CLASS.items():
        (subs / student).mkdir(parents=True, exist_ok=True)
        (subs / student / "basics.py").write_text(f"# {student}\n")
        rows.append(f"{student},{(at + shift).isoformat()}")
    (subs / "manifest.csv").write_text("\n".join(rows) + "\n")
    listing = submissions.discover(subs)
    for entry in listing.entries:
        digest = submissions.content_hash(entry.path)
        book.record(
            _outcome(entry.student, CLASS[entry.student][0], 20.0, digest),
            source="x",
            submitted=0,
            superseded=[],
        )
    records = assigned.Records(lateness.read_manifest(subs), extensions, assignbook.overrides(book))
    grades = assigned.settle(book, plan, plan.item("a1"), listing, "v-a1", subs, records)
    assignbook.write(book, grades)
    return grades


def test_class_graded_for_one_assignment_raw_penalty_final_by_hand(tmp_path, plan):
    extensions = lateness.read_extensions(plan.extensions, plan)
    assert extensions[("dan", "a1")].due == DUE + timedelta(days=3)
    with Gradebook(tmp_path / "gb.sqlite") as book:
        _grade_class(book, plan, tmp_path, extensions)
        got = {g.student: g for g in assignbook.read(book, "a1")}
    # raw = exercise points / 20 x 20 (a1 is worth 20)
    assert {s: g.raw for s, g in got.items()} == {"ann": 20, "bob": 15, "carol": 10, "dan": 18}
    assert got["ann"].penalty == 0 and got["ann"].final == 20
    assert got["bob"].penalty == 0 and "grace" in got["bob"].reason and got["bob"].final == 15
    # carol: 1 d 12 h late -> 2 started days x 10% = 20% of 10 = 2
    assert (got["carol"].penalty_percent, got["carol"].penalty, got["carol"].final) == (20, 2, 8)
    # dan: 2 days late, but his extension runs 3 days: on time
    assert got["dan"].penalty == 0 and got["dan"].final == 18 and "illness" in got["dan"].extension
    assert "eve" not in got


def test_a_corrected_manifest_resettles_and_other_assignments_are_untouched(tmp_path, plan):
    """The manifest is the instructor's record: a corrected time settles the row again on the
    next run (without grading again); rerunning a1 never touches a2's rows."""
    with Gradebook(tmp_path / "gb.sqlite") as book:
        assignbook.ensure(book)
        first = {g.student: g for g in _grade_class(book, plan, tmp_path, {})}
        a2 = assigned.grade(
            plan.item("a2"),
            "ann",
            None,
            "h2",
            "graded",
            4,
            10,
            lateness.Submitted(DUE, lateness.MANIFEST),
            None,
            plan,
        )
        assignbook.write(book, [a2])
        before = assignbook.read(book, "a2")
        # the same content, the manifest corrected: every time a day earlier
        again = {g.student: g for g in _grade_class(book, plan, tmp_path, {}, -timedelta(days=1))}
        # carol: 1 d 12 h late (20%), corrected to 12 h late (one started day: 10%)
        assert first["carol"].penalty_percent == 20 and again["carol"].penalty_percent == 10
        assert datetime.fromisoformat(again["carol"].submitted_at) == CLASS["carol"][1] - timedelta(
            days=1
        )
        assert assignbook.read(book, "a2") == before


# ------------------------------------------------------------------------------ course grade


def _row(student, item, final, most, status="graded") -> assignbook.Grade:
    """A settled code row: submitted on time, so the final score is the raw score."""
    at = datetime(2027, 1, 1, tzinfo=UTC).isoformat()
    return assignbook.Grade(
        student, item, None, "h", at, lateness.MANIFEST, status, final, most, 0, 0, "", final
    )


def _lab(raw, most, at=datetime(2027, 1, 20, 10, tzinfo=UTC)) -> coursegrade.LabRow:
    return coursegrade.LabRow(raw, most, at)


def test_course_grades_by_hand(plan):
    code = {
        ("ann", "a1"): _row("ann", "a1", 20, 20),
        ("ann", "a2"): _row("ann", "a2", 25, 50),
        ("ann", "a3"): _row("ann", "a3", 30, 30),
        ("bob", "a1"): _row("bob", "a1", 15, 20),
        ("bob", "a2"): _row("bob", "a2", 50, 50),
        ("carol", "a1"): _row("carol", "a1", 8, 20),
    }
    labs = {("ann", "lab1"): _lab(8, 10), ("bob", "lab1"): _lab(5, 10)}
    now = datetime(2027, 1, 25, tzinfo=UTC)  # everything is due
    inputs = coursegrade.Inputs(code, labs)
    grades = {
        g.student: g for g in coursegrade.compute(plan, inputs, ["ann", "bob", "carol", "eve"], now)
    }
    # ann: code 100%, 50%, 100% (a3 weighs 2); the lowest (a2) dropped -> (100 + 2x100)/3 = 100;
    # labs 80 -> 0.7 x 100 + 0.3 x 80 = 94
    assert grades["ann"].cells["a2"].dropped
    assert grades["ann"].categories == {"code": 100, "labs": 80}
    assert grades["ann"].total == pytest.approx(94)
    # bob: 75%, 100%, a3 missing = 0 (dropped) -> 87.5; labs 50 -> 61.25 + 15 = 76.25
    assert grades["bob"].cells["a3"].status == coursegrade.MISSING
    assert grades["bob"].cells["a3"].dropped
    assert grades["bob"].total == pytest.approx(0.7 * 87.5 + 0.3 * 50)
    # carol: 40%, then a2 and a3 missing (0); of the two lowest, equal, the heavier (a3, weight
    # 2) is dropped -> (40 + 0) / 2 = 20; lab1 missing: 0 -> 0.7 x 20 = 14
    assert grades["carol"].cells["a3"].dropped and not grades["carol"].cells["a2"].dropped
    assert grades["carol"].categories == {"code": 20, "labs": 0}
    assert grades["carol"].total == pytest.approx(14)
    assert grades["eve"].total == 0 and all(
        c.status == coursegrade.MISSING for c in grades["eve"].cells.values()
    )
    early = {
        g.student: g
        for g in coursegrade.compute(plan, inputs, ["carol"], datetime(2027, 1, 10, tzinfo=UTC))
    }["carol"]
    assert early.cells["a2"].status == coursegrade.NOT_DUE and early.categories["labs"] is None
    assert early.total == pytest.approx(40)  # only a1 is due: 40%, the labs not yet


def test_canvas_and_moodle_files_have_their_documented_columns(plan):
    roster = coursegrade.read_roster(plan.roster)
    at = datetime(2027, 2, 1, tzinfo=UTC)
    inputs = coursegrade.Inputs(
        {("ann", "a1"): _row("ann", "a1", 18, 20)}, {("ann", "lab1"): _lab(7, 10)}
    )
    grades = coursegrade.compute(plan, inputs, ["ann", "eve"], at)

    def rows(fmt):
        text = spreadsheet.render(lms.render(fmt, plan, grades, roster, at=at))
        return list(csv.reader(io.StringIO(text)))

    canvas = rows("canvas")
    # only items due and graded for someone: a2 and a3 are due but nobody has them
    assert canvas[0] == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        "a1: Gradient descent",
        "lab1: Lab 1",
    ]
    assert canvas[1] == ["    Points Possible", "", "", "", "", "20", "10"]
    assert canvas[2] == ["Doe, Ann", "", "ann", "ann", "S1", "18", "7"]
    assert canvas[3] == ["Doe, Eve", "", "eve", "eve", "S1", "0", "0"]  # missing counts 0
    moodle = rows("moodle")
    assert moodle[0][:6] == [
        "First name",
        "Last name",
        "ID number",
        "Institution",
        "Department",
        "Email address",
    ]
    assert moodle[1] == ["Ann", "Doe", "ann", "", "", "ann@example.edu", "18", "7"]
    plain = list(
        csv.DictReader(io.StringIO(spreadsheet.render(lms.render("csv", plan, grades, roster))))
    )
    assert plain[1]["a1"] == "missing" and plain[0]["a1"] == "18"


# ------------------------------------------------------------------------------ release


def test_assignment_bundle_and_merge_keep_earlier_work(tmp_path, plan):
    a1 = release.build_assignment_bundle(KIT, tmp_path / "b1", plan, plan.item("a1"))
    assert sorted(p.name for p in (a1 / "starter").glob("*.py")) == ["__init__.py", "basics.py"]
    assert sorted(p.name for p in (a1 / "exercises").glob("test_*.py")) == ["test_basics.py"]
    assert "basics.gd_regime" in (a1 / "README.md").read_text()
    assert not (a1 / "solutions").exists() and not (a1 / "graders").exists()
    a2 = release.build_assignment_bundle(KIT, tmp_path / "b2", plan, plan.item("a2"))
    assert {p.name for p in (a2 / "starter").glob("*.py")} == {
        "__init__.py",
        "basics.py",
        "clipping.py",
    }
    work = tmp_path / "mine"
    work.mkdir()
    release.merge(a1, work)
    mine = (KIT / "solutions" / "basics.py").read_text()
    (work / "starter" / "basics.py").write_text(mine)  # the student's a1 work
    (work / "notes.txt").write_text("my notes")
    report = release.merge(a2, work)
    assert (work / "starter" / "basics.py").read_text() == mine  # untouched
    assert (work / "starter" / "clipping.py").is_file()
    assert (work / "exercises" / "test_clipping.py").is_file()
    assert (work / "notes.txt").read_text() == "my notes"
    assert "starter/clipping.py" in report.added and "starter/basics.py" in report.kept
    assert "README.md" in report.updated


def test_gradescope_archive_per_assignment(tmp_path, plan):
    import zipfile

    from descent.course.gradescope import POINTS, SELECTION, build
    from descent.reports.export import to_gradescope

    item = plan.item("a2")
    out = build(KIT, tmp_path / "a2.zip", selection=item.selection, points=item.points)
    with zipfile.ZipFile(out) as zf:
        assert zf.read(f"kit/{SELECTION}").decode() == item.selection
        assert float(zf.read(f"kit/{POINTS}").decode()) == item.points
    # Gradescope's score is on the assignment's scale: 15 of 20 exercise points of a 50-point
    # assignment is 37.5 of 50, and each test's share is scaled the same way.
    doc = {
        "duration_s": 1.0,
        "devices": ["cpu"],
        "environment": {"isolation": "worker"},
        "implementations": [
            {
                "name": "s",
                "points": 15.0,
                "max_points": 20.0,
                "exercises": [
                    {
                        "id": "losses.mse",
                        "title": "MSE",
                        "points": 5.0,
                        "max_points": 10.0,
                        "status": "partial",
                        "first_failure": "",
                        "misconceptions": [],
                    },
                    {
                        "id": "losses.mae",
                        "title": "MAE",
                        "points": 10.0,
                        "max_points": 10.0,
                        "status": "passed",
                        "first_failure": "",
                        "misconceptions": [],
                    },
                ],
            }
        ],
    }
    scaled = to_gradescope(doc, total=50.0)
    assert scaled["score"] == 37.5 and [t["max_score"] for t in scaled["tests"]] == [25.0, 25.0]
    assert [t["score"] for t in scaled["tests"]] == [12.5, 25.0]
    assert to_gradescope(doc)["score"] == 15.0


def test_batch_of_one_assignment_end_to_end(tmp_path):
    """A real ``descent batch --assignment a1``: a late student and one on time, the table and
    the HTML report show raw, penalty and final (the regrade rule is tested above)."""
    path = write_plan(tmp_path)
    subs = tmp_path / "subs"
    for student in ("ann", "carol"):
        (subs / student).mkdir(parents=True)
        (subs / student / "basics.py").write_text((KIT / "solutions" / "basics.py").read_text())
    (subs / "manifest.csv").write_text(
        "student,submitted_at\nann,2027-01-08 20:00:00 UTC\ncarol,2027-01-10T12:00:00Z\n"
    )
    argv = [
        sys.executable,
        "-m",
        "descent",
        "batch",
        str(subs),
        "--out",
        str(tmp_path / "grading"),
        "--assignment",
        "a1",
        "--plan",
        str(path),
        "--jobs",
        "2",
    ]
    proc = subprocess.run(argv, cwd=KIT, capture_output=True, text=True, env=env(), timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # eve never submitted: missing once a1 is due, "not due yet" before (the table's "now")
    label = "missing" if datetime.now(UTC) > DUE else "not due yet"
    assert "eve" in proc.stdout and label in proc.stdout
    # carol: 1 d 12 h 1 min late -> 2 days x 10% of 20 = 4
    assert "-4 (20%)" in proc.stdout and "16/20" in proc.stdout
    page = (tmp_path / "grading" / "reports" / "a1" / "carol.html").read_text()
    # the headline is the final score, the raw score and the penalty beside it
    assert "<p class='total'>a1: 16 / 20 points (80%)</p>" in page
    assert "raw score 20 / 20; late penalty &minus;4 (20%); final 16 / 20" in page


def test_run_autograder_of_one_assignment_grades_only_its_exercises(tmp_path, plan):
    from descent.course.gradescope import build

    from .test_gradescope import _autograder_root, _run_autograder

    archive = build(KIT, tmp_path / "a1.zip", selection=plan.item("a1").selection)
    root = _autograder_root(tmp_path, archive)
    (root / "submission").mkdir()
    (root / "submission" / "basics.py").write_text((KIT / "solutions" / "basics.py").read_text())
    result = _run_autograder(root)
    assert {t["name"].split(":")[0] for t in result["tests"]} == set(plan.item("a1").exercises)
    assert result["score"] == sum(t["max_score"] for t in result["tests"]) == 20


def test_descent_grades_reads_the_gradebook_and_nbgrader_export(tmp_path, plan, capsys):
    from descent.commands import main

    path = write_plan(tmp_path)
    with Gradebook(tmp_path / "gb.sqlite") as book:
        _grade_class(book, plan, tmp_path, lateness.read_extensions(plan.extensions, plan))
    (tmp_path / "nb.csv").write_text(
        "assignment,duedate,timestamp,student_id,last_name,first_name,email,raw_score,"
        "late_submission_penalty,score,max_score\n"
        "lab1,,2027-01-20 10:00:00,ann,Doe,Ann,,9,0,9,10\n"
        "lab1,,,eve,Doe,Eve,,0,0,0,10\n"
    )
    common = [
        "grades",
        "--plan",
        str(path),
        "--gradebook",
        str(tmp_path / "gb.sqlite"),
        "--nbgrader-grades",
        str(tmp_path / "nb.csv"),
        "--at",
        "2027-01-09T12:00",
    ]
    # (eve's lab1 row has no timestamp: she submitted nothing, so it is not a graded 0)
    assert main(common + ["--format", "csv", "--out", str(tmp_path / "g.csv")]) == 0
    rows = {r["student"]: r for r in csv.DictReader(open(tmp_path / "g.csv", encoding="utf-8-sig"))}
    # at 2027-01-09 12:00 only a1 is due; carol's final is 8 of 20 (see above), lab1 not due
    assert rows["carol"]["a1"] == "8" and rows["carol"]["a2"] == "not due"
    assert rows["carol"]["course grade %"] == "40"
    # ann's lab1 is graded (9/10) but due only on 01-20: as of --at it is not due, not counted
    assert rows["ann"]["lab1"] == "not due" and rows["ann"]["course grade %"] == "100"
    assert rows["eve"]["a1"] == "missing" and rows["eve"]["course grade %"] == "0"
    assert rows["eve"]["lab1"] == "not due"  # nbgrader's 0-point row without a timestamp
    assert main(common + ["--student", "ann"]) == 0
    assert "ann: course grade 100.00%" in capsys.readouterr().out
    # once everything is due, ann's lab counts (90%); a2 and a3 are missing (0, the heavier a3
    # dropped): code (100 + 0) / 2 = 50 -> 0.7 x 50 + 0.3 x 90 = 62
    common[-1] = "2027-01-25T00:00"
    assert main(common + ["--format", "csv", "--out", str(tmp_path / "g.csv")]) == 0
    rows = {r["student"]: r for r in csv.DictReader(open(tmp_path / "g.csv", encoding="utf-8-sig"))}
    assert rows["ann"]["lab1"] == "9" and rows["ann"]["course grade %"] == "62"
    assert rows["eve"]["lab1"] == "missing"


def test_a_bad_extensions_file_is_named_with_its_line(tmp_path, plan):
    plan.extensions.write_text("student,assignment,due\nann,a9,+1d\nbob,a1,soon\n")
    with pytest.raises(ValueError, match=r"extensions.csv, line 2: no assignment 'a9'"):
        lateness.read_extensions(plan.extensions, plan)
    plan.extensions.write_text("student,assignment,due\nbob,a1,soon\n")
    with pytest.raises(ValueError, match="line 2: due 'soon' is neither a date-time, "):
        lateness.read_extensions(plan.extensions, plan)


@pytest.mark.parametrize(
    "ident, message",
    [
        ("zz", "no assignment 'zz' in the plan (it has: a1"),
        ("lab1", "'lab1' is an nbgrader assignment"),
    ],
)
def test_an_assignment_the_plan_lacks_is_refused(tmp_path, capsys, ident, message):
    from descent.commands import main

    path = write_plan(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["bundle", str(tmp_path / "out"), "--assignment", ident, "--plan", str(path)])
    assert info.value.code == 2 and message in capsys.readouterr().out
    assert not (tmp_path / "out").exists()


def test_sync_nbgrader_writes_the_plans_due_dates_and_extensions(tmp_path, capsys, monkeypatch):
    from nbgrader.api import Gradebook as NbGradebook

    from descent.commands import main

    # nbgrader runs alembic to stamp a new database: the virtual environment's, on PATH
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")

    path = write_plan(tmp_path)
    (tmp_path / "extensions.csv").write_text("student,assignment,due\nann,lab1,+2d\nbob,lab1,+1d\n")
    database = tmp_path / "nb" / "gradebook.db"
    with NbGradebook(f"sqlite:///{database}") as nb:
        nb.add_assignment("lab1", duedate=datetime(2030, 1, 1))
        nb.add_student("ann")
        nb.add_student("bob")
        nb.add_submission("lab1", "ann")
    assert main(["course", "sync-nbgrader", "--plan", str(path)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "lab1: due 2030-01-01 00:00:00 -> 2027-01-20 23:59:00 (UTC)" in out
    assert "lab1, bob: extension kept for later (nothing collected)" in out
    with NbGradebook(f"sqlite:///{database}") as nb:
        assert nb.find_assignment("lab1").duedate == datetime(2027, 1, 20, 23, 59)
        assert nb.find_submission("lab1", "ann").extension == timedelta(days=2)
    assert main(["course", "sync-nbgrader", "--plan", str(path)]) == 0
    assert "lab1: due" not in capsys.readouterr().out  # nothing left to change


def test_an_assignment_grades_exactly_its_exercise_ids(tmp_path):
    """With optim.adam in a6 and optim.adamw in a7, a6 graded adamw too (``-k`` matches
    substrings): a complete a6 scored 92.31/100. Now a6 grades only Adam, at full marks."""
    split = PLAN.replace('exercises = ["basics"]', 'exercises = ["optim.adam"]', 1).replace(
        'exercises = ["clipping.clip_grad_norm", "clipping.clip_grad_value"]',
        'exercises = ["optim.adamw"]',
        1,
    )
    path = write_plan(tmp_path, split)
    results = tmp_path / "r.json"
    argv = [sys.executable, "-m", "descent", "grade", "solutions", "--assignment", "a1"]
    argv += ["--plan", str(path), "--results", str(results)]
    proc = subprocess.run(argv, cwd=KIT, capture_output=True, text=True, env=env(), timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    block = json.loads(results.read_text())["implementations"][0]
    assert [e["id"] for e in block["exercises"]] == ["optim.adam"]
    assert block["points"] == block["max_points"] > 0
    assert "a1: solutions: 20/20 points" in proc.stdout
