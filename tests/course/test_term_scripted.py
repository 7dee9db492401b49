"""A whole term, scripted: a plan of its own, seven students, every time source (nbgrader's
timestamp.txt in four of its forms, one inside a zip; Gradescope's metadata, with a forged
timestamp.txt in one upload and a forged metadata file among another's files; the instructor's
manifest, corrected between two runs; the files' time), an extension, a resubmission, an excused
item, a hand-placed lab notebook, times set by hand, nbgrader's export; then ``descent grades``
and the Canvas and Moodle files.

Every raw score, penalty, final score and course grade is checked three ways: against the table
worked out by hand (:data:`BY_HAND`, :data:`COURSE`), against the same numbers recomputed here
from the plan's rules by code of this test alone (:func:`by_the_rules`), and against what the
kit computed. The gradings themselves are scripted (``batch.run`` records known points, as a
grading would): what is under test is everything after the grading.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from descent.commands import main
from descent.course import assignbook, batch, coursegrade, lateness, submissions
from descent.course import plan as plan_mod
from descent.course.gradebook import Gradebook
from descent.course.runner import Outcome
from descent.course.version import grader_version

from .test_lms import canvas_problems, moodle_problems

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

UTC, BERLIN = timezone.utc, ZoneInfo("Europe/Berlin")
STUDENTS = ("ana", "ben", "cleo", "dev", "eli", "fay", "gus")
PLAN = """
[course]
name = "Scripted term"
timezone = "Europe/Berlin"
roster = "roster.csv"
extensions = "extensions.csv"
nbgrader_course = "nb"
nbgrader_grades = "nb/grades.csv"
time_source = "manifest"

[categories.code]
weight = 60
drop_lowest = 1
[categories.labs]
weight = 25
[categories.quizzes]
weight = 15

[late]
grace_minutes = 10
penalty = 5
per = "day"
cap = 25
no_credit_after_days = 7

[[assignment]]
id = "a1"
title = "Gradient descent"
exercises = ["basics"]
points = 40
category = "code"
time_source = "nbgrader"
release = 2026-09-14T09:00:00
due = 2026-09-21T23:59:00

[[assignment]]
id = "a2"
title = "Regression"
exercises = ["regression"]
points = 60
category = "code"
time_source = "gradescope"
release = 2026-09-28T09:00:00
due = 2026-10-05T23:59:00

[[assignment]]
id = "a3"
title = "Clipping"
exercises = ["clipping"]
points = 30
category = "code"
release = 2026-10-12T09:00:00
due = 2026-10-19T23:59:00
[assignment.late]
penalty = 1
per = "hour"

[[assignment]]
id = "a4"
title = "Activations"
exercises = ["activations"]
points = 50
category = "code"
weight = 2
time_source = "file"
release = 2026-10-26T09:00:00
due = 2026-11-02T23:59:00

[[nbgrader]]
id = "quiz1"
title = "Quiz 1"
category = "quizzes"
due = 2026-09-28T23:59:00

[[nbgrader]]
id = "lab1"
title = "Lab 1"
category = "labs"
due = 2026-10-12T23:59:00
"""
# The plan's rules, restated for the independent computation below.
RULES = {
    "a1": dict(points=40, due=datetime(2026, 9, 21, 21, 59, tzinfo=UTC), per=86400, pct=5),
    "a2": dict(points=60, due=datetime(2026, 10, 5, 21, 59, tzinfo=UTC), per=86400, pct=5),
    "a3": dict(points=30, due=datetime(2026, 10, 19, 21, 59, tzinfo=UTC), per=3600, pct=1),
    "a4": dict(points=50, due=datetime(2026, 11, 2, 22, 59, tzinfo=UTC), per=86400, pct=5),
    "quiz1": dict(points=5, due=datetime(2026, 9, 28, 21, 59, tzinfo=UTC), per=86400, pct=5),
    "lab1": dict(points=10, due=datetime(2026, 10, 12, 21, 59, tzinfo=UTC), per=86400, pct=5),
}
GRACE, CAP, CUTOFF = timedelta(minutes=10), 25.0, timedelta(days=7)
WEIGHTS = {"a1": 1, "a2": 1, "a3": 1, "a4": 2}
EXTENSION = {("dev", "a3"): timedelta(days=2)}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# What happened, per (student, item): the score earned (code: exercise points of 10; nbgrader:
# raw points) and the moment that counts (after the instructor's corrections), or a status.
EVENTS: dict[tuple[str, str], tuple] = {
    # a1, nbgrader's timestamp.txt (CEST, UTC, no zone, in a zip); gus's copy lost it
    ("ana", "a1"): (10, utc("2026-09-21 21:30")),  # 23:30 CEST
    ("ben", "a1"): (8, utc("2026-09-21 22:05")),  # 6 min late: grace
    ("cleo", "a1"): (9, utc("2026-09-21 21:00")),
    ("dev", "a1"): (10, utc("2026-09-23 08:00")),  # 1 d 10 h late: 2 days
    ("eli", "a1"): (7, utc("2026-09-22 10:00")),  # written without a zone: CEST
    ("fay", "a1"): (6, utc("2026-09-21 21:59:30.500")),  # in fay.zip
    ("gus", "a1"): (10, utc("2026-09-30 10:00")),  # unknown, then set by hand: > 7 days
    # a2, Gradescope; ben resubmitted; cleo's metadata lies among her files (never read)
    ("ana", "a2"): (10, utc("2026-10-05 21:00")),
    ("ben", "a2"): (10, utc("2026-10-06 09:00")),  # the resubmission
    ("cleo", "a2"): (8, None),  # time unknown: no penalty, flagged
    ("dev", "a2"): (7, utc("2026-10-08 08:00")),
    ("eli", "a2"): (10, utc("2026-10-20 00:00")),
    ("fay", "a2"): (9, utc("2026-10-05 22:05")),
    ("gus", "a2"): (10, utc("2026-10-07 06:00")),  # a forged early timestamp.txt inside
    # a3, the manifest (eli's row added after the first run), 1% per started hour
    ("ana", "a3"): (10, utc("2026-10-19 21:00")),
    ("ben", "a3"): (8, utc("2026-10-20 01:30")),  # "2026-10-20 03:30", course time
    ("cleo", "a3"): (9, utc("2026-10-21 12:00")),  # 39 hours: capped at 25%
    ("dev", "a3"): (10, utc("2026-10-21 18:00")),  # on time: extension +2d
    ("eli", "a3"): (5, utc("2026-10-19 23:59")),
    ("fay", "a3"): (7, utc("2026-10-19 22:09")),  # 10 min: still the grace period
    ("gus", "a3"): (6, utc("2026-10-19 21:30")),
    # a4, the files' time; ben never handed in; eli is excused
    ("ana", "a4"): (10, utc("2026-11-02 20:00")),
    ("ben", "a4"): "missing",
    ("cleo", "a4"): (10, utc("2026-11-03 10:00")),
    ("dev", "a4"): (6, utc("2026-11-01 12:00")),
    ("eli", "a4"): "excused",
    ("fay", "a4"): (8, utc("2026-11-05 23:00")),
    ("gus", "a4"): (9, utc("2026-11-02 22:00")),
    # quiz1 (of 5) and lab1 (of 10), nbgrader's export; fay's lab1 was placed by hand
    ("ana", "quiz1"): (5, utc("2026-09-28 10:00")),
    ("ben", "quiz1"): (4, utc("2026-09-29 08:00")),
    ("cleo", "quiz1"): (3, utc("2026-09-28 10:00")),
    ("dev", "quiz1"): (5, utc("2026-09-28 10:00")),
    ("eli", "quiz1"): (2, utc("2026-09-28 10:00")),
    ("fay", "quiz1"): (4, utc("2026-09-28 10:00")),
    ("gus", "quiz1"): (1, utc("2026-09-28 10:00")),
    ("ana", "lab1"): (9, utc("2026-10-12 20:00")),
    ("ben", "lab1"): (8, utc("2026-10-14 10:00:00.123456")),
    ("cleo", "lab1"): "missing",
    ("dev", "lab1"): (10, utc("2026-10-12 21:59")),  # at the due date exactly
    ("eli", "lab1"): (10, utc("2026-11-30 10:00")),  # 48 days late
    ("fay", "lab1"): (6, utc("2026-10-13 07:00")),  # by hand, then set: 09:00 CEST
    ("gus", "lab1"): (7, utc("2026-10-12 22:05")),
}

# The by-hand table: (raw, penalty, final) per student and item; "missing" counts 0.
BY_HAND = {
    "ana": {"a1": (40, 0, 40), "a2": (60, 0, 60), "a3": (30, 0, 30), "a4": (50, 0, 50),
            "quiz1": (5, 0, 5), "lab1": (9, 0, 9)},
    "ben": {"a1": (32, 0, 32), "a2": (60, 3, 57), "a3": (24, 0.96, 23.04), "a4": "missing",
            "quiz1": (4, 0.2, 3.8), "lab1": (8, 0.8, 7.2)},
    "cleo": {"a1": (36, 0, 36), "a2": (48, 0, 48), "a3": (27, 6.75, 20.25),
             "a4": (50, 2.5, 47.5), "quiz1": (3, 0, 3), "lab1": "missing"},
    "dev": {"a1": (40, 4, 36), "a2": (42, 6.3, 35.7), "a3": (30, 0, 30), "a4": (30, 0, 30),
            "quiz1": (5, 0, 5), "lab1": (10, 0, 10)},
    "eli": {"a1": (28, 1.4, 26.6), "a2": (60, 60, 0), "a3": (15, 0.3, 14.7), "a4": "excused",
            "quiz1": (2, 0, 2), "lab1": (10, 10, 0)},
    "fay": {"a1": (24, 0, 24), "a2": (54, 0, 54), "a3": (21, 0, 21), "a4": (40, 8, 32),
            "quiz1": (4, 0, 4), "lab1": (6, 0.3, 5.7)},
    "gus": {"a1": (40, 40, 0), "a2": (60, 6, 54), "a3": (18, 0, 18), "a4": (45, 0, 45),
            "quiz1": (1, 0, 1), "lab1": (7, 0, 7)},
}  # fmt: skip
# code: the lowest dropped (of equal ones the heavier), a4 weighing 2; course: 60/25/15.
COURSE = {
    "ana": 97.5,  # code 100 (a4 dropped), labs 90, quiz 100
    "ben": 79.76,  # code (80 + 95 + 76.8)/3 (a4 missing, dropped), labs 72, quiz 76
    "cleo": 63.0,  # code (90 + 80 + 2x95)/4 (a3 dropped), labs 0 (missing), quiz 60
    "dev": 86.5,  # code (90 + 100 + 2x60)/4 (a2 dropped), labs 100, quiz 100
    "eli": 40.65,  # code (66.5 + 49)/2 (a2 dropped, a4 excused), labs 0, quiz 40
    "fay": 69.45,  # code (90 + 70 + 2x64)/4 (a1 dropped), labs 57, quiz 80
    "gus": 70.0,  # code (90 + 60 + 2x90)/4 (a1 dropped), labs 70, quiz 20
}


def by_the_rules(student: str, item: str):
    """(raw, penalty, final) from :data:`EVENTS` and the plan's rules, computed here alone."""
    event = EVENTS[(student, item)]
    if isinstance(event, str):
        return event
    score, at = event
    rule = RULES[item]
    raw = score / 10 * rule["points"] if item.startswith("a") else score
    if at is None:
        return (raw, 0, raw)
    late = at - (rule["due"] + EXTENSION.get((student, item), timedelta(0)))
    if late <= GRACE:
        percent = 0.0
    elif late > CUTOFF:
        percent = 100.0
    else:
        percent = min(rule["pct"] * math.ceil(late.total_seconds() / rule["per"]), CAP)
    return (raw, round(raw * percent / 100, 4), round(raw - raw * percent / 100, 4))


def course_by_the_rules(student: str) -> float:
    def share(item):
        cell = by_the_rules(student, item)
        return None if cell == "excused" else 0.0 if cell == "missing" else cell[2]

    code = [(i, share(i) / RULES[i]["points"] * 100) for i in WEIGHTS if share(i) is not None]
    code.sort(key=lambda ip: (ip[1], -WEIGHTS[ip[0]]))
    kept = code[1:]
    code_pct = sum(WEIGHTS[i] * p for i, p in kept) / sum(WEIGHTS[i] for i, _ in kept)
    lab = share("lab1") / 10 * 100
    quiz = share("quiz1") / 5 * 100
    return 0.6 * code_pct + 0.25 * lab + 0.15 * quiz


def test_the_table_by_hand_is_the_plans_rules():
    for student, row in BY_HAND.items():
        for item, expected in row.items():
            got = by_the_rules(student, item)
            if isinstance(expected, str):
                assert got == expected
            else:
                assert got == pytest.approx(expected), (student, item)
        assert course_by_the_rules(student) == pytest.approx(COURSE[student]), student


# ------------------------------------------------------------------------------ the term


class Scripted:
    """``batch.run`` replaced: records each entry's known points as a finished grading."""

    def __init__(self, points: dict[str, int]):
        self.points, self.graded = points, []

    def __call__(self, opts, kit, console) -> int:
        version = grader_version(kit, selection=opts.selection, device=opts.device)
        with Gradebook(opts.book_path) as book:
            for entry in submissions.discover(opts.submissions).entries:
                digest = submissions.content_hash(entry.path)
                if book.graded(entry.student, digest, version) is not None:
                    continue
                doc = {
                    "implementations": [
                        {"name": entry.student, "points": self.points[entry.student],
                         "max_points": 10.0, "exercises": []}
                    ],
                    "tests": [],
                }  # fmt: skip
                outcome = Outcome(
                    entry.student, str(entry.path), "graded", results=doc,
                    content_hash=digest, version=version,
                )  # fmt: skip
                book.record(outcome, source=str(entry.path), submitted=0, superseded=[])
                self.graded.append(entry.student)
        return 0


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _points(item: str) -> dict[str, int]:
    return {s: EVENTS[(s, item)][0] for s in STUDENTS if isinstance(EVENTS[(s, item)], tuple)}


def _batch(tmp_path, monkeypatch, item: str, points: dict[str, int]) -> Scripted:
    grader = Scripted(points)
    monkeypatch.setattr(batch, "run", grader)
    argv = ["batch", str(tmp_path / "subs" / item), "--out", str(tmp_path / "grading")]
    assert main(argv + ["--assignment", item, "--plan", str(tmp_path / "course.toml")]) == 0
    return grader


def _set_time(tmp_path, student, item, when, why) -> None:
    argv = ["course", "set-time", student, item, when, "--why", why]
    argv += ["--plan", str(tmp_path / "course.toml")]
    assert main(argv + ["--gradebook", str(tmp_path / "grading" / "gradebook.sqlite")]) == 0


def _a1(subs: Path) -> None:
    stamps = {
        "ana": "2026-09-21 23:30:00.000000 CEST",
        "ben": "2026-09-22 00:05:00 CEST",
        "cleo": "2026-09-21 21:00:00.000000 UTC",
        "dev": "2026-09-23 10:00:00.000000 CEST",
        "eli": "2026-09-22 12:00:00",
    }
    for student, stamp in stamps.items():
        _write(subs / student / "basics.py", f"# {student}\n")
        _write(subs / student / "timestamp.txt", stamp)
    _write(subs / "gus" / "basics.py", "# gus: a copy, without its timestamp.txt\n")
    subs.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(subs / "fay.zip", "w") as archive:
        archive.writestr("basics.py", "# fay\n")
        archive.writestr("timestamp.txt", "2026-09-21 23:59:30.500000 CEST")


def _a2(subs: Path, ben_first: bool) -> None:
    created = {
        "ana": "2026-10-05T21:00:00.000000+00:00",
        "ben": "2026-10-05T20:00:00Z" if ben_first else "2026-10-06T09:00:00+00:00",
        "dev": "2026-10-08T10:00:00+02:00",
        "eli": "2026-10-20T00:00:00Z",
        "fay": "2026-10-05T22:05:00+00:00",
        "gus": "2026-10-07T06:00:00Z",
    }
    for student, at in created.items():
        version = "first" if student == "ben" and ben_first else "final"
        _write(subs / student / "submission" / "regression.py", f"# {student} {version}\n")
        _write(subs / student / "submission_metadata.json", json.dumps({"created_at": at}))
    _write(subs / "gus" / "submission" / "timestamp.txt", "2026-10-01 00:00:00.000000 UTC")
    # cleo's own "metadata", among the files she uploaded: never read
    _write(subs / "cleo" / "regression.py", "# cleo\n")
    _write(subs / "cleo" / "submission_metadata.json", '{"created_at": "2026-10-01T00:00:00Z"}')


def _a3(subs: Path, with_eli: bool) -> None:
    for student in STUDENTS:
        _write(subs / student / "clipping.py", f"# {student}\n")
    rows = [
        "ana,2026-10-19T23:00:00+02:00",
        "ben,2026-10-20 03:30",
        "cleo,2026-10-21T12:00:00Z",
        "dev,2026-10-21T20:00:00+02:00",
        "fay,2026-10-20T00:09:00+02:00",
        "gus,2026-10-19 21:30:00 UTC",
    ] + (["eli,2026-10-20T01:59:00+02:00"] if with_eli else [])
    _write(subs / "manifest.csv", "student,submitted_at\n" + "\n".join(rows) + "\n")


def _a4(subs: Path) -> None:
    for student in ("ana", "cleo", "dev", "fay", "gus"):
        folder = subs / student
        _write(folder / "activations.py", f"# {student}\n")
        stamp = EVENTS[(student, "a4")][1].timestamp()
        for path in (folder / "activations.py", folder):
            os.utime(path, (stamp, stamp))


def _nbgrader(tmp_path: Path) -> None:
    rows = []
    for student in STUDENTS:
        for item, most in (("quiz1", 5), ("lab1", 10)):
            event = EVENTS[(student, item)]
            if event == "missing":
                rows.append(f"{item},,,{student},,,,0,0,0,{most}")
            elif (student, item) == ("fay", "lab1"):  # placed by hand: no timestamp
                rows.append(f"{item},,,{student},,,,{event[0]},0,{event[0]},{most}")
                (tmp_path / "nb" / "submitted" / student / item).mkdir(parents=True)
            else:
                stamp = event[1].astimezone(UTC).replace(tzinfo=None)
                rows.append(f"{item},,{stamp},{student},,,,{event[0]},0,{event[0]},{most}")
    _write(
        tmp_path / "nb" / "grades.csv",
        "assignment,duedate,timestamp,student_id,last_name,first_name,email,raw_score,"
        "late_submission_penalty,score,max_score\n" + "\n".join(rows) + "\n",
    )


@pytest.fixture
def term(tmp_path, monkeypatch):
    """The whole term, run as an instructor would, with the gradings scripted."""
    _write(tmp_path / "course.toml", PLAN)
    for item in ("quiz1", "lab1"):
        (tmp_path / "nb" / "source" / item).mkdir(parents=True)
    _write(
        tmp_path / "roster.csv",
        "id,first_name,last_name,email,section\n"
        + "".join(f"{s},{s.title()},Term,{s}@example.edu,S1\n" for s in STUDENTS),
    )
    _write(
        tmp_path / "extensions.csv",
        "student,assignment,due,reason\ndev,a3,+2d,illness\neli,a4,excused,exchange\n",
    )
    subs = tmp_path / "subs"
    _a1(subs / "a1")
    _batch(tmp_path, monkeypatch, "a1", _points("a1"))
    _set_time(tmp_path, "gus", "a1", "2026-09-30T12:00", "upload receipt from the help desk")
    _a2(subs / "a2", ben_first=True)
    _batch(tmp_path, monkeypatch, "a2", {**_points("a2"), "ben": 5})
    _a2(subs / "a2", ben_first=False)  # ben's resubmission: graded, the others kept
    assert _batch(tmp_path, monkeypatch, "a2", _points("a2")).graded == ["ben"]
    _a3(subs / "a3", with_eli=False)
    _batch(tmp_path, monkeypatch, "a3", _points("a3"))
    _a3(subs / "a3", with_eli=True)  # the corrected manifest: settled again, not graded
    assert _batch(tmp_path, monkeypatch, "a3", _points("a3")).graded == []
    _a4(subs / "a4")
    _batch(tmp_path, monkeypatch, "a4", _points("a4"))
    _nbgrader(tmp_path)
    _set_time(tmp_path, "fay", "lab1", "2026-10-13T09:00", "placed by hand; LMS receipt")
    return tmp_path


def _grades(term: Path, fmt: str, *extra: str) -> Path:
    out = term / f"grades-{fmt}.csv"
    argv = ["grades", "--plan", str(term / "course.toml"), "--at", "2026-12-01T00:00"]
    argv += ["--gradebook", str(term / "grading" / "gradebook.sqlite"), "--format", fmt]
    assert main(argv + ["--out", str(out), *extra]) == 0
    return out


def test_every_raw_penalty_and_final_score_is_right(term):
    with Gradebook(term / "grading" / "gradebook.sqlite", writable=False) as book:
        rows = {(g.student, g.assignment): g for g in assignbook.read(book)}
        overrides = assignbook.overrides(book)
    plan = plan_mod.load(term / "course.toml")
    inputs = coursegrade.Inputs(
        code=rows,
        labs=coursegrade.read_labs(plan, term / "nb" / "grades.csv"),
        extensions=lateness.read_extensions(plan.extensions, plan),
        overrides=overrides,
    )
    at = datetime(2026, 12, 1, tzinfo=UTC)
    kit = {g.student: g for g in coursegrade.compute(plan, inputs, list(STUDENTS), at)}
    for student, row in BY_HAND.items():
        for item, expected in row.items():
            cell = kit[student].cells[item]
            if isinstance(expected, str):
                assert cell.status == expected, (student, item)
                continue
            got = (cell.raw, cell.penalty, cell.points)
            assert got == pytest.approx(expected), (student, item, got)
            if item.startswith("a"):  # the gradebook's row holds the same three numbers
                g = rows[(student, item)]
                assert (g.raw, g.penalty, g.final) == pytest.approx(expected), (student, item)
        assert kit[student].total == pytest.approx(COURSE[student]), student
    # what needs the instructor is flagged, and only that
    assert kit["cleo"].flags == [
        "a2: time unknown: submission_metadata.json lies among the uploaded files, where the "
        "student could have written it: put the upload in a sub-folder (alice/submission/) "
        "beside it"
    ]
    assert [s for s in STUDENTS if kit[s].flags] == ["cleo"]
    assert (
        rows[("gus", "a1")].time_source
        == "set by the instructor: upload receipt from the help desk"
    )
    assert rows[("dev", "a3")].reason.startswith("on time (extension to 2026-10-21 23:59 CEST")


def test_descent_grades_and_the_lms_files_agree_with_the_table(term):
    with open(_grades(term, "csv"), encoding="utf-8-sig") as handle:
        plain = {r["student"]: r for r in csv.DictReader(handle)}
    for student, row in BY_HAND.items():
        assert float(plain[student]["course grade %"]) == pytest.approx(COURSE[student], abs=0.005)
        for item, expected in row.items():
            cell = plain[student][item]
            assert (
                cell == expected
                if isinstance(expected, str)
                else float(cell) == pytest.approx(expected[2], abs=0.005)
            )
    canvas = _grades(term, "canvas").read_text(encoding="utf-8-sig")
    known = {f"{i}: {t}" for i, t in (("a1", "Gradient descent"), ("a2", "Regression"),
             ("a3", "Clipping"), ("a4", "Activations"), ("quiz1", "Quiz 1"), ("lab1", "Lab 1"))}  # fmt: skip
    assert canvas_problems(canvas, known) == []
    rows = {r[2]: r for r in csv.reader(canvas.splitlines()[2:])}
    assert rows["eli"][5 + 3] == "EX" and rows["ben"][5 + 3] == "0"  # a4 excused, missing
    moodle = _grades(term, "moodle").read_text(encoding="utf-8-sig")
    assert moodle_problems(moodle) == []
    rows = {r[2]: r for r in csv.reader(moodle.splitlines()[1:])}
    assert rows["eli"][6 + 3] == "" and rows["cleo"][6 + 5] == "0"  # a4 excused; lab1 missing


def test_the_reports_of_the_term(term):
    page = (term / "grading" / "reports" / "a2" / "dev.html").read_text()
    assert "<p class='total'>a2: 35.7 / 60 points (60%)</p>" in page
    assert "raw score 42 / 60; late penalty &minus;6.3 (15%); final 35.7 / 60" in page
    assert "Submitted 2026-10-08 10:00 CEST (Gradescope metadata)" in page
    shutil.rmtree(term / "subs")  # nothing above reads the submissions again
