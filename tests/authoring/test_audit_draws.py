"""Points and causes that follow the mistake, not the draw (``descent.authoring.audit_draws``): pure
functions on hand-built results documents. A variant whose points or told cause differ between
draws is listed with what each draw gave; an exercise's share of points on inputs written into
its tests is measured, and one above a quarter is named. (Real draws of a few variants, through the
command line: tests/commands/test_audit.py.)"""

from __future__ import annotations

import pytest

from descent.authoring import audit_draws

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _test(impl, name="test_a", outcome="passed", misconception=None, diagnosis=None, **kw):
    return {
        "implementation": impl,
        "exercise": kw.pop("exercise", "losses.mse"),
        "nodeid": f"graders/test_losses.py::T::{name}[{impl}]",
        "counted": kw.pop("counted", True),
        "outcome": outcome,
        "misconception": misconception,
        "diagnosis": diagnosis,
        "max_points": kw.pop("max_points", 5.0),
        "drawn": kw.pop("drawn", True),
    }


def _doc(*variants):
    """One draw: (name, points, tests) per variant."""
    return {
        "implementations": [{"name": n, "points": p, "max_points": 10.0} for n, p, _ in variants],
        "tests": [t for _, _, tests in variants for t in tests],
    }


def test_a_variant_is_told_its_catalogued_mistake_before_a_generic_one():
    doc = _doc(
        (
            "bug:b",
            5.0,
            [
                _test("bug:b", "test_a", "failed", "mse_sum", "sum-mean"),
                _test("bug:b", "test_b", "failed", None, "factor"),
                _test("bug:b", "test_c", "failed", None, "ambiguous"),  # names nothing
                _test("bug:b", "test_d", "failed", "ignored", counted=False),
            ],
        ),
        ("starter", 0.0, [_test("starter", "test_a", "failed", "x")]),  # not a variant
    )
    assert audit_draws.outcomes(doc) == {"bug:b": ("losses.mse", 5.0, ("factor", "mse_sum"))}


def test_a_variant_whose_points_or_cause_differ_between_draws_is_listed():
    steady = ("alternative:a", 10.0, [_test("alternative:a")])
    first = _doc(
        steady,
        ("bug:points", 5.0, [_test("bug:points", "test_a", "failed", "shared_mask")]),
        ("bug:cause", 2.0, [_test("bug:cause", "test_a", "failed", None, "sign")]),
    )
    second = _doc(
        steady,
        ("bug:points", 4.375, [_test("bug:points", "test_a", "failed", "shared_mask")]),
        ("bug:cause", 2.0, [_test("bug:cause", "test_a", "failed", None, "clamp")]),
    )
    moved = audit_draws.movers([first, second])
    assert [(m["variant"], m["points"], m["causes"]) for m in moved] == [
        ("bug:cause", [2.0, 2.0], [("sign",), ("clamp",)]),
        ("bug:points", [5.0, 4.375], [("shared_mask",), ("shared_mask",)]),
    ]
    assert audit_draws.movers([first, first]) == []
    # a hollow answer makes no mistake to name: its points alone are held
    hollow = [
        _doc(("hollow:h", 0.0, [_test("hollow:h", "test_a", "failed", None, d)])) for d in "ab"
    ]
    assert audit_draws.movers(hollow) == []
    [spread] = audit_draws.spread([first, second])
    assert spread == {
        "exercise": "losses.mse",
        "variants": 3,
        "points": 1,
        "causes": 1,
        "widest": 0.625,
    }


def test_the_share_of_points_on_inputs_written_into_the_tests():
    doc = _doc(
        (
            "bug:b",
            0.0,
            [
                _test("bug:b", "test_drawn", max_points=6.0),
                _test("bug:b", "test_edge", max_points=2.0, drawn=False),
                _test("bug:b", "test_fixed", max_points=2.0, drawn=False),
                _test("bug:b", "test_gpu", max_points=9.0, drawn=False, counted=False),
            ],
        ),
        # another variant of the exercise: the same tests, one of them drawn there
        ("alternative:a", 10.0, [_test("alternative:a", "test_edge", max_points=2.0)]),
        ("bug:o", 0.0, [_test("bug:o", "t", exercise="optim.sgd", drawn=False)]),
    )
    shares = audit_draws.fixed_shares(doc)
    assert shares == {"losses.mse": pytest.approx(0.2), "optim.sgd": 1.0}
    lines, over = audit_draws.fixed_share_lines(shares)
    assert over == ["optim.sgd"]
    assert "optim.sgd 100%, losses.mse 20%" in lines[0] and "over 25%: optim.sgd" in lines[1]
    assert audit_draws.fixed_share_lines({"losses.mse": 0.25})[1] == []


def test_the_draws_are_the_same_every_time():
    assert audit_draws.draw_secrets(3) == ["audit-draw-1", "audit-draw-2", "audit-draw-3"]
