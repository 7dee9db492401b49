"""End to end: the real nbgrader command line on a temporary copy of the course in labs/.

One course is built for the whole module: every assignment is generated and released, students are
added (those two commands in one process, ``nbexchange.set_up``), submissions are placed in
submitted/, then ``nbgrader autograde``, ``generate_feedback`` and ``export`` run once, each as
its own command. The students:

* ``ace``      every answer right (quizzes from the key, labs from the source solutions); in lab 1
               its code also writes to stderr three ways, which must not cost a point;
* ``blank``    the released notebooks untouched: every autograded cell must score 0;
* ``partial``  (quiz 1, lab 1) some parts right, one answer cell that raises;
* ``tamper``   (quiz 1, lab 1) all right, but one test cell deleted and another edited;
* ``broken``   (quiz 1, lab 1) a file that is not valid JSON.
"""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from course import nbexchange as nx  # tests/course: a package beside this one

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader")

from descent.labs import instructor  # noqa: E402

LABS = Path(__file__).resolve().parents[2] / "labs"
ASSIGNMENTS = sorted(p.name for p in (LABS / "source").iterdir() if p.is_dir())
QUIZZES = sorted(p.stem for p in (LABS / "keys").glob("*.json") if not p.stem.startswith("lab"))
SPECIAL = ("quiz1_loss", "lab1_loss_consultant")  # the assignments with the odd submissions
NBGRADER = instructor.nbgrader_command()[0]  # nbgrader as `descent labs` runs it


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [*NBGRADER, *args],
        cwd=course,
        env=nx.environment(course),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and run.returncode:
        raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{run.stderr[-3000:]}")
    return run


def points(nb) -> tuple[float, float]:
    """(autograded points, manually graded points) of a source notebook."""
    auto = manual = 0.0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            if meta.get("solution"):
                manual += meta["points"]
            else:
                auto += meta["points"]
    return auto, manual


def source(assignment: str):
    return nbformat.read(LABS / "source" / assignment / f"{assignment}.ipynb", as_version=4)


def key(assignment: str) -> dict:
    return json.loads((LABS / "keys" / f"{assignment}.json").read_text())["questions"]


def cell(nb, grade_id: str):
    """The cell with this nbgrader grade id, or else this cell id (quiz answers)."""
    return next(
        c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade_id", c.get("id")) == grade_id
    )


def answered(nb, answers: dict[str, object]):
    for qid, value in answers.items():
        cell(nb, f"{qid}_answer").source = f"{qid} = {value!r}"
    return nb


def quiz_answers(assignment: str, wrong=()) -> dict[str, object]:
    out = {}
    for qid, entry in key(assignment).items():
        right = entry["answer"]
        out[qid] = (
            ("ABCD".replace(right, "")[0] if qid in wrong else right)
            if entry["kind"] == "choice"
            else (right + 1 if qid in wrong else right)
        )
    return out


NOISE = """
import os as _os, sys as _sys, warnings as _warnings
_quiet_positive_rate = positive_rate
def positive_rate(y):
    _warnings.warn("a warning raised by student code", UserWarning)
    print("a line on sys.stderr", file=_sys.stderr)
    _os.write(2, b"bytes written straight to file descriptor 2\\n")
    return _quiet_positive_rate(y)
"""


def lab1_partial(nb):
    """Task 1 returns a tensor (1 of 2), focal ignores alpha (2 of 3), recall ignores its
    threshold (1 of 2), task 4 intact (2 of 2): 6 of 9."""
    c = cell(nb, "task1_answer")
    c.source = c.source.replace(
        "return float((y == 1).sum()) / len(y)", "return (y == 1).sum() / len(y)"
    )
    c = cell(nb, "task2_answer")
    c.source = c.source.replace("if alpha is not None:", "if False:")
    c = cell(nb, "task3_answer")
    c.source = c.source.replace("(probs[positives] >= threshold)", "(probs[positives] >= 0.5)")
    return nb


def tampered(nb, delete: str, edit: str):
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != delete]
    cell(nb, edit).source = "print('all tests passed')"
    return nb


def solved(release: Path, a: str):
    """The released notebook with every answer cell taken from the source (the solutions)."""
    nb = nbformat.read(release / a / f"{a}.ipynb", as_version=4)
    if a in QUIZZES:
        return answered(nb, quiz_answers(a))
    # a student's answer, not the source's cell: without the source-only solution markers (a
    # notebook whose solution cells are the source's, markers and all, is refused as a copy)
    solutions = {
        c.metadata.nbgrader["grade_id"]: "\n".join(
            line
            for line in c.source.splitlines()
            if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
        )
        for c in source(a).cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid in solutions:
            c.source = solutions[gid]
    return nb


def submissions(release: Path) -> dict[str, dict[str, object]]:
    """{student: {assignment: notebook, raw text, or None for the untouched release}}."""
    subs: dict[str, dict[str, object]] = {
        "ace": {},
        "blank": {},
        "partial": {},
        "tamper": {},
        "broken": {},
    }
    for a in ASSIGNMENTS:
        subs["blank"][a] = None
        subs["ace"][a] = solved(release, a)
    cell(subs["ace"]["lab1_loss_consultant"], "task1_answer").source += "\n" + NOISE
    # quiz 1: q2's answer cell raises, q4 is wrong, the rest right: 3 of 5
    partial = answered(solved(release, "quiz1_loss"), quiz_answers("quiz1_loss", wrong={"q4"}))
    cell(partial, "q2_answer").source = "q2 = undefined_name  # raises NameError"
    subs["partial"]["quiz1_loss"] = partial
    subs["partial"]["lab1_loss_consultant"] = lab1_partial(solved(release, "lab1_loss_consultant"))
    subs["tamper"]["quiz1_loss"] = tampered(solved(release, "quiz1_loss"), "q2_test", "q1_test")
    subs["tamper"]["lab1_loss_consultant"] = tampered(
        solved(release, "lab1_loss_consultant"), "task2_test", "task3_test"
    )
    for a in SPECIAL:
        subs["broken"][a] = '{"cells": [ this is not json'
    return subs


def expected_scores() -> dict[tuple[str, str], float]:
    exp = {}
    for a in ASSIGNMENTS:
        auto, _ = points(source(a))
        exp[("ace", a)] = auto
        exp[("blank", a)] = 0.0
    exp.update(
        {
            ("partial", "quiz1_loss"): 3.0,
            ("tamper", "quiz1_loss"): 4.0,
            ("broken", "quiz1_loss"): 0.0,
            ("partial", "lab1_loss_consultant"): 6.0,
            ("tamper", "lab1_loss_consultant"): points(source("lab1_loss_consultant"))[0] - 3,
            ("broken", "lab1_loss_consultant"): 0.0,
        }
    )
    return exp


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    shutil.copy(LABS / "nbgrader_config.py", root)
    shutil.copytree(LABS / "source", root / "source")
    shutil.copytree(LABS / "keys", root / "keys")
    shutil.copytree(LABS / "graders", root / "graders")
    students = root / "students.csv"
    students.write_text(
        "id,first_name,last_name\n"
        + "".join(
            f"{s},{s.title()},Student\n" for s in ("ace", "blank", "partial", "tamper", "broken")
        )
    )
    nx.gradebook(root)
    enrol = ["db", "student", "import", "students.csv"]
    nx.set_up(root, ["generate_assignment", "*", "--create"], enrol, env=nx.environment(root))
    for student, per in submissions(root / "release").items():
        for a, nb in per.items():
            folder = root / "submitted" / student / a
            folder.mkdir(parents=True)
            dest = folder / f"{a}.ipynb"
            if nb is None:
                shutil.copy(root / "release" / a / f"{a}.ipynb", dest)
            elif isinstance(nb, str):
                dest.write_text(nb)
            else:
                nbformat.write(nb, dest)
    autograde = nbgrader(root, "autograde", "*", check=False)
    feedback = nbgrader(root, "generate_feedback", "*", check=False)
    nbgrader(root, "export")
    with open(root / "grades.csv", newline="") as handle:
        grades = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(handle)}
    return {"root": root, "autograde": autograde, "feedback": feedback, "grades": grades}


def test_every_score(course):
    grades = course["grades"]
    for (student, a), want in expected_scores().items():
        row = grades[(student, a)]
        auto, manual = points(source(a))
        assert float(row["max_score"]) == auto + manual, (student, a)
        assert float(row["score"]) == pytest.approx(want), (student, a, row["score"])


def test_released_notebooks_fail_every_autograded_test(course):
    """nbgrader's `validate --invert` idea: the untouched release earns nothing anywhere."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course['root'] / 'gradebook.db'}") as gb:
        for a in ASSIGNMENTS:
            grades = gb.find_submission(a, "blank").notebooks[0].grades
            tests = [g for g in grades if g.cell.cell_type == "code"]
            assert len(tests) == sum(
                1
                for c in source(a).cells
                if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
            ), a
            for g in tests:
                assert g.auto_score == 0, (a, g.name, g.auto_score)


def test_the_run_survives_bad_submissions_with_a_clear_report(course, capsys):
    run = course["autograde"]
    assert run.returncode != 0  # nbgrader says something went wrong...
    for a in SPECIAL:
        assert f"There was an error processing assignment '{a}' for student 'broken'" in run.stderr
    assert "for student 'ace'" not in run.stderr  # ...but only for the broken file
    from rich.console import Console

    console = Console(width=200, force_terminal=False)
    found = instructor.report(course["root"], list(SPECIAL), console=console)
    text = capsys.readouterr().out
    for a in SPECIAL:
        assert any("not a valid notebook" in p for p in found[a]["broken"]), found[a]
        assert found[a]["ace"] == [] and found[a]["blank"] == [] and found[a]["partial"] == []
    assert "deleted locked cells q2_test" in " ".join(found["quiz1_loss"]["tamper"])
    assert "edited locked cells q1_test;" in " ".join(found["quiz1_loss"]["tamper"])
    assert "deleted locked cells task2_test" in " ".join(found["lab1_loss_consultant"]["tamper"])
    assert "failed" in text and "not a valid notebook" in text


def _feedback(course, student, a) -> str:
    path = course["root"] / "feedback" / student / a / f"{a}.html"
    return html.unescape(re.sub(r"<[^>]+>", " ", path.read_text()))


def test_stderr_does_not_zero_a_cell(course):
    """The ace's lab 1 code warns and writes to stderr inside a graded cell; it keeps full marks."""
    row = course["grades"][("ace", "lab1_loss_consultant")]
    assert float(row["score"]) == points(source("lab1_loss_consultant"))[0]
    graded = nbformat.read(
        course["root"]
        / "autograded"
        / "ace"
        / "lab1_loss_consultant"
        / "lab1_loss_consultant.ipynb",
        as_version=4,
    )
    for c in graded.cells:
        if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code":
            assert not [o for o in c.outputs if o.get("name") == "stderr"], c.metadata.nbgrader
            assert not [o for o in c.outputs if o.output_type == "error"], c.metadata.nbgrader


def test_partial_credit_and_feedback_explain(course):
    text = _feedback(course, "partial", "lab1_loss_consultant")
    assert "1 of 2 points" in text and "2 of 3 points" in text  # tasks 1 and 2
    quiz = _feedback(course, "partial", "quiz1_loss")
    assert "NameError" in quiz and "not this one" in quiz and "correct." in quiz


def test_answer_keys_are_not_readable(course):
    """Neither the released quizzes nor the feedback of a student who missed a question show
    the key: no right-answer explanation, no 'qN = <key>' line, no key entry."""
    root = course["root"]
    for a in QUIZZES:
        released = (root / "release" / a / f"{a}.ipynb").read_text()
        missed = {"blank": set(key(a))}
        if a == "quiz1_loss":
            missed["partial"] = {"q2", "q4"}
        texts = {"release": (released, set(key(a)))}
        texts.update({s: (_feedback(course, s, a), qs) for s, qs in missed.items()})
        assert "grade_choice" not in released and "BEGIN HIDDEN" not in released
        for where, (text, questions) in texts.items():
            for qid in questions:
                entry = key(a)[qid]
                assert entry["right"][:60] not in text, (a, where, qid)
                assert not re.search(
                    rf"\b{qid}\s*=\s*['\"]?{re.escape(str(entry['answer']))}\b", text
                ), (a, where, qid)
                assert f'"answer": "{entry["answer"]}"' not in text
    # the same searches do find the explanations where they belong (the checks have teeth)
    q1 = key("quiz1_loss")["q1"]
    assert q1["right"][:60] in _feedback(course, "ace", "quiz1_loss")
    assert key("quiz1_loss")["q4"]["wrong"][:60] in _feedback(course, "partial", "quiz1_loss")
    # the key files never travel with an assignment
    assert not list((root / "release").rglob("*.json"))
    assert not list((root / "feedback").rglob("*.json"))


def test_feedback_exists_for_every_graded_submission(course):
    root = course["root"]
    for (student, a), _ in expected_scores().items():
        if student == "broken":
            continue
        assert (root / "feedback" / student / a / f"{a}.html").is_file(), (student, a)


def test_release_strips_solutions_rubrics_and_hidden_tests(course):
    for a in ASSIGNMENTS:
        released = (course["root"] / "release" / a / f"{a}.ipynb").read_text()
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "Rubric", "grade_choice"):
            assert marker not in released, (a, marker)
        if a.startswith("lab"):
            assert "raise NotImplementedError()" in released and "YOUR ANSWER HERE" in released
