"""The graders' cost budget, without a grading of the kit: the work counter on a toy kit (calls
from the test into the implementation, not those it makes itself; examples of a property), the
budget rules and file, the capstone's reproducibility rule and its loss-curve data."""

from __future__ import annotations

import json

import pytest
import torch

from descent.authoring import budget
from descent.grading.capstone import same_training

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


def test_a_module_past_a_budget_is_named_with_the_command_that_records_it():
    measured = {"optim": {"requests": 10, "calls": 900, "steps": 903, "examples": 110}}
    budgets = {"optim": {"requests": 30, "calls": 900, "steps": 900, "examples": 200}}
    [overrun] = budget.over(measured, budgets)
    assert (overrun.module, overrun.count, overrun.measured, overrun.budget) == (
        "optim",
        "steps",
        903,
        900,
    )
    text = overrun.message()
    assert "graders/test_optim.py" in text and "903 steps" in text and "budget 900" in text
    assert "descent budget --record" in text and "graders/budget.toml" in text
    # a module the file does not know yet has a budget of 0 for everything it does
    assert [o.count for o in budget.over({"new": {"calls": 1}}, {})] == ["calls"]


def test_the_budget_leaves_room_above_what_was_measured():
    assert budget.headroom(0) == budget.FLOOR
    assert budget.headroom(40) == 40 + budget.FLOOR
    assert budget.headroom(1000) == 1250
    assert all(budget.headroom(n) > n for n in range(0, 5000, 7))


def test_the_file_round_trips_and_says_how_to_record_it(tmp_path):
    measured = {"losses": {"requests": 128, "calls": 455, "steps": 0, "examples": 89}}
    (tmp_path / "graders").mkdir()
    budget.record(tmp_path, measured)
    text = (tmp_path / budget.BUDGET_FILE).read_text()
    assert "descent budget --record" in text and text.startswith("#")
    budgets, again = budget.load(tmp_path)
    assert again == measured
    assert budgets["losses"] == {k: budget.headroom(v) for k, v in measured["losses"].items()}


def test_a_missing_or_broken_file_says_what_to_run(tmp_path):
    with pytest.raises(budget.DescentError, match="descent budget --record"):
        budget.load(tmp_path)
    (tmp_path / "graders").mkdir()
    (tmp_path / budget.BUDGET_FILE).write_text("[losses\n")
    with pytest.raises(budget.DescentError, match="not valid TOML"):
        budget.load(tmp_path)


def test_totals_take_requests_from_the_worker_and_the_rest_in_process():
    rows = [
        {"module": "losses", "isolated": True, "requests": 7},
        {
            "module": "losses",
            "isolated": False,
            "requests": 0,
            "calls": 3,
            "steps": 0,
            "examples": 2,
        },
        {
            "module": "losses",
            "isolated": False,
            "requests": 0,
            "calls": 1,
            "steps": 0,
            "examples": 1,
        },
    ]
    assert budget.totals(rows) == {"losses": {"requests": 7, "calls": 4, "steps": 0, "examples": 3}}


def _run(params, train, val=None):
    return {"params": params, "train_loss": train, "val_loss": val or list(train)}


def test_two_runs_agree_on_parameters_or_on_the_epochs_both_ran():
    p = [(torch.ones(2, 2), torch.zeros(2))]
    q = [(torch.ones(2, 2) * 2, torch.zeros(2))]
    assert same_training(_run(p, [1.0, 0.5]), _run(p, [1.0, 0.5]))
    assert not same_training(_run(p, [1.0, 0.5]), _run(q, [1.0, 0.5]))
    # a time check stopped one run: its epochs are the first ones of the other
    assert same_training(_run(p, [1.0, 0.5, 0.2]), _run(q, [1.0, 0.5]))
    assert not same_training(_run(p, [1.0, 0.5, 0.2]), _run(q, [1.0, 0.6]))
    # without a history, only the parameters can tell
    assert not same_training({"params": p}, {"params": q})
