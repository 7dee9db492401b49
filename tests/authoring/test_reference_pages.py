"""The reference pages ``descent docs`` makes whole from the code (docs/reference/commands.md,
course-toml.md, results-schema.md): each names every command option, plan key and results key
the code has, read from a source other than the generator's where there is one (the plugins'
source, the plan reader's source, a real results document); a page edited by hand is stale; a
key the plan does not declare is refused. (That the kit's pages are current: tests/test_docs.py.)
"""

from __future__ import annotations

import ast
import re

import pytest
from conftest import KIT

from descent import options, results_keys
from descent.authoring import (
    command_reference,
    course_reference,
    generated_page,
    results_reference,
)
from descent.commands import parser
from descent.course import plan as plan_mod
from descent.course import plan_keys

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

pytest_plugins = ["pytester"]  # the toy kit's grading (grade_toy) runs through pytester

FIX = "run `descent docs`"


def sections(page) -> dict[str, str]:
    """The kit's page ``page`` (a path under the kit) cut at its ``## `` titles: title -> text."""
    text = (KIT / page).read_text()
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def test_each_page_says_it_is_made_by_descent_docs():
    for module in (command_reference, course_reference, results_reference):
        text = (KIT / module.PAGE).read_text()
        assert text.startswith(generated_page.header(module.SOURCE)), module.PAGE


def test_every_command_has_its_section_with_each_of_its_options():
    found = sections(command_reference.PAGE)
    for _, sub in command_reference.commands(parser()):
        assert sub.prog in found, f"{command_reference.PAGE}: no section {sub.prog}; {FIX}"
        for action in sub._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert f"`{flag}" in found[sub.prog] or f", {flag}" in found[sub.prog], (
                        f"{command_reference.PAGE}: {sub.prog} lacks {flag}; {FIX}"
                    )


def test_a_command_section_has_the_anchor_the_readme_and_site_link_to():
    text = (KIT / command_reference.PAGE).read_text()
    assert "## descent grade\n" in text and "(#descent-course-check)" in text
    assert command_reference.anchor("descent new-exercise") == "descent-new-exercise"


def _pytest_flags() -> list[str]:
    """The flags the plugins add to pytest, read from their source (not from the generator)."""
    flags = [option.flag for option in options.ISOLATION]
    for name in command_reference.PYTEST_PLUGINS:
        path = KIT / "src" / (name.replace(".", "/") + ".py")
        flags += re.findall(r"addoption\(\s*\"(--[\w-]+)\"", path.read_text())
    return flags


def test_the_pytest_section_has_every_option_the_plugins_add():
    flags = _pytest_flags()
    assert {"--impl", "--device", "--results", "--isolation", "--work-out"} <= set(flags)
    section = sections(command_reference.PAGE)["pytest options"]
    missing = [f for f in flags if f"`{f}" not in section]
    assert not missing, f"{command_reference.PAGE}: pytest options lack {missing}; {FIX}"


def test_help_text_shows_as_typed_in_a_cell():
    """``bug:*`` would start emphasis and ``<rootdir>`` would vanish as a tag."""
    assert generated_page.prose("bug:*, a|b <rootdir>") == r"bug:\*, a\|b &lt;rootdir>"
    section = sections(command_reference.PAGE)["pytest options"]
    assert r"bug:\*" in section and "&lt;rootdir>" in section


def test_a_page_edited_by_hand_is_stale_and_rewritten(tmp_path):
    text = course_reference.page()
    assert generated_page.update(tmp_path, course_reference.PAGE, text) == [course_reference.PAGE]
    assert generated_page.update(tmp_path, course_reference.PAGE, text, check=True) == []
    (tmp_path / course_reference.PAGE).write_text(text.replace("grace_minutes", "grace"))
    assert generated_page.update(tmp_path, course_reference.PAGE, text, check=True) == [
        course_reference.PAGE
    ]
    assert (tmp_path / course_reference.PAGE).read_text() != text  # --check changes nothing


# ----------------------------------------------------------------------------- course.toml


def _plan_source() -> ast.AST:
    return ast.parse((KIT / "src" / "descent" / "course" / "plan.py").read_text())


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
    tree = _plan_source()
    undeclared = _keys_asked_for(tree) - declared
    assert not undeclared, f"plan.py reads keys plan_keys.TABLES does not declare: {undeclared}"
    written = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    unread = declared - written
    assert not unread, f"plan_keys.TABLES declares keys plan.py never names: {unread}"


def test_the_course_toml_page_lists_every_key_of_every_table():
    found = sections(course_reference.PAGE)
    for table, keys in plan_keys.TABLES.items():
        title = f"`{table}`"
        assert title in found, f"{course_reference.PAGE}: no section {table}; {FIX}"
        for key in keys:
            assert f"| `{key}` |" in found[title], f"{course_reference.PAGE}: {table} {key}; {FIX}"


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


def test_an_assignment_late_table_is_checked_like_the_plans(tmp_path):
    text = PLAN.replace("points = 20\n", "points = 20\nlate = { penalty = 5, caps = 10 }\n", 1)
    with pytest.raises(plan_mod.PlanError, match="late unknown key 'caps'.*did you mean 'cap'"):
        load(tmp_path, text)


def test_the_kits_own_plan_holds_only_declared_keys():
    plan_mod.load(KIT / "course.toml")  # raises PlanError on any unknown key


# ----------------------------------------------------------------------------- results


TOY = """
import pytest
import torch

@pytest.mark.exercise("losses.mse")
class TestMSE:
    def test_forward(self, impl):
        loss, _ = impl.losses.mse_forward(torch.ones(2), torch.zeros(2))
        assert float(loss) == 1.0

    @pytest.mark.supporting()
    def test_shape(self, impl):
        loss, _ = impl.losses.mse_forward(torch.ones(2), torch.zeros(2))
        assert loss.shape == ()
"""


def _keys(doc: dict) -> dict[str, set[str]]:
    """The keys a real document holds, by the schema's name of each object."""
    impls = doc["implementations"]
    return {
        "document": set(doc),
        "environment": set(doc["environment"]),
        "isolation_details": set(doc["environment"].get("isolation_details", {})),
        "implementation": {k for b in impls for k in b},
        "exercise": {k for b in impls for e in b["exercises"] for k in e},
        "test": {k for t in doc["tests"] for k in t},
    }


def test_every_key_of_a_real_results_document_is_declared_and_on_the_page(grade_toy):
    toy = grade_toy(TOY, "--impl=solutions", "--impl=starter", "--isolation=none", "--insecure")
    declared = results_keys.objects()
    found = sections(results_reference.PAGE)
    for name, keys in _keys(toy.doc).items():
        assert keys <= set(declared[name]), f"{name}: undeclared {keys - set(declared[name])}"
        for key in declared[name]:
            assert f"| `{key}` |" in found[name], f"{results_reference.PAGE}: {name}.{key}; {FIX}"


def test_a_record_field_without_a_meaning_stops_the_page():
    from descent import results

    meanings = dict(results_keys.TEST_MEANINGS)
    meanings.pop("drawn")
    with pytest.raises(ValueError, match="no meaning for \\['drawn'\\]"):
        results_keys.record_keys(results.TestResult, meanings)
    assert results_keys.json_type("str | None") == "string or null"
    assert results_keys.json_type("list[str]") == "array of strings"
