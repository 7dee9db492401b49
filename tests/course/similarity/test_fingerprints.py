"""Fingerprints of one student's module (``descent.course.similarity.fingerprints``): the names the
kit calls are kept through normalization, code the template already holds leaves no fingerprint,
renamed variables and rewritten comments leave the same ones, and each fingerprint is owned by
the exercise whose function it is in. (Pairs and fragments built on them: test_engine.py.)"""

from __future__ import annotations

import ast

import pytest

pytest.importorskip("copydetect")

from descent.course.similarity import fingerprints as fp  # noqa: E402

from ..conftest import KIT  # noqa: E402

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

TEMPLATE = (KIT / "starter" / "regression.py").read_text()
EXPORTED = fp.exported_names("regression", TEMPLATE)
SOLUTION = (KIT / "solutions" / "regression.py").read_text()


def _doc(text: str, template: set[int] = frozenset()) -> fp.Doc:
    return fp.fingerprint("ann", "regression", text, set(template), EXPORTED)


def test_the_names_the_kit_calls_are_the_templates_then_the_exercises():
    assert EXPORTED[:3] == [
        "minibatches",
        "train_linear_regression",
        "linear_regression_closed_form",
    ] or set(["minibatches", "train_linear_regression", "linear_regression_closed_form"]) <= set(
        EXPORTED
    )
    assert fp.exported_names("regression", "def (:") == [
        "minibatches", "train_linear_regression", "linear_regression_closed_form",
    ]  # fmt: skip


def test_renamed_variables_and_rewritten_comments_leave_the_same_fingerprints():
    renamed = SOLUTION.replace("batch_size", "bs").replace("# ", "# my own words: ")
    assert set(_doc(renamed).prints) == set(_doc(SOLUTION).prints) != set()


def _function(text: str, name: str) -> str:
    node = next(n for n in ast.parse(text).body if getattr(n, "name", None) == name)
    return ast.get_source_segment(text, node)


def test_what_the_template_holds_leaves_no_fingerprint():
    template = fp._template_grams(TEMPLATE, EXPORTED)
    assert not set(_doc(TEMPLATE, template).prints)  # the untouched stub: nothing of its own
    # a template that hands out minibatches whole: the student's copy of it is not theirs
    given = TEMPLATE.replace(_function(TEMPLATE, "minibatches"), _function(SOLUTION, "minibatches"))
    kept = _doc(SOLUTION, fp._template_grams(given, EXPORTED))
    assert set(kept.prints) < set(_doc(SOLUTION, template).prints)
    assert "regression.minibatches" not in set(kept.owner.values())


def test_each_fingerprint_belongs_to_the_exercise_whose_function_holds_it():
    owners = set(_doc(SOLUTION).owner.values())
    assert owners <= {"regression.minibatches", "regression.train_linear_regression",
                      "regression.linear_regression_closed_form", fp.OTHER}  # fmt: skip
    assert "regression.linear_regression_closed_form" in owners
