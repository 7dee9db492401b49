"""The class report and the exports, from a gradebook filled with known results (no grading)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from descent.course import analytics, handback
from descent.course import merge as nbgradebook
from descent.course.gradebook import Gradebook
from descent.course.runner import Outcome

from .conftest import KIT, env

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


def test_per_exercise_mean_pass_rate_and_named_mistakes_with_student_counts(book_path):
    with Gradebook(book_path, writable=False) as book:
        stats = analytics.compute(book)
    assert (stats.students, stats.graded) == (4, 3)
    mse, kl = stats.exercises
    assert mse.id == "losses.mse" and mse.mean_points == pytest.approx(20 / 3)
    assert mse.pass_rate == pytest.approx(1 / 3) and mse.misconceptions == [("mse_sum", 2)]
    assert kl.misconceptions[0] == ("kl_nan_at_zero_target", 2)
    assert ("kl_wrong_direction", 1) in kl.misconceptions
    assert sorted(stats.totals) == pytest.approx([25.0, 45.0, 100.0])


def test_the_class_report_command_prints_the_table_and_writes_the_charts(book_path, tmp_path):
    pytest.importorskip("matplotlib")
    charts = tmp_path / "charts"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "descent",
            "report",
            "--class",
            str(book_path),
            "--charts",
            str(charts),
        ],
        cwd=KIT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "mse_sum (2)" in proc.stdout and "33%" in proc.stdout
    for name in ("points_histogram.png", "pass_rate.png"):
        assert (charts / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((charts / "class.json").read_text())["graded"] == 3


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
