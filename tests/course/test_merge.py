"""``descent gradebook merge`` (``descent.course.merge``): the course gradebook from the labs'
export and the code assignments' results, weighted (the rubrics of the labs are tested with the
notebooks, in tests/labs/test_labs_build.py: listing them loads nbgrader)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from descent import commands as cli
from descent.course import merge as gradebook
from descent.results import SCHEMA

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

LABS = Path(__file__).resolve().parents[2] / "labs"
HEADER = (
    "assignment,duedate,timestamp,student_id,last_name,first_name,email,raw_score,"
    "late_submission_penalty,score,max_score\n"
)


def grades_csv(path: Path, rows) -> Path:
    """nbgrader's export: ``(assignment, student, points, max)`` rows; points ``None`` is a
    student who did not submit (no timestamp, 0 points)."""
    stamp = "2026-11-02 09:30:00.000000 UTC"
    path.write_text(
        HEADER
        + "".join(
            f"{a},,{'' if p is None else stamp},{s},,,,{p or 0},0.0,{p or 0},{m}\n"
            for a, s, p, m in rows
        )
    )
    return path


def results_file(folder: Path, student: str, points: float, max_points: float) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{student}.json").write_text(
        json.dumps(
            {
                "schema": SCHEMA,
                "suite": "graders",
                "implementations": [
                    {
                        "name": student,
                        "kind": "folder",
                        "points": points,
                        "max_points": max_points,
                        "exercises": [],
                    }
                ],
                "tests": [],
            }
        )
    )


@pytest.fixture
def inputs(tmp_path):
    grades = grades_csv(
        tmp_path / "grades.csv",
        [
            ("lab1_loss_consultant", "ann", 15, 19),
            ("lab2_backprop_debugger", "ann", 20, 20),
            ("quiz1_loss", "ann", 5, 5),
            ("module_test", "ann", 12, 15),
            ("lab1_loss_consultant", "bo", 0, 19),
            ("lab2_backprop_debugger", "bo", 10, 20),
            ("quiz1_loss", "bo", 2, 5),
            ("module_test", "bo", 11, 15),
        ],
    )
    code = tmp_path / "code"
    results_file(code, "ann", 40, 50)
    results_file(code, "cy", 25, 50)  # in the code results only
    (code / "bo.json").write_text("{not json")
    return grades, code


def read(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def test_merge_weights_components(inputs, tmp_path, capsys):
    grades, code = inputs
    out = tmp_path / "merged.csv"
    assert (
        cli.main(
            [
                "gradebook",
                "merge",
                "--grades",
                str(grades),
                "--code",
                str(code),
                "--component",
                "labs=lab*",
                "--component",
                "quizzes=quiz*",
                "--weight",
                "code=0.5",
                "--weight",
                "labs=0.3",
                "--weight",
                "quizzes=0.2",
                "--pass",
                "module_test=0.8",
                "--out",
                str(out),
                "--per-student",
                str(tmp_path / "each"),
            ]
        )
        == 0
    )
    rows = read(out)
    ann = rows["ann"]
    assert float(ann["labs_points"]) == 35 and float(ann["labs_max"]) == 39
    assert float(ann["code_percent"]) == 80.0 and float(ann["quizzes_percent"]) == 100.0
    want = 0.5 * 80 + 0.3 * 100 * 35 / 39 + 0.2 * 100
    assert float(ann["total_percent"]) == pytest.approx(want, abs=0.01)
    assert ann["module_test_passed"] == "yes" and rows["bo"]["module_test_passed"] == "no"
    # a broken results file and a student missing from nbgrader both count as zeros, with notes
    assert float(rows["bo"]["code_points"]) == 0 and float(rows["bo"]["code_max"]) == 50
    assert float(rows["cy"]["labs_points"]) == 0 and float(rows["cy"]["labs_max"]) == 39
    assert float(rows["cy"]["code_percent"]) == 50
    text = capsys.readouterr().out
    assert "bo.json: unreadable results file" in text and "module_test" in text  # weight 0
    each = (tmp_path / "each" / "ann.csv").read_text()
    assert each.startswith("component,points,max_points,percent,weight") and "total" in each


def test_merge_equal_weights_by_default(inputs):
    grades, code = inputs
    columns, rows, _ = gradebook.merge(
        gradebook.read_nbgrader_grades(grades)[0], gradebook.read_code_results(code)[0]
    )
    assert "lab1_loss_consultant_percent" in columns and "code_percent" in columns
    ann = next(r for r in rows if r["student_id"] == "ann")
    parts = [ann[c] for c in columns if c.endswith("_percent") and c != "total_percent"]
    assert ann["total_percent"] == pytest.approx(sum(parts) / len(parts), abs=0.01)


def test_an_assignment_nobody_submitted_is_left_out_unless_kept(tmp_path, capsys):
    # nbgrader exports every assignment in its database, released or not, with 0 points for
    # each student who has no submission
    grades = grades_csv(
        tmp_path / "grades.csv",
        [
            ("quiz1_loss", "ann", 5, 5),
            ("quiz1_loss", "bo", None, 5),
            ("quiz2_backprop", "ann", None, 5),
            ("quiz2_backprop", "bo", None, 5),
        ],
    )
    out = tmp_path / "merged.csv"
    assert cli.main(["gradebook", "merge", "--grades", str(grades), "--out", str(out)]) == 0
    ann, bo = read(out)["ann"], read(out)["bo"]
    assert "quiz2_backprop_percent" not in ann and float(ann["total_percent"]) == 100
    assert float(bo["quiz1_loss_points"]) == 0 and float(bo["total_percent"]) == 0
    assert "quiz2_backprop: nobody submitted it" in capsys.readouterr().out
    assert (
        cli.main(
            [
                "gradebook",
                "merge",
                "--grades",
                str(grades),
                "--out",
                str(out),
                "--keep",
                "quiz2_backprop",
            ]
        )
        == 0
    )
    assert float(read(out)["ann"]["total_percent"]) == 50


def _said(capsys) -> str:
    return " ".join(capsys.readouterr().out.split())


def test_merge_rejects_unknown_weight_and_bad_csv(inputs, tmp_path, capsys):
    grades, code = inputs
    assert (
        cli.main(
            [
                "gradebook",
                "merge",
                "--grades",
                str(grades),
                "--weight",
                "labz=1",
                "--out",
                str(tmp_path / "x.csv"),
            ]
        )
        == 2
    )
    assert "descent gradebook: --weight labz: no such component" in _said(capsys)
    bad = tmp_path / "bad.csv"
    bad.write_text("name,points\nann,3\n")
    assert (
        cli.main(["gradebook", "merge", "--grades", str(bad), "--out", str(tmp_path / "x.csv")])
        == 2
    )
    assert "is not an nbgrader export" in _said(capsys)


@pytest.mark.parametrize("score,top", [(25, 19), (-1, 19), ("nan", 19), (5, "inf"), ("x", 19)])
def test_merge_refuses_points_outside_zero_to_max_in_the_export(tmp_path, capsys, score, top):
    grades = grades_csv(
        tmp_path / "grades.csv", [("quiz1_loss", "ann", 5, 5), ("quiz1_loss", "eve", score, top)]
    )
    assert (
        cli.main(["gradebook", "merge", "--grades", str(grades), "--out", str(tmp_path / "x.csv")])
        == 2
    )
    assert re.search("'eve'.*(not within|not numbers)", _said(capsys))


@pytest.mark.parametrize("points,top", [(60, 50), (-5, 50), (float("nan"), 50)])
def test_merge_counts_a_results_file_with_impossible_points_as_missing(
    tmp_path, capsys, points, top
):
    grades = grades_csv(tmp_path / "grades.csv", [("quiz1_loss", "eve", 5, 5)])
    code = tmp_path / "code"
    results_file(code, "eve", points, top)
    out = tmp_path / "merged.csv"
    assert (
        cli.main(
            ["gradebook", "merge", "--grades", str(grades), "--code", str(code), "--out", str(out)]
        )
        == 0
    )
    assert "eve.json: unreadable results file" in capsys.readouterr().out
    with open(out, newline="") as handle:
        assert float(next(csv.DictReader(handle))["code_points"]) == 0
