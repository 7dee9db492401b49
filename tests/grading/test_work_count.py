"""The work counter (``descent.grading.work_count``, the plugin behind ``descent budget``) on a toy
kit: calls from the test into the implementation are counted, not those the implementation makes
itself, and a property test's examples."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast
pytest_plugins = ["pytester"]

SOLUTIONS = """
def _square(d):
    return d * d


def mse_forward(pred, target):
    return _square(pred - target), None


def mse_backward(dout, cache):
    return dout
"""

TESTS = """
import pytest
from hypothesis import given, settings, strategies as st


@pytest.mark.exercise("losses.mse")
def test_three_calls(check):
    for k in range(3):
        check.impl.losses.mse_forward(float(k), 1.0)


@pytest.mark.exercise("losses.mse")
@settings(max_examples=5)
@given(st.floats(-10, 10))
def test_property(check, x):
    check.impl.losses.mse_forward(x, 0.0)
"""


def test_the_counter_counts_calls_from_the_test_and_examples_run(grade_toy, pytester):
    (pytester.path / "solutions" / "losses.py").write_text(SOLUTIONS)
    out = pytester.path / "work.json"
    grade_toy(TESTS, "--impl=solutions", "-p", "descent.grading.work_count", f"--work-out={out}")
    rows = {r["nodeid"].split("::")[-1]: r for r in json.loads(out.read_text())["tests"]}
    three, prop = rows["test_three_calls"], rows["test_property"]
    # _square, called by mse_forward, is the implementation's own call: not counted
    assert (three["calls"], three["examples"], three["steps"]) == (3, 1, 0)
    assert (prop["calls"], prop["examples"]) == (5, 5)
    assert three["module"] == "toy" and not three["isolated"] and three["requests"] == 0
