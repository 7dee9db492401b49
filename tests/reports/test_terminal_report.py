"""The terminal report prints what a submission chose (its folder's name, its messages) as text:
markup in a name neither restyles the report nor crashes it."""

from __future__ import annotations

import pytest
from rich.console import Console

from descent.reports import terminal_report as report

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

NAME = "sub[/red][bold]"  # an unbalanced closing tag: rich raises MarkupError on it as markup


def _results() -> dict:
    exercise = {
        "id": "losses.mse",
        "status": "failed",
        "first_failure": "[/blink]wrong",
        "misconceptions": [],
        "points": 0.0,
        "max_points": 10.0,
    }
    return {
        "implementations": [
            {"name": NAME, "exercises": [exercise], "points": 0.0, "max_points": 10.0}
        ],
        "tests": [
            {
                "implementation": NAME,
                "exercise": "losses.mse",
                "counted": False,
                "points": 0.0,
                "max_points": 1.0,
                "message": "[/i]skipped",
                "name": "t",
                "outcome": "skipped",
            }
        ],
        "environment": {"isolation": "worker"},
        "devices": ["cpu"],
        "duration_s": 1.0,
    }


def test_a_submission_named_like_markup_is_printed_as_text():
    console = Console(record=True, width=200, force_terminal=False)
    report.render(_results(), console)
    shown = console.export_text()
    assert f"Descent: {NAME}" in shown and "[/blink]wrong" in shown and "[/i]skipped" in shown


def test_with_descent_generic_only_the_table_leaves_the_catalogue_name_out(monkeypatch):
    doc = _results()
    doc["implementations"][0]["exercises"][0]["misconceptions"] = ["mse_sum_not_mean"]
    console = Console(record=True, width=200, force_terminal=False)
    report.render(doc, console)
    assert "(likely: mse_sum_not_mean)" in console.export_text()
    monkeypatch.setenv("DESCENT_GENERIC_ONLY", "1")
    console = Console(record=True, width=200, force_terminal=False)
    report.render(doc, console)
    assert "mse_sum_not_mean" not in console.export_text()


def test_the_files_not_graded_are_listed_with_the_reason():
    """A student's file that was not graded said nothing in the report (issue 55): refused ones
    first, then the ignored ones, but not the bundle's own __init__.py and caches."""
    doc = _results()
    doc["implementations"][0]["intake"] = {
        "taken": ["losses.py", "_util.py"],
        "refused": [{"path": "torch.py", "reason": "would shadow the `torch` module"}],
        "ignored": [
            {"path": "__init__.py", "reason": "a pytest or interpreter start-up file"},
            {"path": "__pycache__/", "reason": "a pytest or interpreter start-up file"},
            {"path": "scratch.py", "reason": "not imported by any exercise module"},
        ],
    }
    console = Console(record=True, width=300, force_terminal=False)
    report.render(doc, console)
    shown = console.export_text()
    assert (
        "files not graded: torch.py (refused: would shadow the `torch` module); scratch.py "
        "(not imported by any exercise module)" in shown
    )
    assert "__init__.py" not in shown


def _written(detail: bool) -> str:
    """The table of a write-the-tests exercise whose tests miss two hidden mistakes."""
    misses = {
        "mse_mean_over_rows": "[written tests] no test of yours catches code that divides by rows",
        "mse_grad_no_2": "[written tests] no test of yours catches code that drops the 2",
    }
    block = {
        "name": "ada",
        "points": 6.0,
        "max_points": 10.0,
        "exercises": [
            {
                "id": "losses.mse.tests",
                "status": "partial",
                "first_failure": misses["mse_mean_over_rows"],
                "misconceptions": [],
                "points": 6.0,
                "max_points": 10.0,
            }
        ],
    }
    tests = [
        {
            "implementation": "ada",
            "exercise": "losses.mse.tests",
            "counted": True,
            "points": 0.0,
            "max_points": 2.0,
            "message": message,
            "name": f"test_written_tests[losses.mse.tests-chaff-{chaff}]",
            "outcome": "failed",
        }
        for chaff, message in misses.items()
    ]
    console = Console(width=200, record=True)
    console.print(report.exercise_table(block, tests, detail=detail))
    return console.export_text()


def test_every_mistake_a_students_tests_miss_is_listed_and_no_hidden_id():
    for detail in (False, True):
        text = _written(detail)
        assert "divides by rows" in text and "drops the 2" in text, text
        assert "mse_mean_over_rows" not in text and "chaff" not in text, text
    assert _written(False).count("divides by rows") == 1  # the first problem, once
