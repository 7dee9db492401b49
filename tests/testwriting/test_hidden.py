"""The hidden side (``descent.testwriting.hidden``): the wheats are the reference and every
catalogued alternative, the chaffs the chosen catalogued bugs, each weighing 2 (wrong on
everyday inputs) or 1 (only at an edge) plus how often real learners made it (at most 3); a
declaration naming anything else is a problem the audit reports."""

from __future__ import annotations

import pytest

from descent import catalogue
from descent.calls.impl import FolderImplementation
from descent.testwriting import audit, declared, hidden
from descent.testwriting.grading import CHAFF, WHEAT

from .conftest import KIT

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

catalogue.load(KIT / "graders" / "catalogue")


def test_a_chaff_weighs_its_kind_plus_how_often_it_was_seen():
    assert hidden.Chaff("mse_sum").points() == 2  # ordinary
    assert hidden.Chaff("ce_log_of_softmax").points() == 1  # edge
    assert hidden.Chaff("ce_log_of_softmax", seen=6).points() == 1 + 3
    assert hidden.Chaff("bn_running_var_biased", seen=2).points() == 4
    assert hidden.Chaff("mse_sum", weight=7).points() == 7


def test_the_subjects_are_the_reference_every_alternative_and_the_chosen_chaffs():
    written = declared.get("losses.mse.tests")
    subjects = hidden.subjects(
        written,
        FolderImplementation(KIT / "solutions"),
        [hidden.Chaff("mse_sum"), hidden.Chaff("mse_float32")],
    )
    alternatives = [v.id for v in catalogue.variants(catalogue.ALTERNATIVE, "losses.mse")]
    assert [s.id for s in subjects] == ["reference", *alternatives, "mse_sum", "mse_float32"]
    assert {s.kind for s in subjects[:-2]} == {WHEAT} and subjects[-1].kind == CHAFF
    assert subjects[-1].title == "builds its result in a hard-coded float32"
    assert set(subjects[-1].functions) == {"mse_forward", "mse_backward"}


def test_a_declaration_of_anything_but_the_exercise_s_own_bugs_is_a_problem():
    found = hidden.problems(
        {
            "losses.mse.tests": [
                hidden.Chaff("mse_sum"),
                hidden.Chaff("mse_sum"),
                hidden.Chaff("ce_grad_sign"),
                hidden.Chaff("mse_literal"),
                hidden.Chaff("nope"),
            ],
            "losses.nope.tests": [],
        }
    )
    assert "losses.mse.tests: mse_sum is chosen twice" in found
    assert "losses.mse.tests: ce_grad_sign is not a catalogued bug of losses.mse" in found
    assert "losses.mse.tests: mse_literal is not a catalogued bug of losses.mse" in found
    assert "losses.mse.tests: no catalogued bug nope" in found
    assert "losses.nope.tests is not a write-the-tests exercise" in found
    assert "layers.linear.tests declares no chaff" in found


def test_the_kit_s_declarations_hold():
    assert hidden.problems(audit.declared_chaffs(KIT)) == []
