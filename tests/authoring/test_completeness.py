"""What the catalogue must hold (``descent.authoring.completeness``), the rules the audit and the
kit's tests share: the kit keeps them all; an exercise without its literal alternative or its
hollow answers, and a diagnosis kind no bug is labelled with, are each a problem naming what to
add. (The audit reporting them: tests/authoring/test_audit.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from descent import registry
from descent.authoring import completeness
from descent.diagnoses import order

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

KIT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def loaded():
    completeness.load(KIT)


def test_the_kit_holds_every_rule():
    assert completeness.problems(KIT) == []


def test_an_exercise_without_its_literal_alternative_or_hollow_answers_is_named():
    new = registry.Exercise("losses.unwritten", "Unwritten", ("unwritten_forward",))
    mse = registry.get("losses.mse")
    assert completeness.without_literal([mse, new]) == ["losses.unwritten"]
    assert completeness.without_hollow([mse, new]) == ["losses.unwritten"]


def test_an_audit_of_one_module_holds_that_module_s_exercises(monkeypatch):
    new = registry.Exercise("losses.unwritten", "Unwritten", ("unwritten_forward",))
    monkeypatch.setitem(registry.EXERCISES, new.id, new)
    said = completeness.problems(KIT, ["losses"])
    assert said[0].startswith("losses.unwritten: no alternative with literal=True")
    assert "graders/catalogue/literal.py" in said[0]
    assert completeness.problems(KIT, ["optim"]) == []  # another module's audit: not its own
    optim = completeness.exercises(KIT, ["optim"])
    assert optim and {ex.module for ex in optim} == {"optim"}


def test_a_diagnosis_kind_no_bug_is_labelled_with_is_never_measured(monkeypatch):
    monkeypatch.setitem(order.KINDS, "sideways", "a result turned on its side")
    assert completeness.unmeasured_kinds() == ["sideways"]
    said = completeness.problems(KIT, ["optim"])  # the kinds are the whole catalogue's
    assert said == [
        "diagnosis kind 'sideways': no bug of the catalogue or the corpus is labelled with it "
        "(bug(..., generic=...)), so the audit never measures it"
    ]
