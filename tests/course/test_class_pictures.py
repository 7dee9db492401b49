"""Pictures of a class's common mistakes (``descent.course.class_pictures``), from a gradebook
filled with known results (no grading): a mistake two students made is drawn once, one that a
single student made is not, and ``descent report --class`` writes and lists the picture."""

from __future__ import annotations

import pytest

from descent.commands.report import _class_report
from descent.course import class_pictures
from descent.course.gradebook import Gradebook

from .test_handback import _outcome

WARMUP = "schedules.warmup_cosine_lr"


def _picture(shift: float) -> dict:
    return {
        "kind": "line",
        "student": [0.0 + shift, 0.25, 0.5, 0.75, 1.0],
        "expected": [0.25, None, None, None, None],
        "wrong": [0, 1, 2, 3],
        "hidden": True,
    }


def _failed(student: str, mistake: str, shift: float) -> dict:
    return {
        "nodeid": f"graders/test_schedules.py::TestWarmupCosineLR::test_against_torch[{mistake}]",
        "implementation": student,
        "exercise": WARMUP,
        "name": "TestWarmupCosineLR::test_against_torch[cpu-floor]",
        "outcome": "failed",
        "points": 0.0,
        "max_points": 2.0,
        "counted": True,
        "message": "[reference value] warmup_cosine_lr ...[0]: expected 0.25, got 0",
        "misconception": mistake,
        "duration_s": 0.1,
        "picture": _picture(shift),
    }


@pytest.fixture
def book_path(tmp_path):
    """ada and bo start their warmup at zero, cy forgets to shift the cosine, dee passes."""
    mistakes = {"ada": "warmup_starts_at_zero", "bo": "warmup_starts_at_zero", "cy": "not_shifted"}
    path = tmp_path / "gradebook.sqlite"
    with Gradebook(path) as book:
        for k, student in enumerate(["ada", "bo", "cy", "dee"]):
            failed = student in mistakes
            outcome = _outcome(
                student,
                {WARMUP: (5.0 if failed else 10.0, "partial" if failed else "passed", [])},
            )
            if failed:
                outcome.results["tests"] = [_failed(student, mistakes[student], k / 10)]
            book.record(outcome, source=student, submitted=1.0, superseded=[])
    return path


def test_a_mistake_of_two_students_is_common_one_of_a_single_student_is_not(book_path):
    with Gradebook(book_path, writable=False) as book:
        found = class_pictures.common(book, book.current())
    assert [(c.exercise, c.mistake, c.students) for c in found] == [
        (WARMUP, "warmup_starts_at_zero", 2)
    ]
    assert found[0].test["picture"]["student"][0] == 0.0  # the first student's, ada's


def test_the_class_report_writes_the_common_mistake_picture(book_path, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    charts = tmp_path / "charts"
    assert _class_report(str(book_path), str(charts)) == 0
    drawn = sorted(p.name for p in charts.glob("mistake_*.png"))
    assert drawn == [f"mistake_{WARMUP}_warmup_starts_at_zero.png"]
    assert (charts / drawn[0]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert drawn[0] in capsys.readouterr().out.replace("\n", "")


def test_the_batch_summary_writes_them_beside_the_reports_and_says_where(book_path, tmp_path):
    pytest.importorskip("matplotlib")
    from types import SimpleNamespace

    from rich.console import Console

    from descent.course import batch

    console = Console(record=True, width=200)
    opts = SimpleNamespace(reports=True, out=tmp_path / "grading")
    listing = SimpleNamespace(students=["ada", "bo", "cy", "dee"])
    with Gradebook(book_path, writable=False) as book:
        batch._common_mistakes(opts, book, listing, console)
        batch._common_mistakes(
            SimpleNamespace(reports=False, out=tmp_path / "none"), book, listing, console
        )
    assert [p.name for p in (tmp_path / "grading" / "class-report").iterdir()] == [
        f"mistake_{WARMUP}_warmup_starts_at_zero.png"
    ]
    assert "pictures of 1 common mistake(s)" in console.export_text()
    assert not (tmp_path / "none").exists()  # --no-reports: no pictures either
