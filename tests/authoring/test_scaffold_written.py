"""``descent new-exercise MODULE NAME --tests``: in a copy of the kit, the scaffold writes every
piece of a write-the-tests exercise (its declaration, its chaffs, an empty public set, the
reference suite and the student's template made from it), and the audit refuses it until its
TODOs are filled; a second scaffold of the same exercise, or of one the registry lacks, is
refused."""

from __future__ import annotations

import ast
import subprocess

import pytest

from .conftest import descent


@pytest.fixture(scope="module")
def scaffolded(copy) -> subprocess.CompletedProcess:
    return descent(copy, "new-exercise", "losses", "huber", "--tests")


def test_every_piece_is_written_where_its_kind_lives(copy, scaffolded):
    assert scaffolded.returncode == 0, scaffolded.stderr
    for written in (
        "src/descent/testwriting/declared.py",
        "graders/written_tests.py",
        "exercises/twins.py",
        "solutions/test_huber.py",
        "starter/test_huber.py",
    ):
        assert f"wrote {written}" in scaffolded.stdout
        ast.parse((copy / written).read_text())  # each still Python
    assert '_pair("losses.huber")' in (copy / "src/descent/testwriting/declared.py").read_text()
    chaffs = (copy / "graders/written_tests.py").read_text()
    assert '"losses.huber.tests": [' in chaffs and 'Chaff("huber_is_smoothl1")' in chaffs
    template = (copy / "starter/test_huber.py").read_text()
    assert "BEGIN SOLUTION" not in template and "def test_my_first_check(impl):" in template
    assert "is not implemented yet (starter/test_huber.py)" in template


def test_the_audit_refuses_it_until_its_todos_are_filled(copy, scaffolded):
    refused = descent(copy, "audit", "--written", "--module", "losses")
    assert refused.returncode == 2
    for place in (
        "src/descent/testwriting/declared.py",
        "graders/written_tests.py",
        "exercises/twins.py",
        "solutions/test_huber.py",
    ):
        assert place in refused.stdout + refused.stderr


@pytest.mark.parametrize(
    "argv, why",
    [
        (("losses", "huber"), "losses.huber.tests is already declared"),
        (("losses", "nope"), "losses.nope is not an exercise of the registry"),
    ],
)
def test_a_second_scaffold_or_an_unknown_exercise_is_refused(copy, scaffolded, argv, why):
    run = descent(copy, "new-exercise", *argv, "--tests")
    assert run.returncode == 2 and why in run.stderr + run.stdout
