"""The promises the public half of ``descent audit`` holds the public tests to
(``descent.authoring.audit_public.problems``), on hand-built results: each rule reports a realistic broken
case and passes a kept one."""

from __future__ import annotations

import pytest

from descent import catalogue
from descent.authoring import audit_public
from descent.authoring.audit_public import problems
from descent.catalogue import ALTERNATIVE, BUG, HOLLOW, Variant
from descent.results import FAILED, PASSED

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def variant(kind: str, vid: str = "v", **flags) -> Variant:
    v = Variant(vid, "losses.mse", "a title long enough", kind)
    v.classic = flags.get("classic", False)
    v.generic = flags.get("generic", ())
    return v


def doc(v: Variant, *tests: tuple[str, str, float, float, str, str | None]) -> dict:
    """A public run of ``v`` alone: tests as (name, outcome, points, max, message, named)."""
    name = f"{v.kind}:{v.id}"
    return {
        "implementations": [
            {
                "name": name,
                "points": sum(t[2] for t in tests),
                "max_points": sum(t[3] for t in tests),
            }
        ],
        "tests": [
            {
                "implementation": name,
                "name": test,
                "outcome": outcome,
                "points": points,
                "max_points": most,
                "counted": True,
                "message": message,
                "misconception": named,
            }
            for test, outcome, points, most, message, named in tests
        ],
    }


def whats(v: Variant, *tests) -> list[str]:
    return [p.what for p in problems(doc(v, *tests), [v])]


def test_a_hollow_answer_earning_public_points_is_a_problem_naming_the_check():
    v = variant(HOLLOW)
    (what,) = whats(
        v,
        ("test_value", FAILED, 0.0, 5.0, "[reference value] ...", None),
        ("test_shape", PASSED, 5.0, 5.0, "", None),
    )
    assert "test_shape" in what and "supporting" in what
    assert (
        whats(
            v,
            ("test_value", FAILED, 0.0, 5.0, "[reference value] ...", None),
            ("test_shape", PASSED, 0.0, 5.0, "supporting check: no value check passed", None),
        )
        == []
    )


def test_an_alternative_losing_public_points_is_a_problem():
    v = variant(ALTERNATIVE)
    (what,) = whats(v, ("test_value", FAILED, 0.0, 10.0, "[reference value] ...", None))
    assert "a correct version fails test_value" == what
    assert whats(v, ("test_value", PASSED, 10.0, 10.0, "", None)) == []


def test_a_classic_mistake_must_fail_a_public_check_that_names_it():
    v = variant(BUG, "mse_sum", classic=True)
    passes = ("test_value", PASSED, 10.0, 10.0, "", None)
    unnamed = ("test_value", FAILED, 0.0, 10.0, "[reference value] ...", None)
    named = ("test_value", FAILED, 0.0, 10.0, "[reference value] ...", "mse_sum")
    assert "fails no public check" in whats(v, passes)[0]
    assert "no failure names it" in whats(v, unnamed)[0]
    assert whats(v, named) == []


def test_a_bug_editing_its_arguments_must_fail_arguments_unchanged():
    v = variant(BUG, "mse_in_place", generic=(audit_public.EDITS,))
    other = ("test_value", FAILED, 0.0, 10.0, "[property] x changed while ...", None)
    watched = ("test_value", FAILED, 0.0, 10.0, "[arguments unchanged] mse modified ...", None)
    assert "arguments unchanged" in whats(v, other)[0]
    assert whats(v, watched) == []
    assert audit_public.edits_arguments(v)


def test_an_ordinary_bug_may_pass_the_public_tests():
    assert whats(variant(BUG), ("test_value", PASSED, 10.0, 10.0, "", None)) == []


def test_a_variant_whose_exercise_has_no_public_test_is_a_problem_unless_it_did_not_run():
    v = variant(ALTERNATIVE)
    assert "no public test of losses.mse ran" in whats(v)[0]
    assert problems({"implementations": [], "tests": []}, [v]) == []


def test_the_public_results_sit_beside_the_hidden_ones(tmp_path):
    assert audit_public.results_path(tmp_path / "r.json") == tmp_path / "r-public.json"
    assert audit_public.SPECS == [f"{k}:*" for k in (BUG, ALTERNATIVE, HOLLOW)]
    assert set(audit_public.KINDS) <= set(catalogue.KINDS)
