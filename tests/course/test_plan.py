"""The course plan (``descent.course.plan``, course.toml): what it reads (assignments, exercises,
dates, the late policy), a module split over assignments noted, the kit's sample plan covering
every exercise once, and each error of a broken plan given with its message. (Every command given
a broken plan: test_term.py.)"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from descent.course import lateness
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


@pytest.mark.parametrize(
    "grace, said",
    [
        (timedelta(0), "5% of the earned score per started day late, at most 20%"),
        (timedelta(hours=1), "1 h of grace; then 5% of the earned score per started day, at"),
    ],
)
def test_the_late_policy_reads_as_it_is_applied(plan, grace, said):
    """Without a grace period there is no step before the first: a minute late already costs
    the first 5% (no "then"), as the penalty applies it; after a grace period the started days
    count from the due date all the same."""
    policy = plan_mod.LatePolicy(grace=grace, penalty=5, per="day", cap=20)
    item = dataclasses.replace(plan.item("a1"), late=policy)
    assert plan_mod.describe_late(item).startswith(said)
    due = datetime(2027, 1, 8, tzinfo=timezone.utc)
    just_after = due + grace + timedelta(minutes=1)
    assert lateness.penalty(policy, due, just_after).percent == 5  # the first started day
    assert lateness.penalty(policy, due, due + timedelta(days=30)).percent == 20  # the cap


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
    (
        ("[course]", "[course]\nwritten_allowance_minutes = -1"),
        "[course] written_allowance_minutes must be a number >= 0 (got -1)",
    ),
]


@pytest.mark.parametrize("edit, message", BROKEN, ids=[m[:30] for _, m in BROKEN])
def test_every_plan_error_gives_its_message(tmp_path, edit, message):
    path = write_plan(tmp_path, PLAN.replace(*edit, 1))
    with pytest.raises(plan_mod.PlanError) as info:
        plan_mod.load(path)
    assert message in str(info.value)


def test_the_allowance_for_a_copy_written_after_its_time_is_a_setting(tmp_path, plan):
    """How long after the time it claims a lab's exchange copy may be written (5 minutes unless
    the plan says: a network file system whose clock runs ahead needs more)."""
    assert plan.written_allowance == timedelta(minutes=5)
    path = write_plan(
        tmp_path, PLAN.replace("[course]", "[course]\nwritten_allowance_minutes = 20", 1)
    )
    assert plan_mod.load(path).written_allowance == timedelta(minutes=20)


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
