"""The scoring rule for supporting checks, and the audit's verdict on hollow answers: pure
functions over result records, no grading run (a signal in well under a second)."""

from __future__ import annotations

import pytest

from descent import results
from descent.authoring import audit
from descent.results import FAILED, PASSED
from descent.results import TestResult as Record

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _test(
    name: str, outcome: str = PASSED, impl: str = "student", exercise: str = "losses.mse"
) -> Record:
    return Record(
        nodeid=f"graders/test_x.py::T::{name}",
        implementation=impl,
        exercise=exercise,
        name=f"T::{name}",
        device="cpu",
        weight=1.0,
        outcome=outcome,
    )


def _score(tests, supporting):
    results.assign_points(
        tests,
        {"losses.mse": 10.0},
        supporting={f"graders/test_x.py::T::{k}": v for k, v in supporting.items()},
    )
    return {t.name.split("::")[-1]: t.points for t in tests}


def test_a_supporting_check_needs_a_passed_value_check():
    alone = _score([_test("test_shape"), _test("test_value", FAILED)], {"test_shape": ()})
    assert alone == {"test_shape": 0.0, "test_value": 0.0}
    backed = _score([_test("test_shape"), _test("test_value")], {"test_shape": ()})
    assert backed == {"test_shape": 5.0, "test_value": 5.0}


def test_the_unsupported_check_says_why_and_the_exercise_is_not_passed():
    tests = [_test("test_shape"), _test("test_value", FAILED)]
    _score(tests, {"test_shape": ()})
    assert "supporting check" in tests[0].message and tests[0].outcome == PASSED
    only_supporting = [_test("test_shape")]
    _score(only_supporting, {"test_shape": ()})
    [ex] = results.summarize_exercises(only_supporting, {})
    assert ex.status == FAILED and "supporting check" in ex.first_failure


def test_named_value_checks_gate_one_half():
    tests = [
        _test("test_forward"),
        _test("test_backward", FAILED),
        _test("test_raw_grads"),
        _test("test_gradcheck"),
    ]
    got = _score(tests, {"test_raw_grads": ("test_backward",), "test_gradcheck": ("test_forward",)})
    assert got["test_raw_grads"] == 0.0 and got["test_gradcheck"] == 2.5


def test_supporting_checks_may_vouch_for_each_other():
    labels = ["test_healthy", "test_stuck", "test_spike"]
    gate = {name: tuple(other for other in labels if other != name) for name in labels}
    two_right = _score(
        [_test("test_healthy"), _test("test_stuck"), _test("test_spike", FAILED)], gate
    )
    assert two_right["test_healthy"] > 0 and two_right["test_stuck"] > 0
    constant = _score(
        [_test("test_healthy"), _test("test_stuck", FAILED), _test("test_spike", FAILED)], gate
    )
    assert sum(constant.values()) == 0.0


def test_support_never_crosses_implementations():
    tests = [_test("test_shape", impl="a"), _test("test_value", impl="b")]
    results.assign_points(tests, {}, supporting={tests[0].nodeid: ()})
    assert tests[0].points == 0.0 and tests[1].points == 10.0


def _doc(kind: str, points: float) -> dict:
    name = f"{kind}:x"
    return {
        "implementations": [{"name": name, "points": points, "max_points": 10.0}],
        "tests": [
            {
                "implementation": name,
                "exercise": "losses.mse",
                "counted": True,
                "outcome": "passed" if points else "failed",
                "message": "",
                "misconception": None,
            }
        ],
    }


def test_the_audit_fails_a_hollow_answer_that_earns_anything():
    [earns] = audit.summarize(_doc("hollow", 0.5))
    [nothing] = audit.summarize(_doc("hollow", 0.0))
    assert not earns["ok"] and nothing["ok"]


def _bug_doc(vid: str, diagnoses: list, misconception=None) -> dict:
    name = f"bug:{vid}"
    return {
        "implementations": [{"name": name, "points": 0.0, "max_points": 10.0}],
        "tests": [
            {
                "implementation": name,
                "exercise": "losses.mse",
                "counted": True,
                "outcome": "failed",
                "message": "[reference value] x",
                "misconception": misconception,
                "diagnosis": d,
            }
            for d in diagnoses
        ],
    }


def test_the_audit_scores_generic_names_against_the_bugs_labels():
    labels = {"a": ("sum-mean",), "b": ("sum-mean",), "c": ("sign",), "d": ()}
    rows = (
        audit.summarize(_bug_doc("a", ["sum-mean", None]), labels)  # named rightly
        + audit.summarize(_bug_doc("b", ["factor"], "b"), labels)  # misnamed, catalogued
        + audit.summarize(_bug_doc("c", ["ambiguous"]), labels)  # says nothing
        + audit.summarize(_bug_doc("d", []), labels)
    )  # unnamed
    assert audit.figures(rows) == {
        "bugs": 4,
        "catalogue": 1,
        "generic": 1,
        "both": 2,
        "misnamed": 1,
        "observed": 0,
        "alternatives_named": 0,
    }


def _kept(vid: str, points: float, kind: str = "bug") -> dict:
    doc = _bug_doc(vid, [None])
    doc["implementations"][0].update(name=f"{kind}:{vid}", points=points)
    doc["tests"][0]["implementation"] = f"{kind}:{vid}"
    return doc


def test_the_audit_holds_each_bug_to_the_points_its_tag_allows():
    tags = {"every_day": "ordinary", "rare": "edge", "untagged": ""}
    cases = [
        ("every_day", 5.0, "bug"),
        ("every_day", 5.5, "bug"),
        ("rare", 5.5, "bug"),
        ("rare", 5.0, "student"),
        ("untagged", 2.0, "bug"),
    ]
    rows = [row for c in cases for row in audit.summarize(_kept(*c), wrong_on=tags)]
    audit.judge_points(rows)
    problems = [r["points_problem"] for r in rows]
    assert [r["ok"] for r in rows] == [True, False, True, False, False]
    assert "at most half" in problems[1] and "more than half" in problems[3]
    assert "no wrong_on tag" in problems[4]
    assert audit._rule_text(rows, "bug") == (
        "1 of 2 ordinary bugs keep at most half; 1 of 1 edge bugs keep more than half"
    )
