"""The graders' cost budget (graders/budget.toml): grading the reference solutions must not make
them do more work, per grader module, than the budget allows. The counts are deterministic
(descent.work_count), so this is a test of the kit and not a timing; seconds are the benchmark
runner's. One grading run of the solutions with the work counter, in this process and through
a worker: about 20 CPU-s, the cost of measuring every grader module once."""

from __future__ import annotations

import pytest
from conftest import KIT

from descent import budget


@pytest.fixture(scope="module")
def measured() -> budget.Counts:
    return budget.measure(KIT)


def test_every_grader_module_stays_within_its_budget(measured):
    budgets, _ = budget.load(KIT)
    overruns = budget.over(measured, budgets)
    assert not overruns, "\n".join(o.message() for o in overruns)


def test_every_grader_module_is_counted(measured):
    modules = {p.stem.removeprefix("test_") for p in (KIT / "graders").glob("test_*.py")}
    assert set(measured) == modules
    # each module's tests call the solutions, and through a worker make requests
    assert all(
        m["calls"] > 0 and m["requests"] > 0 and m["examples"] > 0 for m in measured.values()
    )
    assert measured["optim"]["steps"] > 0 and measured["train"]["steps"] > 0
