"""The exports of a class gradebook (``descent.course.handback``), from a gradebook filled with
known results (no grading): the CSV, the results files that merge with nbgrader's grades, and the
feedback folder, each student's page and their view of the results. (The class report from the
same gradebook: test_analytics.py.)"""

from __future__ import annotations

import csv
import io
import json

import pytest

from descent.course import handback
from descent.course import merge as nbgradebook
from descent.course.gradebook import Gradebook
from descent.course.runner import Outcome

# student -> {exercise: (points, status, misconceptions)}
CLASS = {
    "ada": {"losses.mse": (10, "passed", []), "losses.kl_div": (10, "passed", [])},
    "bo": {
        "losses.mse": (5, "partial", ["mse_sum"]),
        "losses.kl_div": (0, "failed", ["kl_nan_at_zero_target", "kl_wrong_direction"]),
    },
    "cy": {
        "losses.mse": (5, "partial", ["mse_sum"]),
        "losses.kl_div": (4, "partial", ["kl_nan_at_zero_target"]),
    },
}


def _outcome(student, exercises):
    blocks = [
        {
            "id": ex,
            "title": ex,
            "points": float(p),
            "max_points": 10.0,
            "status": s,
            "first_failure": "" if s == "passed" else "x",
            "misconceptions": m,
        }
        for ex, (p, s, m) in exercises.items()
    ]
    doc = {
        "schema": "descent.results/1",
        "duration_s": 1.0,
        "devices": ["cpu"],
        "environment": {"isolation": "worker", "isolation_details": {"probe": "secret"}},
        "tests": [],
        "implementations": [
            {
                "name": student,
                "kind": "folder",
                "points": sum(b["points"] for b in blocks),
                "max_points": 20.0,
                "exercises": blocks,
                "worker_requests": 5,
                "intake": {
                    "source": f"/home/teacher/subs/{student}",
                    "folder": "/tmp/x",
                    "taken": ["losses.py"],
                    "ignored": [],
                    "refused": [],
                },
            }
        ],
    }
    return Outcome(
        student, f"/subs/{student}", "graded", results=doc, content_hash=student, version="v1"
    )


@pytest.fixture
def book_path(tmp_path):
    path = tmp_path / "gradebook.sqlite"
    with Gradebook(path) as book:
        for student, exercises in CLASS.items():
            book.record(_outcome(student, exercises), source=student, submitted=1.0, superseded=[])
        book.record(
            Outcome(
                "dee", "/subs/dee", "timed_out", message="too slow", content_hash="d", version="v1"
            ),
            source="dee",
            submitted=1.0,
            superseded=[],
        )
    return path


def test_csv_export_has_one_row_per_student_and_merges_with_nbgrader(book_path, tmp_path):
    with Gradebook(book_path, writable=False) as book:
        rows = list(csv.DictReader(io.StringIO(handback.to_csv(book))))
        handback.write_results(book, tmp_path / "results")
    assert [r["student"] for r in rows] == ["ada", "bo", "cy", "dee"]
    assert rows[1]["points"] == "5.0" and rows[3]["points"] == "0.0"
    assert rows[3]["max_points"] == "20.0"  # a timed-out student counts 0 of the maximum
    code, problems = nbgradebook.read_code_results(tmp_path / "results")
    assert not problems and code["bo"] == (5.0, 20.0)
    grades = {("bo", "lab1"): (8.0, 10.0), ("ada", "lab1"): (10.0, 10.0)}
    columns, merged, _ = nbgradebook.merge(grades, code)
    bo = next(r for r in merged if r["student_id"] == "bo")
    assert bo["code_points"] == 5.0 and bo["lab1_points"] == 8.0


def test_feedback_export_is_the_page_and_the_students_view_of_the_results(book_path, tmp_path):
    with Gradebook(book_path, writable=False) as book:
        handback.write_feedback(book, tmp_path / "feedback")
    page = (tmp_path / "feedback" / "bo" / "report.html").read_text()
    assert "5 / 20 points" in page
    doc = json.loads((tmp_path / "feedback" / "bo" / "results.json").read_text())
    assert "isolation_details" not in doc["environment"]
    block = doc["implementations"][0]
    assert "worker_requests" not in block and block["intake"]["source"] == "bo"
    assert "folder" not in block["intake"]
    assert "timed out" in (tmp_path / "feedback" / "dee" / "report.html").read_text()


def test_the_student_view_names_no_hidden_chaff_nor_its_weight():
    from .test_html_report import _written_doc

    view = handback.student_view(_written_doc())
    (check,) = view["tests"]
    assert check["name"] == "a mistake no test of yours catches"
    assert check["points"] is None and check["max_points"] is None
    assert "mse_mean_over_rows" not in json.dumps(view) and "chaff" not in json.dumps(view)
