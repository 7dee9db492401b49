"""The keys a course plan may hold (``descent.course.plan_keys``): the reader reads exactly the
declared ones (checked against plan.py's source), refuses any other with the nearest declared
key, in every table; the kit's own plan holds only declared keys."""

from __future__ import annotations

import ast

import pytest

from descent.course import plan as plan_mod
from descent.course import plan_keys

from .conftest import KIT

PLAN = """
[course]
timezone = "UTC"
time_source = "manifest"

[categories.code]
weight = 70
[categories.labs]
weight = 30

[late]
grace_minutes = 15

[[assignment]]
id = "a1"
exercises = ["basics"]
points = 20
category = "code"
due = 2027-01-08T23:59:00
"""


def load(tmp_path, text: str) -> plan_mod.Plan:
    (tmp_path / "course.toml").write_text(text)
    return plan_mod.load(tmp_path / "course.toml")


def _keys_asked_for(tree: ast.AST) -> set[str]:
    """The keys the plan's reader asks a table for by name: ``table.get("key", ...)`` and
    ``self.file(table, "key")``."""
    asked = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        method = getattr(node.func, "attr", "")
        named = node.args[:1] if method == "get" else node.args[1:2] if method == "file" else []
        asked |= {a.value for a in named if isinstance(a, ast.Constant)}
    return {k for k in asked if isinstance(k, str)}


def test_the_plan_declares_the_keys_its_reader_reads():
    declared = set(plan_keys.TOP) | {k for keys in plan_keys.TABLES.values() for k in keys}
    tree = ast.parse((KIT / "src" / "descent" / "course" / "plan.py").read_text())
    undeclared = _keys_asked_for(tree) - declared
    assert not undeclared, f"plan.py reads keys plan_keys.TABLES does not declare: {undeclared}"
    written = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    unread = declared - written
    assert not unread, f"plan_keys.TABLES declares keys plan.py never names: {unread}"


def test_the_plan_of_these_tests_is_valid(tmp_path):
    assert load(tmp_path, PLAN).item("a1").points == 20


@pytest.mark.parametrize(
    "edit, problem",
    [
        (("grace_minutes = 15", "grace_minute = 15"), "[late] unknown key 'grace_minute'"),
        (('timezone = "UTC"', 'time_zone = "UTC"'), "[course] unknown key 'time_zone'"),
        (("points = 20", "point = 20"), "assignment 'a1': unknown key 'point'"),
        (("[late]", "[lates]"), "the plan: unknown key 'lates' (did you mean 'late'?)"),
        (("weight = 30", "weight = 30\ndrop = 1"), "[categories.labs] unknown key 'drop'"),
    ],
    ids=["late", "course", "assignment", "top", "category"],
)
def test_a_key_the_plan_does_not_declare_is_refused_with_the_nearest(tmp_path, edit, problem):
    with pytest.raises(plan_mod.PlanError) as info:
        load(tmp_path, PLAN.replace(*edit, 1))
    assert problem in str(info.value)


def test_an_assignments_late_table_is_checked_like_the_plans(tmp_path):
    text = PLAN.replace("points = 20\n", "points = 20\nlate = { penalty = 5, caps = 10 }\n", 1)
    with pytest.raises(plan_mod.PlanError, match="late unknown key 'caps'.*did you mean 'cap'"):
        load(tmp_path, text)


def test_the_kits_own_plan_holds_only_declared_keys():
    plan_mod.load(KIT / "course.toml")  # raises PlanError on any unknown key
