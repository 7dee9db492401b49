"""The student's progress view (``descent.grading.progress``, shown by ``descent check``): points
per topic in the registry's order, and the next exercise to do, one already started first."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from descent.grading import progress

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _ex(ex_id, status, points, most=10.0, failure=""):
    return {"id": ex_id, "status": status, "points": points, "max_points": most,
            "first_failure": failure}  # fmt: skip


BLOCK = {
    "name": "student",
    "exercises": [
        _ex("optim.sgd", "failed", 0.0, failure="sgd_step: not implemented"),
        _ex("losses.mse", "passed", 10.0),
        _ex("losses.mae", "failed", 0.0, failure="mae_forward: not implemented"),
        _ex("losses.huber", "partial", 4.0, failure="huber_backward: wrong at index 3"),
    ],
}


def test_points_per_topic_follow_the_registrys_order():
    assert progress.by_topic(BLOCK) == [("losses", 14.0, 30.0, 1, 3), ("optim", 0.0, 10.0, 0, 1)]


def test_the_next_exercise_is_one_started_then_the_first_not_begun():
    assert progress.next_exercise(BLOCK)["id"] == "losses.huber"
    begun = {"exercises": [e for e in BLOCK["exercises"] if e["status"] != "partial"]}
    assert progress.next_exercise(begun)["id"] == "losses.mae"  # before optim, as registered
    done = {"exercises": [_ex("losses.mse", "passed", 10.0)]}
    assert progress.next_exercise(done) is None


def test_a_part_with_the_mistake_comes_before_the_exercise_that_calls_it():
    """``descent check`` pointed at adamw (6.67 of 10), where the mistake was in adam, 0 of 10
    (issue 55): a part an exercise may call comes first."""
    block = {"exercises": [_ex("optim.adam", "failed", 0.0), _ex("optim.adamw", "partial", 6.67),
                           _ex("schedules.step_lr", "failed", 0.0)]}  # fmt: skip
    assert progress.next_exercise(block)["id"] == "optim.adam"


def test_the_view_shows_the_table_and_the_next_step_as_text():
    out = io.StringIO()
    block = {**BLOCK, "name": "[red]me[/red]"}
    block["exercises"] = [
        *BLOCK["exercises"][:3],
        _ex("losses.huber", "partial", 4.0, failure="[b]x[/b]"),
    ]
    progress.render({"implementations": [block]}, Console(file=out, width=120))
    text = out.getvalue()
    assert "14/30" in text and "1/3" in text
    assert "next: losses.huber (Huber loss), 4/10: " in text
    assert "[b]x[/b]" in text  # the student's text is shown, not read as markup
    done = {"name": "me", "exercises": [_ex("losses.mse", "passed", 10.0)]}
    out = io.StringIO()
    progress.render({"implementations": [done]}, Console(file=out, width=120))
    assert "every public test passes" in out.getvalue()
