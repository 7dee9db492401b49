"""The graders' cost budget (``descent.authoring.budget``), without a grading of the kit: the budget
rules, its file, and the totals of the work counter's rows. (That the kit's graders stay within
it is tests/test_budget.py; the counter itself is tested in tests/grading/test_work_count.py.)"""

from __future__ import annotations

import pytest

from descent.authoring import budget

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


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
