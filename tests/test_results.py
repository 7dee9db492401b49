"""The results schema (``descent.results``), on hand-built records, no grading run: how results
become points (the shares, the rule for supporting checks, the cap of a failed everyday check) and
an exercise status, and the results document (``descent.results/1``) that every report and
exporter reads, built from records, written and read back. (As the plugin builds it at the end of
a run: tests/grading/test_results_document.py.)"""

from __future__ import annotations

import json
from dataclasses import fields

import pytest
from toykit import record

from descent import results
from descent.results import ERROR, FAILED, NOT_IMPLEMENTED, PASSED, SKIPPED, ExerciseResult
from descent.results import TestResult as Record

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def points(tests) -> dict[str, float]:
    return {t.name.split("::")[-1]: t.points for t in tests}


def test_shares_follow_the_weights_and_uncounted_tests_take_none():
    tests = [
        record("test_a"),
        record("test_b", weight=3.0),
        record("test_c[cuda]", SKIPPED, weight=4.0, counted=False),
    ]
    results.assign_points(tests, {"losses.mse": 10.0})
    assert [t.max_points for t in tests] == [2.5, 7.5, 0.0]
    assert points(tests) == {"test_a": 2.5, "test_b": 7.5, "test_c[cuda]": 0.0}


def test_the_shares_do_not_depend_on_the_order_the_tests_ran_in():
    # 0.1 + 0.2 + 0.3 and 0.3 + 0.2 + 0.1 differ in the last bit: a run whose tests came in
    # another order (pytest 9.1's reordering) once gave 0.22222222222222218 for 0.2222222222222222
    def shares(weights):
        tests = [record(f"test_{w}", weight=w) for w in weights]
        results.assign_points(tests, {"losses.mse": 10.0})
        return {t.name: t.max_points for t in tests}

    assert shares([0.1, 0.2, 0.3]) == shares([0.3, 0.2, 0.1])


def test_a_lost_test_keeps_its_share_of_the_exercise():
    tests = [record("test_a"), record("test_b", FAILED), record("test_c", SKIPPED)]
    results.assign_points(tests, {"losses.mse": 6.0})
    assert [(t.max_points, t.points) for t in tests] == [(2.0, 2.0), (2.0, 0.0), (2.0, 0.0)]


def test_each_implementation_splits_its_own_exercise_points():
    # A variant graded on fewer tests (its other exercises deselected) still has 10 points to win.
    tests = [record("test_a", impl="x"), record("test_b", impl="x"), record("test_a", impl="y")]
    results.assign_points(tests, {"losses.mse": 10.0})
    assert [t.points for t in tests] == [5.0, 5.0, 10.0]


def test_exercise_points_come_from_the_registry_map_or_the_default():
    tests = [
        record("test_a", exercise="train.train_classifier"),
        record("test_b", exercise="not.registered"),
    ]
    results.assign_points(tests, {"train.train_classifier": 30.0}, default=4.0)
    assert [t.points for t in tests] == [30.0, 4.0]


def score(tests, supporting: dict[str, tuple[str, ...]]) -> dict[str, float]:
    results.assign_points(
        tests, {}, supporting={f"graders/test_x.py::T::{k}": v for k, v in supporting.items()}
    )
    return points(tests)


def test_an_unnamed_supporting_check_needs_a_value_check_not_another_supporting_one():
    both = score(
        [record("test_shape"), record("test_dtype"), record("test_value", FAILED)],
        {"test_shape": (), "test_dtype": ()},
    )
    assert both == {"test_shape": 0.0, "test_dtype": 0.0, "test_value": 0.0}


@pytest.mark.parametrize("value, earned", [(FAILED, 0.0), (PASSED, 10.0)])
def test_support_runs_along_a_chain_to_a_value_check(value, earned):
    got = score(
        [record("test_a"), record("test_b"), record("test_value", value)],
        {"test_a": ("test_b",), "test_b": ("test_value",)},
    )
    assert sum(got.values()) == pytest.approx(earned)


def test_a_named_value_check_vouches_under_any_parameter_but_only_in_its_exercise():
    # Names are test functions: test_forward[cpu] answers to "test_forward".
    backed = score(
        [record("test_grad[cpu]"), record("test_forward[cpu]")],
        {"test_grad[cpu]": ("test_forward",)},
    )
    assert backed["test_grad[cpu]"] == 5.0
    elsewhere = score(
        [record("test_grad[cpu]"), record("test_forward[cpu]", exercise="losses.mae")],
        {"test_grad[cpu]": ("test_forward",)},
    )
    assert elsewhere["test_grad[cpu]"] == 0.0


def test_a_supporting_check_naming_a_missing_test_never_counts():
    tests = [record("test_value"), record("test_raw_grads")]
    score(tests, {"test_raw_grads": ("test_backward",)})
    [ex] = results.summarize_exercises(tests, {})
    assert (ex.points, ex.status) == (5.0, "partial")
    assert "test_backward" in ex.first_failure


def summary(tests, titles=None) -> list[ExerciseResult]:
    results.assign_points(tests, {})
    return results.summarize_exercises(tests, titles or {})


def test_the_summary_counts_outcomes_and_leaves_out_uncounted_tests():
    [ex] = summary(
        [
            record("test_a"),
            record("test_b", FAILED),
            record("test_c", NOT_IMPLEMENTED),
            record("test_d", ERROR),
            record("test_e", SKIPPED),
            record("test_f[cuda]", SKIPPED, counted=False),
        ]
    )
    assert (ex.passed, ex.failed, ex.not_implemented, ex.errors, ex.skipped) == (1, 1, 1, 1, 1)
    assert (ex.points, ex.max_points) == (2.0, 10.0)


def test_the_summary_keeps_first_appearance_order_titles_and_rounds():
    tests = [record("test_a", exercise="losses.mae")] + [record(f"test_{i}") for i in range(11)]
    mae, mse = summary(tests, {"losses.mse": "Mean squared error"})
    assert [mae.id, mse.id] == ["losses.mae", "losses.mse"]
    assert (mae.title, mse.title) == ("", "Mean squared error")
    # Eleven shares of 10 add up to 9.999999999999998 unrounded, which is not full marks.
    assert mse.points == 10.0 and mse.max_points == 10.0
    assert mse.status == PASSED


def test_the_first_failure_is_the_first_lost_tests_first_line_or_its_outcome():
    [ex] = summary(
        [
            record("test_a"),
            record("test_b", ERROR),
            record("test_c", FAILED, message="wrong sum\nworst element ..."),
        ]
    )
    assert ex.first_failure == "error"
    [ex] = summary(
        [
            record("test_a", FAILED, message="wrong sum\nworst element ..."),
            record("test_b", ERROR, message="crashed"),
        ]
    )
    assert ex.first_failure == "wrong sum"


def test_misconceptions_are_listed_once_in_order():
    [ex] = summary(
        [
            record("test_a", FAILED, misconception="mse_sum"),
            record("test_b", FAILED, misconception="mse_no_square"),
            record("test_c", FAILED, misconception="mse_sum"),
            record("test_d[cuda]", SKIPPED, counted=False, misconception="ignored"),
        ]
    )
    assert ex.misconceptions == ["mse_sum", "mse_no_square"]


def status(points=0.0, max_points=10.0, **counts) -> str:
    return results._status(
        ExerciseResult("losses.mse", "", points=points, max_points=max_points, **counts)
    )


@pytest.mark.parametrize(
    "expected, ex",
    [
        (PASSED, dict(points=10.0, passed=4)),
        ("partial", dict(points=5.0, passed=2, failed=2)),
        ("partial", dict(points=5.0, passed=2)),  # an unsupported pass lost points
        (FAILED, dict(points=0.0, passed=1)),  # only unsupported passes
        (FAILED, dict(points=0.0, passed=1, failed=1)),  # a pass that earned nothing
        (NOT_IMPLEMENTED, dict(not_implemented=3)),
        (NOT_IMPLEMENTED, dict(points=0.0, passed=1, not_implemented=2)),
        (ERROR, dict(errors=2)),
        (FAILED, dict(errors=1, not_implemented=1)),
        (FAILED, dict(skipped=2)),
    ],
)
def test_the_status_of_an_exercise(expected, ex):
    assert status(**ex) == expected


def capped(tests, ordinary: list[str], supporting=None) -> dict[str, float]:
    """Points after scoring, ``ordinary`` naming the checks of everyday inputs."""
    node = "graders/test_x.py::T::{}".format
    results.assign_points(
        tests,
        {},
        supporting={node(k): v for k, v in (supporting or {}).items()},
        ordinary={node(name) for name in ordinary},
    )
    return points(tests)


def test_failing_a_check_of_everyday_inputs_keeps_at_most_half_the_points():
    # Nine edge checks pass and the one everyday check fails: 9 of 10 points become 5, shared
    # by the passed checks in proportion, each saying why.
    tests = [record("test_everyday", FAILED)] + [record(f"test_edge{i}") for i in range(9)]
    got = capped(tests, ["test_everyday"])
    assert got["test_everyday"] == 0.0
    assert sum(got.values()) == pytest.approx(5.0)
    assert got["test_edge0"] == pytest.approx(5.0 / 9)
    assert "everyday inputs (test_everyday)" in tests[1].message
    assert "at most half" in tests[1].message


def test_the_cap_leaves_alone_what_already_keeps_half_or_less_or_fails_no_everyday_check():
    below = [record("test_everyday", FAILED, weight=3.0), record("test_edge")]
    assert capped(below, ["test_everyday"]) == {"test_everyday": 0.0, "test_edge": 2.5}
    assert below[1].message == ""
    edge_only = [record("test_everyday"), record("test_edge", FAILED), record("test_more")]
    assert sum(capped(edge_only, ["test_everyday"]).values()) == pytest.approx(20 / 3)


def test_the_cap_applies_per_implementation_and_exercise_and_after_the_supporting_rule():
    tests = [
        record("test_everyday", FAILED, impl="a"),
        record("test_a", impl="a"),
        record("test_b", impl="a"),
        record("test_c", impl="a"),
        record("test_everyday", impl="b"),
        record("test_a", impl="b"),
        record("test_everyday", FAILED, exercise="losses.mae", impl="b"),
        record("test_shape", exercise="losses.mae", impl="b"),
        record("test_value", exercise="losses.mae", impl="b"),
    ]
    capped(tests, ["test_everyday"], supporting={"test_shape": ("test_everyday",)})
    by = {(t.implementation, t.exercise, t.name): t.points for t in tests}
    assert sum(v for (i, e, _), v in by.items() if i == "a") == pytest.approx(5.0)
    assert sum(v for (i, e, _), v in by.items() if (i, e) == ("b", "losses.mse")) == 10.0
    # The unsupported shape check scores 0 first; the value check's 10/3 is already below 5.
    assert by["b", "losses.mae", "T::test_shape"] == 0.0
    assert by["b", "losses.mae", "T::test_value"] == pytest.approx(10 / 3)


def test_an_uncounted_everyday_check_caps_nothing():
    tests = [record("test_everyday[cuda]", SKIPPED, counted=False), record("test_edge")]
    assert capped(tests, ["test_everyday[cuda]"])["test_edge"] == 10.0


def build(tests, implementations=("ada", "bo")) -> dict:
    results.assign_points(tests, {"losses.mse": 10.0, "losses.mae": 6.0})
    return results.build(
        tests,
        implementations=[{"name": n, "kind": "folder"} for n in implementations],
        titles={"losses.mse": "Mean squared error"},
        suite="graders",
        started_at="2026-11-21T13:30:00+00:00",
        duration_s=4.23456,
        devices=["cpu", "cuda"],
        environment={"python": "3.11.7"},
    )


def test_one_block_per_implementation_with_its_own_totals():
    doc = build(
        [
            record("test_a", impl="ada"),
            record("test_b", FAILED, impl="ada"),
            record("test_a", impl="bo", exercise="losses.mae"),
            record("test_b", impl="bo"),
        ]
    )
    ada, bo = doc["implementations"]
    assert (ada["name"], ada["kind"]) == ("ada", "folder")
    assert (ada["points"], ada["max_points"]) == (5.0, 10.0)
    assert (bo["name"], bo["points"], bo["max_points"]) == ("bo", 16.0, 16.0)
    assert [e["id"] for e in bo["exercises"]] == ["losses.mae", "losses.mse"]
    assert ada["exercises"][0] == {
        "id": "losses.mse",
        "title": "Mean squared error",
        "points": 5.0,
        "max_points": 10.0,
        "status": "partial",
        "passed": 1,
        "failed": 1,
        "not_implemented": 0,
        "errors": 0,
        "skipped": 0,
        "first_failure": "failed",
        "misconceptions": [],
    }


def test_the_document_carries_the_run_and_every_test_record():
    tests = [record("test_a", impl="ada"), record("test_b", ERROR, impl="ada", message="boom")]
    doc = build(tests, implementations=("ada",))
    assert doc["schema"] == results.SCHEMA == "descent.results/1"
    assert {k: doc[k] for k in ("suite", "started_at", "duration_s", "devices", "environment")} == {
        "suite": "graders",
        "started_at": "2026-11-21T13:30:00+00:00",
        "duration_s": 4.235,
        "devices": ["cpu", "cuda"],
        "environment": {"python": "3.11.7"},
    }
    assert [set(t) for t in doc["tests"]] == [{f.name for f in fields(results.TestResult)}] * 2
    assert [(t["outcome"], t["points"], t["message"]) for t in doc["tests"]] == [
        (PASSED, 5.0, ""),
        (ERROR, 0.0, "boom"),
    ]


def test_an_uncounted_test_is_listed_but_adds_to_neither_total():
    doc = build(
        [
            record("test_a[cpu]", impl="ada"),
            record("test_a[cuda]", SKIPPED, impl="ada", counted=False),
        ],
        ("ada",),
    )
    [block] = doc["implementations"]
    assert (block["points"], block["max_points"]) == (10.0, 10.0)
    assert block["exercises"][0]["skipped"] == 0
    assert [(t["name"], t["counted"]) for t in doc["tests"]] == [
        ("T::test_a[cpu]", True),
        ("T::test_a[cuda]", False),
    ]


def test_an_implementation_without_tests_has_an_empty_block():
    doc = build([record("test_a", impl="ada")], ("ada", "bo"))
    assert doc["implementations"][1] == {
        "name": "bo",
        "kind": "folder",
        "points": 0.0,
        "max_points": 0.0,
        "exercises": [],
    }


def test_written_results_read_back_unchanged(tmp_path):
    doc = build([record("test_a", impl="ada")], ("ada",))
    path = results.write(doc, tmp_path / "new" / "folder" / "results.json")
    assert results.load(path) == doc
    results.write(build([record("test_a", FAILED, impl="ada")], ("ada",)), path)
    assert results.load(path)["implementations"][0]["points"] == 0.0
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]  # no .tmp left behind


def test_only_a_results_document_is_read(tmp_path):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema": "descent.results/0", "tests": []}))
    with pytest.raises(ValueError, match=r"other\.json: not a descent\.results/1 file"):
        results.load(other)
    other.write_text("{}")
    with pytest.raises(ValueError, match="not a descent.results/1 file"):
        results.load(other)


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


def test_a_test_record_as_a_dict_is_what_asdict_gives_and_shares_nothing_mutable():
    """``TestResult.as_dict`` skips ``asdict``'s deep copy: safe only while every field holds a
    number, a flag or text (a list or dict field would then be shared with the record)."""
    import dataclasses
    import typing

    kept = results.TestResult(
        "graders/test_losses.py::test_a",
        "ada",
        "losses.mse",
        "test_a",
        "cpu",
        2.0,
        outcome=results.FAILED,
        message="m",
        misconception="mean over rows",
    )
    assert kept.as_dict() == dataclasses.asdict(kept)
    assert list(kept.as_dict()) == [f.name for f in dataclasses.fields(results.TestResult)]
    scalars = {str, float, int, bool, type(None)}
    for name, hint in typing.get_type_hints(results.TestResult).items():
        if name != "picture":  # the one field of lists, copied (below)
            assert set(typing.get_args(hint) or (hint,)) <= scalars, name
    kept.picture = {"kind": "line", "student": [1.0, 2.0, 3.0]}
    shown = kept.as_dict()
    assert shown == dataclasses.asdict(kept)
    shown["picture"]["student"].append(4.0)
    assert kept.picture["student"] == [1.0, 2.0, 3.0]


def test_a_write_the_tests_check_is_shown_by_its_kind_never_its_hidden_subject():
    name = "test_written_tests[losses.mse.tests-{}-{}]"
    assert results.shown_name(name.format("chaff", "mse_sum")) == (
        "a mistake no test of yours catches"
    )
    assert results.shown_name(name.format("wheat", "mse_loop")) == (
        "a correct version a test of yours fails"
    )
    assert results.shown_name(name.format("behaviour", "only-behaviour")) == (
        "tests of yours that did not count"
    )
    assert results.written_check(name.format("chaff", "mse_sum"))
    assert results.shown_name("TestMSE::test_value[cpu]") == "TestMSE::test_value[cpu]"
    assert not results.written_check("TestMSE::test_value[cpu]")
