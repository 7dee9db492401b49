"""The course plan (``descent.course.plan``, course.toml): what it reads (assignments, exercises,
dates, the late policy), a module split over assignments noted, the kit's sample plan covering
every exercise once, and each error of a broken plan given with its message. (Every command given
a broken plan: test_term.py.)"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from descent.course import plan as plan_mod

from .conftest import KIT
from .test_term import DUE, PLAN, write_plan


@pytest.fixture
def plan(tmp_path) -> plan_mod.Plan:
    return plan_mod.load(write_plan(tmp_path))


def test_plan_reads_assignments_exercises_and_dates(plan):
    a1, a2, a3 = plan.code
    assert a1.exercises == ("basics.gradient_descent_1d", "basics.gd_regime")
    assert a2.exercises == ("clipping.clip_grad_norm", "clipping.clip_grad_value")
    assert a3.modules == ("regression",) and a3.weight == 2 and a3.points == 30
    assert a1.due == DUE and a1.late.grace == timedelta(minutes=15)
    assert a1.selection == "basics.gradient_descent_1d or basics.gd_regime"
    assert plan.item("lab1").kind == plan_mod.NBGRADER


def test_a_module_split_over_assignments_is_noted(plan):
    assert plan_mod.split_modules(plan) == {}
    plan.items[1] = dataclasses.replace(plan.items[1], exercises=("basics.gd_regime",))
    assert plan_mod.split_modules(plan) == {"basics": ["a1", "a2"]}


def test_the_kit_sample_plan_covers_every_exercise_once():
    sample = plan_mod.load(KIT / "course.toml")
    inside, outside = plan_mod.covered(sample)
    assert outside == [] and len(inside) == len(set(inside))
    assert 8 <= len(sample.code) <= 10
    labs = {i.id for i in sample.items if i.kind == plan_mod.NBGRADER}
    assert labs == {p.name for p in (KIT / "labs" / "source").iterdir() if p.is_dir()}


BROKEN = [
    (
        ('exercises = ["basics"]', 'exercises = ["basics.nope"]'),
        "assignment 'a1': unknown exercise or module 'basics.nope'",
    ),
    (
        ('exercises = ["regression"]', 'exercises = ["regression", "basics.gd_regime"]'),
        "exercise basics.gd_regime is in two assignments: 'a1' and 'a3'",
    ),
    (
        ("due = 2027-01-08T23:59:00", "due = 2026-12-31T23:59:00"),
        "assignment 'a1': due 2026-12-31T23:59:00+00:00 is not after its release",
    ),
    (("weight = 30", "weight = 20"), "category weights add up to 90, not 100 (code 70, labs 20)"),
    (('id = "lab1"', 'id = "lab7"'), "nbgrader assignment 'lab7' is not in the nbgrader course"),
    (('per = "day"', 'per = "week"'), "[late] per must be 'day' or 'hour'"),
    (("due = 2027-01-22T23:59:00", "due = 2027-01-22"), "has no time of day"),
    (("[course]", "[course"), "not valid TOML"),
]


@pytest.mark.parametrize("edit, message", BROKEN, ids=[m[:30] for _, m in BROKEN])
def test_every_plan_error_gives_its_message(tmp_path, edit, message):
    path = write_plan(tmp_path, PLAN.replace(*edit, 1))
    with pytest.raises(plan_mod.PlanError) as info:
        plan_mod.load(path)
    assert message in str(info.value)


def test_a_write_the_tests_exercise_is_named_by_its_id_and_needs_no_module(tmp_path):
    """``losses.mse.tests`` is an exercise of its own: a plan names it (a module's name does not
    include it), its assignment needs no module, and ``-k`` keeps it apart from losses.mse."""
    path = write_plan(tmp_path)
    path.write_text(
        path.read_text().replace(
            'exercises = ["clipping.clip_grad_norm", "clipping.clip_grad_value"]',
            'exercises = ["clipping.clip_grad_norm.tests", "losses.mse"]',
        )
    )
    a2 = plan_mod.load(path).item("a2")
    assert a2.exercises == ("clipping.clip_grad_norm.tests", "losses.mse")
    assert a2.modules == ("losses",)
    assert plan_mod.exact_selection("losses.mse") == "(losses.mse and not losses.mse.tests)"
    assert plan_mod.exact_selection("clipping.clip_grad_norm") == (
        "(clipping.clip_grad_norm and not clipping.clip_grad_norm.tests)"
    )
    assert "losses.mse.tests" in plan_mod.every_exercise()
