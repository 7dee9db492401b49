"""A whole term with nbgrader in the loop, in a zone with daylight saving, checked against a
table worked out by hand.

The course is in Australia/Sydney, whose clocks jump from 02:00 AEST (UTC+10) to 03:00 AEDT
(UTC+11) on 2026-10-04. Eight students, four code assignments (one per source of submission
times: nbgrader's ``timestamp.txt``, Gradescope's metadata, the instructor's manifest, the
files' time), two quizzes and a lab, every one of the labs and quizzes through nbgrader's real
exchange: ``release_assignment``, then each student's ``fetch_assignment`` and ``submit`` with
nbgrader's clock shimmed to the moment below (:mod:`.nbexchange`), ``collect``, ``descent labs
autograde`` and ``export``. The first quiz is submitted with the students' nbgrader at its
default zone (UTC), the lab and the second quiz with ``Exchange.timezone = "Australia/Sydney"``
(nbgrader then writes ``AEST`` and ``AEDT``, which its own parser reads as UTC), submissions on
both sides of the change. The code assignment a1 is collected through the same exchange.

What happens besides (each a finding of issue 48, every one resolved as an instructor would):

* ben's quiz 1 and a3 cross the change: lateness is elapsed time (9 h 31 min, not 10 h 31);
* gus's first a2 upload has no metadata (time unknown): the instructor sets the time; gus then
  uploads again 19 days late: the time set by hand lapses, and says so;
* hana's lab 1 is a copy made by hand in the exchange, named an hour before the due date but
  written 19 hours after it: counted from when collect found it written, flagged, then set to
  that time by hand;
* gus's lab 1 ``timestamp.txt`` was edited in the exchange after submit: the records disagree,
  time unknown, set by the instructor to the exchange's record;
* fay's lab 1 was placed in ``submitted/`` by hand: no ``timestamp.txt``, set by hand;
* dev's nbgrader writes ISO times with an offset, whose ``+`` makes ``collect`` name a student
  ``dev+quiz2_backprop``: that entry is flagged and kept out of the LMS files until dropped,
  and dev's copy is moved where it belongs and graded;
* an a2 upload named after hana's login (``hana.k@uni.edu``) is graded, flagged, never an LMS
  row, then dropped;
* ana's last name is ``Walker, Jr.``: nbgrader's export writes it unquoted;
* eli is excused from a3 and has an extension on lab 1; gus has one on a3.

The code gradings are scripted (``batch.run`` records known points, as in
``test_term_scripted.py``): what is under test is everything after a grading. The nbgrader
gradings are real.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from descent.commands import main
from descent.course import batch
from descent.course.gradebook import Gradebook

from . import nbexchange as nx
from .test_lms import canvas_problems, moodle_problems
from .test_term_scripted import Scripted

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader")

UTC = timezone.utc
STUDENTS = ("ana", "ben", "cleo", "dev", "eli", "fay", "gus", "hana")
Q1, LAB, Q2 = "quiz1_loss", "lab1_loss_consultant", "quiz2_backprop"
SYDNEY = "Australia/Sydney"
PLAN = f"""
[course]
name = "Sydney term"
timezone = "{SYDNEY}"
roster = "roster.csv"
extensions = "extensions.csv"
nbgrader_course = "course"
nbgrader_grades = "course/grades.csv"
time_source = "manifest"

[categories.code]
weight = 55
drop_lowest = 1
[categories.labs]
weight = 20
[categories.quizzes]
weight = 25
drop_lowest = 1

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
points = 40
category = "code"
time_source = "nbgrader"
release = 2026-09-07T09:00:00
due = 2026-09-14T23:59:00

[[assignment]]
id = "a2"
title = "Regression"
exercises = ["regression"]
points = 60
category = "code"
time_source = "gradescope"
release = 2026-09-14T09:00:00
due = 2026-09-21T23:59:00

[[assignment]]
id = "a3"
title = "Clipping"
exercises = ["clipping"]
points = 30
category = "code"
release = 2026-09-21T09:00:00
due = 2026-10-03T23:59:00
[assignment.late]
penalty = 5
per = "hour"

[[assignment]]
id = "a4"
title = "Activations"
exercises = ["activations"]
points = 50
weight = 2
category = "code"
time_source = "file"
release = 2026-10-03T09:00:00
due = 2026-10-11T23:59:00

[[nbgrader]]
id = "{Q1}"
title = "Quiz 1"
category = "quizzes"
release = 2026-09-21T09:00:00
due = 2026-10-03T23:59:00
[nbgrader.late]
penalty = 3
per = "hour"

[[nbgrader]]
id = "{LAB}"
title = "Lab 1"
category = "labs"
release = 2026-09-28T09:00:00
due = 2026-10-04T12:00:00

[[nbgrader]]
id = "{Q2}"
title = "Quiz 2"
category = "quizzes"
release = 2026-10-03T09:00:00
due = 2026-10-10T23:59:00
[nbgrader.late]
penalty = 3
per = "hour"
"""
EXTENSIONS = f"""student,assignment,due,reason
gus,a3,+2d,illness
eli,a3,excused,exchange semester
eli,{LAB},+3d,illness
"""
ROSTER = "id,first_name,last_name,email,section,sis_login_id,canvas_id\n" + "".join(
    f'{s},{s.title()},"{"Walker, Jr." if s == "ana" else "Term"}",{s}@uni.edu,S1,{s}.k@uni.edu,'
    f"{100 + n}\n"
    for n, s in enumerate(STUDENTS)
)


def z(text: str) -> datetime:
    """A moment written in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# ------------------------------------------------------------------------------ the table

# The plan's rules, restated for the independent computation below: points, the due date in
# UTC (AEST is UTC+10 until 2026-10-04 02:00, AEDT UTC+11 after), the unit and its percent.
DAY, HOUR = 86400, 3600
RULES = {
    "a1": dict(points=40, due=z("2026-09-14 13:59"), per=DAY, pct=10),
    "a2": dict(points=60, due=z("2026-09-21 13:59"), per=DAY, pct=10),
    "a3": dict(points=30, due=z("2026-10-03 13:59"), per=HOUR, pct=5),
    "a4": dict(points=50, due=z("2026-10-11 12:59"), per=DAY, pct=10),
    Q1: dict(points=5, due=z("2026-10-03 13:59"), per=HOUR, pct=3),
    LAB: dict(points=19, due=z("2026-10-04 01:00"), per=DAY, pct=10),
    Q2: dict(points=5, due=z("2026-10-10 12:59"), per=HOUR, pct=3),
}
GRACE, CAP, CUTOFF = timedelta(minutes=15), 50.0, timedelta(days=5)
EXTENDED = {("gus", "a3"): timedelta(days=2), ("eli", LAB): timedelta(days=3)}
CODE_WEIGHTS = {"a1": 1, "a2": 1, "a3": 1, "a4": 2}

# What happened, per (student, item): the score (code: exercise points of 10; labs and quizzes:
# nbgrader's raw points), the moment that counts once the instructor has settled everything
# (None: the time stays unknown: no penalty, flagged), and where that moment comes from.
EVENTS: dict[tuple[str, str], tuple | str] = {
    # a1: through nbgrader's exchange, Exchange.timezone = Australia/Sydney (AEST)
    ("ana", "a1"): (10, z("2026-09-14 13:30"), "timestamp.txt, 23:30 AEST"),
    ("ben", "a1"): (8, z("2026-09-14 14:10"), "timestamp.txt: 11 min late, grace"),
    ("cleo", "a1"): (9, z("2026-09-16 00:00"), "timestamp.txt: 1 d 10 h late"),
    ("dev", "a1"): (10, z("2026-09-14 10:00"), "timestamp.txt"),
    ("eli", "a1"): (7, z("2026-09-14 12:00"), "timestamp.txt"),
    ("fay", "a1"): (6, z("2026-09-15 02:00"), "timestamp.txt: 12 h late"),
    ("gus", "a1"): (10, z("2026-09-13 02:00"), "timestamp.txt"),
    ("hana", "a1"): (5, z("2026-09-14 13:00"), "timestamp.txt"),
    # a2: Gradescope's metadata
    ("ana", "a2"): (10, z("2026-09-21 10:00"), "metadata"),
    ("ben", "a2"): (9, z("2026-09-22 02:00"), "metadata: 12 h late"),
    ("cleo", "a2"): (8, z("2026-09-20 00:00"), "metadata"),
    ("dev", "a2"): (7, z("2026-09-21 11:00"), "metadata"),
    ("eli", "a2"): (10, z("2026-09-24 14:30"), "metadata: 3 d 31 min late"),
    ("fay", "a2"): (9, z("2026-09-21 09:00"), "metadata"),
    ("gus", "a2"): (10, z("2026-10-10 12:00"), "metadata of the re-upload; set time lapsed"),
    ("hana", "a2"): (8, z("2026-09-21 12:00"), "metadata"),
    # a3: the manifest, 5% per started hour; the clocks jump the night after the due date
    ("ana", "a3"): (10, z("2026-10-03 13:00"), "manifest"),
    ("ben", "a3"): (8, z("2026-10-03 22:00"), "manifest 09:00 AEDT: 8 h 1 min late"),
    ("cleo", "a3"): (9, z("2026-10-03 15:30"), "manifest +10:00: 1 h 31 min late"),
    ("dev", "a3"): (10, None, "not in the manifest: unknown"),
    ("eli", "a3"): "excused",
    ("fay", "a3"): (7, z("2026-10-03 14:10"), "manifest: 11 min, grace"),
    ("gus", "a3"): (6, z("2026-10-04 16:59"), "manifest: within the extension"),
    ("hana", "a3"): (9, z("2026-10-03 12:00"), "manifest Z"),
    # a4: the files' time
    ("ana", "a4"): (10, z("2026-10-11 12:00"), "file"),
    ("ben", "a4"): "missing",
    ("cleo", "a4"): (10, z("2026-10-12 02:00"), "file: 13 h late"),
    ("dev", "a4"): (6, z("2026-10-10 12:00"), "file"),
    ("eli", "a4"): (8, z("2026-10-13 13:00"), "file: 2 d 1 min late"),
    ("fay", "a4"): (8, z("2026-10-15 23:00"), "file: 4 d 10 h late, capped"),
    ("gus", "a4"): (9, z("2026-10-11 05:00"), "file"),
    ("hana", "a4"): (7, z("2026-10-11 06:00"), "file"),
    # quiz 1: the students' nbgrader at its default zone (UTC), 3% per started hour
    ("ana", Q1): (5, z("2026-10-03 12:00"), "timestamp.txt UTC"),
    ("ben", Q1): (4, z("2026-10-03 23:30"), "timestamp.txt UTC: 9 h 31 min late"),
    ("cleo", Q1): (3, z("2026-10-02 00:00"), "timestamp.txt UTC"),
    ("dev", Q1): (5, z("2026-10-03 10:00"), "timestamp.txt UTC"),
    ("eli", Q1): (2, z("2026-10-03 14:10"), "timestamp.txt UTC: 11 min, grace"),
    ("fay", Q1): (4, z("2026-10-04 02:00"), "timestamp.txt UTC: 12 h 1 min late"),
    ("gus", Q1): (1, z("2026-10-03 08:00"), "timestamp.txt UTC"),
    ("hana", Q1): (5, z("2026-10-03 13:00"), "timestamp.txt UTC"),
    # lab 1 (9 autograded points of 19): Exchange.timezone = Australia/Sydney
    ("ana", LAB): (9, z("2026-10-04 00:30"), "timestamp.txt AEDT"),
    ("ben", LAB): (6, z("2026-10-03 15:30"), "timestamp.txt AEST (before the jump)"),
    ("cleo", LAB): "missing",
    ("dev", LAB): (9, z("2026-10-05 01:30"), "timestamp.txt AEDT: 1 d 30 min late"),
    ("eli", LAB): (9, z("2026-10-06 20:00"), "timestamp.txt: within the extension"),
    ("fay", LAB): (9, z("2026-10-04 04:00"), "placed by hand; set by hand"),
    ("gus", LAB): (6, z("2026-10-05 10:00"), "records disagree; set by hand"),
    ("hana", LAB): (9, z("2026-10-04 20:00"), "written after its claimed time; set by hand"),
    # quiz 2: Exchange.timezone = Australia/Sydney (AEDT); dev's nbgrader writes ISO times
    ("ana", Q2): (5, z("2026-10-10 10:00"), "timestamp.txt AEDT"),
    ("ben", Q2): (3, z("2026-10-09 10:00"), "timestamp.txt AEDT"),
    ("cleo", Q2): (4, z("2026-10-10 13:30"), "timestamp.txt AEDT: 31 min late"),
    ("dev", Q2): (4, z("2026-10-10 09:00"), "timestamp.txt +1100, moved from the phantom"),
    ("eli", Q2): (2, z("2026-10-10 11:00"), "timestamp.txt AEDT"),
    ("fay", Q2): (5, z("2026-10-08 01:00"), "timestamp.txt AEDT"),
    ("gus", Q2): (4, z("2026-10-11 02:00"), "timestamp.txt AEDT: 13 h 1 min late"),
    ("hana", Q2): (1, z("2026-10-10 12:00"), "timestamp.txt AEDT"),
}

# The table worked out by hand: (raw, penalty, final) per student and item.
BY_HAND = {
    "ana": {"a1": (40, 0, 40), "a2": (60, 0, 60), "a3": (30, 0, 30), "a4": (50, 0, 50),
            Q1: (5, 0, 5), LAB: (9, 0, 9), Q2: (5, 0, 5)},
    "ben": {"a1": (32, 0, 32), "a2": (54, 5.4, 48.6), "a3": (24, 10.8, 13.2), "a4": "missing",
            Q1: (4, 1.2, 2.8), LAB: (6, 0, 6), Q2: (3, 0, 3)},
    "cleo": {"a1": (36, 7.2, 28.8), "a2": (48, 0, 48), "a3": (27, 2.7, 24.3),
             "a4": (50, 5, 45), Q1: (3, 0, 3), LAB: "missing", Q2: (4, 0.12, 3.88)},
    "dev": {"a1": (40, 0, 40), "a2": (42, 0, 42), "a3": (30, 0, 30), "a4": (30, 0, 30),
            Q1: (5, 0, 5), LAB: (9, 1.8, 7.2), Q2: (4, 0, 4)},
    "eli": {"a1": (28, 0, 28), "a2": (60, 24, 36), "a3": "excused", "a4": (40, 12, 28),
            Q1: (2, 0, 2), LAB: (9, 0, 9), Q2: (2, 0, 2)},
    "fay": {"a1": (24, 2.4, 21.6), "a2": (54, 0, 54), "a3": (21, 0, 21), "a4": (40, 20, 20),
            Q1: (4, 1.56, 2.44), LAB: (9, 0.9, 8.1), Q2: (5, 0, 5)},
    "gus": {"a1": (40, 0, 40), "a2": (60, 60, 0), "a3": (18, 0, 18), "a4": (45, 0, 45),
            Q1: (1, 0, 1), LAB: (6, 1.2, 4.8), Q2: (4, 1.68, 2.32)},
    "hana": {"a1": (20, 0, 20), "a2": (48, 0, 48), "a3": (27, 0, 27), "a4": (35, 0, 35),
             Q1: (5, 0, 5), LAB: (9, 0.9, 8.1), Q2: (1, 0, 1)},
}  # fmt: skip
# code 55% (lowest dropped; of equal ones the heavier; a4 weighs 2), labs 20%, quizzes 25%
# (lowest dropped)
COURSE = {
    "ana": 89.4737,  # code 100 (a4 dropped), lab 9/19 = 47.37, quizzes 100
    "ben": 58.8991,  # code (80 + 81 + 44)/3 (a4 missing, dropped), lab 31.58, quiz 2 60
    "cleo": 66.2875,  # code (80 + 81 + 2x90)/4 (a1 72 dropped), lab 0 (missing), quiz 2 77.6
    "dev": 82.0789,  # code (100 + 70 + 100)/3 (a4 60 dropped), lab 37.89, quiz 1 100
    "eli": 55.2237,  # code (70 + 60)/2 (a3 excused, a4 56 dropped), lab 47.37, quizzes 40
    "fay": 72.7596,  # code (54 + 90 + 70)/3 (a4 40 dropped), lab 42.63, quiz 2 100
    "gus": 63.4026,  # code (100 + 60 + 2x90)/4 (a2 0 dropped), lab 25.26, quiz 2 46.4
    "hana": 76.1513,  # code (80 + 90 + 2x70)/4 (a1 50 dropped), lab 42.63, quiz 1 100
}


def by_the_rules(student: str, item: str):
    """(raw, penalty, final) from :data:`EVENTS` and the plan's rules, computed here alone,
    lateness in elapsed time (both moments in UTC)."""
    event = EVENTS[(student, item)]
    if isinstance(event, str):
        return event
    score, at, _source = event
    rule = RULES[item]
    raw = score / 10 * rule["points"] if item.startswith("a") else score
    if at is None:
        return (raw, 0, raw)
    late = at - (rule["due"] + EXTENDED.get((student, item), timedelta(0)))
    if late <= GRACE:
        percent = 0.0
    elif late > CUTOFF:
        percent = 100.0
    else:
        percent = min(rule["pct"] * math.ceil(late.total_seconds() / rule["per"]), CAP)
    return (raw, round(raw * percent / 100, 4), round(raw - raw * percent / 100, 4))


def course_by_the_rules(student: str) -> float:
    def percent(item):
        cell = by_the_rules(student, item)
        if cell == "excused":
            return None
        return 0.0 if cell == "missing" else cell[2] / RULES[item]["points"] * 100

    def dropped_one(items, weights):
        counted = sorted(
            ((i, percent(i)) for i in items if percent(i) is not None),
            key=lambda ip: (ip[1], -weights[ip[0]]),
        )[1:]
        return sum(weights[i] * p for i, p in counted) / sum(weights[i] for i, _ in counted)

    code = dropped_one(list(CODE_WEIGHTS), CODE_WEIGHTS)
    quizzes = dropped_one([Q1, Q2], {Q1: 1, Q2: 1})
    return 0.55 * code + 0.20 * percent(LAB) + 0.25 * quizzes


def test_the_table_by_hand_is_the_plans_rules():
    for student, row in BY_HAND.items():
        for item, expected in row.items():
            got = by_the_rules(student, item)
            assert (
                got == expected if isinstance(expected, str) else got == pytest.approx(expected)
            ), (student, item, got)
        assert course_by_the_rules(student) == pytest.approx(COURSE[student], abs=1e-4), student


# ------------------------------------------------------------------------------ the term


def _notebook(course: Path, assignment: str):
    return nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)


def _cell(nb, grade_id: str):
    return next(
        c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade_id", c.get("id")) == grade_id
    )


def quiz(course: Path, assignment: str, right: int) -> str:
    """The released quiz answered: the first ``right`` questions right, the others wrong."""
    nb = _notebook(course, assignment)
    key = json.loads((nx.LABS / "keys" / f"{assignment}.json").read_text())["questions"]
    for n, (qid, entry) in enumerate(key.items()):
        answer = entry["answer"]
        if n >= right:
            answer = "ABCD".replace(answer, "")[0] if entry["kind"] == "choice" else answer + 1
        _cell(nb, f"{qid}_answer").source = f"{qid} = {answer!r}"
    return nbformat.writes(nb)


def lab(course: Path, points: int) -> str:
    """Lab 1 solved (9 autograded points) or, with ``points=6``, with three slips (task 1
    returns a tensor, task 2 ignores alpha, task 3 its threshold: 1 + 2 + 1 + 2 of 9). The
    answers are the source's solutions without its solution markers (a copy of the source
    notebook, markers and all, is refused)."""
    nb = _notebook(course, LAB)
    source = nbformat.read(nx.LABS / "source" / LAB / f"{LAB}.ipynb", as_version=4)
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            _cell(nb, meta["grade_id"]).source = "\n".join(
                line for line in cell.source.splitlines() if "### " not in line
            )
    if points == 6:
        slips = {
            "task1_answer": (
                "return float((y == 1).sum()) / len(y)",
                "return (y == 1).sum() / len(y)",
            ),
            "task2_answer": ("if alpha is not None:", "if False:"),
            "task3_answer": ("(probs[positives] >= threshold)", "(probs[positives] >= 0.5)"),
        }
        for grade_id, (old, new) in slips.items():
            cell = _cell(nb, grade_id)
            assert old in cell.source, grade_id
            cell.source = cell.source.replace(old, new)
    return nbformat.writes(nb)


def _iso(event) -> str:
    return event[1].isoformat()


def descent(base: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(nx.BIN / "descent"), *argv],
        cwd=base,
        env=nx.environment(base),
        capture_output=True,
        text=True,
        timeout=900,
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _points(item: str, **changed) -> dict[str, int]:
    out = {s: EVENTS[(s, item)][0] for s in STUDENTS if isinstance(EVENTS[(s, item)], tuple)}
    return {**out, **changed}


def _through_the_exchange(course: Path) -> dict[str, Path]:
    """Every submission of a1, the quizzes and the lab that goes through nbgrader submit; the
    exchange copies of gus's lab 1 and dev's quiz 2."""
    sydney, default = nx.student_config(course, SYDNEY), nx.student_config(course, None)
    iso = nx.student_config(course, SYDNEY, "%Y-%m-%dT%H:%M:%S%z")
    plan = []
    for s in STUDENTS:
        plan.append(dict(student=s, assignment="a1", at=_iso(EVENTS[(s, "a1")]),
                         files={"basics.py": f"# {s}\n"}, config=sydney))  # fmt: skip
    for s in STUDENTS:
        right = EVENTS[(s, Q1)][0]
        plan.append(dict(student=s, assignment=Q1, at=_iso(EVENTS[(s, Q1)]),
                         files={f"{Q1}.ipynb": quiz(course, Q1, right)}, config=default))  # fmt: skip
    for s in ("ana", "ben", "dev", "eli", "gus"):
        score, at, _ = EVENTS[(s, LAB)]
        plan.append(dict(student=s, assignment=LAB, at=at.isoformat(),
                         files={f"{LAB}.ipynb": lab(course, score)}, config=sydney))  # fmt: skip
    for s in STUDENTS:
        right = EVENTS[(s, Q2)][0]
        plan.append(dict(student=s, assignment=Q2, at=_iso(EVENTS[(s, Q2)]),
                         files={f"{Q2}.ipynb": quiz(course, Q2, right)},
                         config=iso if s == "dev" else sydney))  # fmt: skip
    made = nx.submit(course, plan)
    return {f"{one['student']}/{one['assignment']}": copy for one, copy in zip(plan, made)}


def _tamper_and_forge(course: Path, copies: dict[str, Path]) -> None:
    """gus edits his lab copy's timestamp.txt in the exchange (to before the due date, its
    file time put back); hana makes a copy by hand, named an hour before the due date, written
    19 hours after it."""
    gus = copies[f"gus/{LAB}"]
    (gus / "timestamp.txt").write_text("2026-10-04 10:00:00.000000 AEDT")
    nx.touch(gus, EVENTS[("gus", LAB)][1].isoformat())
    claimed = "2026-10-04 11:00:00.000000 AEDT"
    forged = course / "exchange" / nx.COURSE_ID / "inbound" / f"hana+{LAB}+{claimed}+forgedcopy1"
    forged.mkdir()
    (forged / f"{LAB}.ipynb").write_text(lab(course, 9))
    (forged / "timestamp.txt").write_text(claimed)
    (forged / "submission_secret.txt").write_text("x" * 128)
    nx.touch(forged, "2026-10-04T20:00:00+00:00")


def _code_folders(base: Path, course: Path) -> None:
    subs = base / "subs"
    for s in STUDENTS:  # a1: collected by nbgrader, copied with its files' times
        shutil.copytree(course / "submitted" / s / "a1", subs / "a1" / s)
    for s in STUDENTS:  # a2: Gradescope, the upload in a sub-folder beside its metadata
        _write(subs / "a2" / s / "submission" / "regression.py", f"# {s}\n")
        if s != "gus":  # gus's first upload came without its metadata
            created = {"created_at": _iso(EVENTS[(s, "a2")])}
            _write(subs / "a2" / s / "submission_metadata.json", json.dumps(created))
    login = subs / "a2" / "hana.k@uni.edu"
    _write(login / "submission" / "regression.py", "# a second upload, under hana's login\n")
    _write(login / "submission_metadata.json", '{"created_at": "2026-09-21T11:00:00Z"}')
    manifest = ["student,submitted_at"]
    for s in STUDENTS:  # a3: the manifest; dev's row is missing; eli is excused
        if s == "eli":
            continue
        _write(subs / "a3" / s / "clipping.py", f"# {s}\n")
    manifest += [
        "ana,2026-10-03T23:00:00",
        "ben,2026-10-04T09:00:00",  # no offset: 09:00 AEDT, the morning after the jump
        "cleo,2026-10-04 01:30:00+10:00",
        "fay,2026-10-04T00:10:00+10:00",
        "gus,2026-10-05T03:59:00+11:00",
        "hana,2026-10-03T12:00:00Z",
    ]
    _write(subs / "a3" / "manifest.csv", "\n".join(manifest) + "\n")
    for s in STUDENTS:  # a4: the files' time; ben never handed in
        if s == "ben":
            continue
        folder = subs / "a4" / s
        _write(folder / "activations.py", f"# {s}\n")
        nx.touch(folder, _iso(EVENTS[(s, "a4")]))


def _batch(base: Path, item: str, points: dict[str, int]) -> Scripted:
    grader = Scripted(points)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch, "run", grader)
        argv = ["batch", str(base / "subs" / item), "--out", str(base / "grading")]
        assert main(argv + ["--assignment", item, "--plan", str(base / "course.toml")]) == 0
    return grader


def _course(base: Path, *argv: str) -> int:
    common = ["--plan", str(base / "course.toml")]
    return main(
        ["course", *argv, *common, "--gradebook", str(base / "grading" / "gradebook.sqlite")]
    )


def _grades(base: Path, fmt: str, at: str = "2026-12-01T00:00", tag: str = "") -> Path:
    out = base / f"grades-{fmt}-{at[:10]}{tag}.csv"
    argv = ["grades", "--plan", str(base / "course.toml"), "--at", at, "--format", fmt]
    argv += ["--gradebook", str(base / "grading" / "gradebook.sqlite"), "--out", str(out)]
    assert main(argv) == 0
    return out


def _rows(path: Path, skip: int = 0) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        lines = handle.read().splitlines()
    return list(csv.DictReader([lines[0], *lines[1 + skip :]]))


def _autograde_and_export(base: Path, course: Path, *assignments: str) -> str:
    graded = descent(base, "labs", "autograde", *assignments, "--course", str(course))
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    nx.nbgrader(course, "export")
    return graded.stdout


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """The term, run as an instructor would (see the module doc); what it printed on the way."""
    base = tmp_path_factory.mktemp("sydney")
    names = [(s, s.title(), "Walker, Jr." if s == "ana" else "Term") for s in STUDENTS]
    starter = {"release/a1/basics.py": (nx.KIT / "starter" / "basics.py").read_text()}
    course = nx.make_course(base, [Q1, LAB, Q2, "a1"], names, SYDNEY, starter)
    _write(base / "course.toml", PLAN)
    _write(base / "roster.csv", ROSTER)
    _write(base / "extensions.csv", EXTENSIONS)
    seen = {"collect": {}}
    copies = _through_the_exchange(course)
    _tamper_and_forge(course, copies)
    for assignment in ("a1", Q1, LAB, Q2):
        seen["collect"][assignment] = nx.collect(course, assignment).stderr
    seen["modes"] = {
        str(p.relative_to(course)): p.stat().st_mode & 0o777
        for p in [
            course / "submitted",
            *(course / "submitted").rglob("*"),
            *(course / "keys").rglob("*"),
        ]
    }
    by_hand = course / "submitted" / "fay" / LAB  # fay's lab, placed in submitted/ by hand
    _write(by_hand / f"{LAB}.ipynb", lab(course, 9))
    seen["autograde"] = _autograde_and_export(base, course, Q1, LAB, Q2)
    _code_folders(base, course)
    _batch(base, "a1", _points("a1"))
    _batch(base, "a2", _points("a2", gus=6, **{"hana.k@uni.edu": 10}))
    assert (
        _course(base, "set-time", "gus", "a2", "2026-09-21T20:00", "--why", "upload receipt") == 0
    )
    seen["gus a2 report, set"] = (base / "grading" / "reports" / "a2" / "gus.html").read_text()
    _write(base / "subs" / "a2" / "gus" / "submission" / "regression.py", "# gus, again\n")
    _write(base / "subs" / "a2" / "gus" / "submission_metadata.json",
           json.dumps({"created_at": _iso(EVENTS[("gus", "a2")])}))  # fmt: skip
    assert _batch(base, "a2", _points("a2", **{"hana.k@uni.edu": 10})).graded == ["gus"]
    _batch(base, "a3", _points("a3"))
    _batch(base, "a4", _points("a4"))
    seen["before"] = {fmt: _grades(base, fmt, tag="-before") for fmt in ("csv", "canvas")}
    seen["extension running"] = _grades(base, "csv", "2026-10-05T00:00")
    for student, when, why in (
        ("fay", "2026-10-04T15:00", "placed by hand; the LMS upload receipt"),
        ("gus", "2026-10-05T21:00", "the exchange's record (his timestamp.txt was edited)"),
        ("hana", "2026-10-05T07:00", "written then (the copy's file times)"),
    ):
        assert _course(base, "set-time", student, LAB, when, "--why", why) == 0
    # dev's quiz 2: the entry nbgrader named dev+quiz2_backprop is dropped, the copy moved to
    # dev and graded; the upload under hana's login is dropped
    phantom = f"dev+{Q2}"
    assert _course(base, "drop", phantom, Q2, "--reason", "nbgrader misread dev's ISO time") == 0
    os.rename(course / "submitted" / phantom / Q2, course / "submitted" / "dev" / Q2)
    _autograde_and_export(base, course, Q2)
    assert _course(base, "drop", "hana.k@uni.edu", "a2", "--reason", "a second upload by hana") == 0
    seen["after"] = {fmt: _grades(base, fmt) for fmt in ("csv", "canvas", "moodle")}
    return {"base": base, "course": course, **seen}


def _kit_cells(term) -> dict:
    """What ``descent grades`` computes, per student: the raw score, penalty and final score of
    every item (read as the command reads them), and the course grade."""
    from descent.course import assignbook, coursegrade, lateness
    from descent.course import plan as plan_mod

    base = term["base"]
    plan = plan_mod.load(base / "course.toml")
    roster = coursegrade.read_roster(plan.roster)
    with Gradebook(base / "grading" / "gradebook.sqlite", writable=False) as book:
        inputs = coursegrade.Inputs(
            code={(g.student, g.assignment): g for g in assignbook.read(book)},
            labs=coursegrade.read_labs(plan, plan.nbgrader_grades, set(roster)),
            extensions=lateness.read_extensions(plan.extensions, plan, set(roster)),
            overrides=assignbook.overrides(book),
            roster=roster,
            dropped=assignbook.dropped(book),
        )
    return {g.student: g for g in coursegrade.compute(plan, inputs, None, z("2026-12-01 00:00"))}


def test_every_score_and_course_grade_is_the_table_by_hand(term):
    kit = _kit_cells(term)
    assert sorted(kit) == sorted(STUDENTS)  # the dropped entries are nobody's
    for student, row in BY_HAND.items():
        for item, expected in row.items():
            cell = kit[student].cells[item]
            if isinstance(expected, str):
                assert cell.status == expected, (student, item, cell)
            else:
                got = (cell.raw, cell.penalty, cell.points)
                assert got == pytest.approx(expected), (student, item, got, cell.flag)
        assert kit[student].total == pytest.approx(COURSE[student], abs=1e-4), student
    # what is left for the instructor: dev's a3 time, never given; gus's lapsed time on a2
    flags = {s: kit[s].flags for s in STUDENTS if kit[s].flags}
    assert sorted(flags) == ["dev", "gus"], flags
    assert flags["dev"] == ["a3: time unknown: not in manifest.csv"]
    (lapsed,) = flags["gus"]
    assert lapsed.startswith("a2: the time set by hand (2026-09-21T20:00:00+10:00, upload receipt")
    assert "was for an earlier submission: it lapsed" in lapsed
    plain = {r["student"]: r for r in _rows(term["after"]["csv"])}
    assert sorted(plain) == sorted(STUDENTS)
    for student, row in BY_HAND.items():
        assert float(plain[student]["course grade %"]) == pytest.approx(COURSE[student], abs=0.005)
        for item, expected in row.items():
            cell = plain[student][item]
            assert (
                cell == expected
                if isinstance(expected, str)
                else float(cell) == pytest.approx(expected[2], abs=0.005)
            ), (student, item, cell)


def test_the_lms_files_carry_the_roster_and_nobody_else(term):
    known = {f"{i}: {t}" for i, t in (("a1", "Gradient descent"), ("a2", "Regression"),
             ("a3", "Clipping"), ("a4", "Activations"), (Q1, "Quiz 1"), (LAB, "Lab 1"),
             (Q2, "Quiz 2"))}  # fmt: skip
    canvas = term["after"]["canvas"].read_text(encoding="utf-8-sig")
    assert canvas_problems(canvas, known) == []
    rows = _rows(term["after"]["canvas"], skip=1)
    assert [r["SIS User ID"] for r in rows] == list(STUDENTS)
    assert rows[0]["Student"] == "Walker, Jr., Ana" and rows[0]["SIS Login ID"] == "ana.k@uni.edu"
    assert {r["SIS User ID"]: r["a3: Clipping"] for r in rows}["eli"] == "EX"
    assert moodle_problems(term["after"]["moodle"].read_text(encoding="utf-8-sig")) == []
    # before the instructor dropped them, the two entries nobody on the roster owns were
    # graded and flagged, and written to no LMS file
    before = {r["student"]: r for r in _rows(term["before"]["csv"])}
    for stranger in (f"dev+{Q2}", "hana.k@uni.edu"):
        assert before[stranger]["attention"].startswith("not on the roster"), before[stranger]
    assert "'hana.k@uni.edu' is the sis_login_id of 'hana'" in before["hana.k@uni.edu"]["attention"]
    canvas_before = _rows(term["before"]["canvas"], skip=1)
    assert [r["SIS User ID"] for r in canvas_before] == list(STUDENTS)
    assert sum(r["SIS Login ID"] == "hana.k@uni.edu" for r in canvas_before) == 1


def test_nbgraders_times_are_read_as_nbgrader_wrote_them(term):
    """nbgrader's export holds AEDT clock time as if it were UTC (its parser does not know the
    abbreviation): 11:30 for ana's lab, handed in at 00:30 UTC. The kit reads the time from the
    collected timestamp.txt in nbgrader's zone; the times it could not trust were flagged with
    the reason until the instructor set them."""
    export = {
        (r["student_id"], r["assignment"]): r
        for r in _rows(term["course"] / "grades.csv")
        if r["assignment"] == LAB and "," not in r["last_name"]
    }
    assert export[("ben", LAB)]["timestamp"] == "2026-10-04 01:30:00"  # 15:30 UTC, as AEST
    assert (term["course"] / "submitted" / "ana" / LAB / "timestamp.txt").read_text() == (
        "2026-10-04 11:30:00.000000 AEDT"
    )
    before = {r["student"]: r["attention"] for r in _rows(term["before"]["csv"])}
    assert (
        f"{LAB}: counted from when it was written: submitted/hana/{LAB} claims 2026-10-04 11:00 AEDT, but its exchange copy was last written 2026-10-05 07:00 AEDT (the change time nbgrader collect read)"
        in before["hana"]
    )
    assert (
        f"{LAB}: time unknown: records disagree: submitted/gus/{LAB}/timestamp.txt says '2026-10-04 10:00:00.000000 AEDT', and no copy of gus's in the exchange was submitted then"
        in before["gus"]
    )
    assert f"{LAB}: time unknown: no timestamp.txt in submitted/fay/{LAB}" in before["fay"]
    assert before["dev"] == "a3: time unknown: not in manifest.csv"  # quiz 2 missing, not flagged
    assert "Collecting submission: dev+quiz2_backprop" in term["collect"][Q2]


def test_collected_work_and_keys_are_private_from_the_first_collect(term):
    modes = term["modes"]
    assert modes["submitted"] == 0o700 and modes[f"submitted/ana/{LAB}"] == 0o700
    assert modes[f"submitted/ana/{LAB}/timestamp.txt"] == 0o600
    assert modes[f"keys/{Q1}.json"] == 0o600
    assert all(not mode & 0o077 for mode in modes.values()), modes


def test_an_extension_still_running_is_said_so(term):
    early = {r["student"]: r for r in _rows(term["extension running"])}
    assert early["eli"][LAB] == "extension running (until 2026-10-07 12:00 AEDT)"
    assert early["eli"]["a3"] == "excused" and early["ben"]["a1"] == "32"


def test_the_report_follows_the_time_set_by_hand_and_its_lapse(term):
    set_page = term["gus a2 report, set"]
    assert "Submitted 2026-09-21 20:00 AEST (set by the instructor: upload receipt)." in set_page
    now = (term["base"] / "grading" / "reports" / "a2" / "gus.html").read_text()
    assert "Submitted 2026-10-10 23:00 AEDT (Gradescope metadata)." in now
    assert "it lapsed" in now and "a2: 0 / 60 points" in now


@pytest.mark.parametrize("zone", [None], ids=["default"])
def test_nbgraders_exchange_in_any_zone_it_allows(tmp_path, zone):
    """The real exchange with ``Exchange.timezone`` at nbgrader's default (UTC), instructor and
    students alike (the term above runs in Australia/Sydney), a submission on each side of
    Sydney's change: each read back as the moment it was made, and the later one 9 h 31 min
    late for a quiz due 23:59 AEST the night before. (Also passes with the POSIX TZ string
    ``AEST-10AEDT,M10.1.0,M4.1.0/3``, which nbgrader accepts and which writes AEST and AEDT;
    left out of the suite for time: ``test_nbrecords.py`` reads its stamps.)"""
    from descent.course import lateness, nbrecords
    from descent.course import plan as plan_mod

    course = nx.make_course(tmp_path, [Q1], [("ann", "Ann", "Doe"), ("ben", "Ben", "Doe")], zone)
    moments = {"ann": "2026-10-03T15:30:00+00:00", "ben": "2026-10-03T23:30:00+00:00"}
    config = nx.student_config(course, zone)
    nx.submit(
        course,
        [dict(student=s, assignment=Q1, at=at, config=config) for s, at in moments.items()],
    )
    nx.collect(course, Q1)
    stamps = {s: (course / "submitted" / s / Q1 / "timestamp.txt").read_text() for s in moments}
    if zone is None:
        assert stamps["ben"] == "2026-10-03 23:30:00.000000 UTC"
    else:
        assert stamps == {
            "ann": "2026-10-04 01:30:00.000000 AEST",
            "ben": "2026-10-04 10:30:00.000000 AEDT",
        }
    records = nbrecords.Records(course)
    got = {s: records.submitted(s, Q1, None).when for s in moments}
    assert {s: w.at for s, w in got.items()} == {
        s: datetime.fromisoformat(at) for s, at in moments.items()
    }, got
    due = RULES[Q1]["due"]
    policy = plan_mod.LatePolicy(penalty=3, per="hour", cap=50)
    late = lateness.penalty(policy, due, got["ben"].at)
    assert (late.late_by, late.percent) == (timedelta(hours=9, minutes=31), 30)


def test_a_failing_set_up_command_fails_with_nbgraders_own_message(tmp_path):
    """``nx.set_up`` runs a course's set-up commands in one process: the first that fails
    stops the rest and names itself with nbgrader's own error."""
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(nx.LABS / "nbgrader_config.py", course)
    with pytest.raises(AssertionError) as failed:
        nx.set_up(course, ["generate_assignment", "nosuch", "--create"], ["db", "student", "list"])
    message = str(failed.value)
    assert message.startswith("nbgrader generate_assignment nosuch --create failed")
    assert "No notebooks were matched" in message
    assert "db student list" not in message  # the rest never ran
