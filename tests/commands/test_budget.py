"""``descent budget [--record]`` (``descent.commands.budget``), with the measurement stood in
for: each module's counts shown against its budget, exit 1 with the module named when one is
past it, and ``--record`` writing the file from the measurement. (The rules and the file:
tests/authoring/test_budget.py; the kit within its budget: tests/test_budget.py.)"""

from __future__ import annotations

import pytest

from descent.authoring import budget as rules
from descent.commands import budget, main

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

MEASURED = {"losses": {"requests": 7, "calls": 40, "steps": 0, "examples": 12}}


@pytest.fixture
def kit(kit_copy, monkeypatch):
    monkeypatch.setattr(budget.budget, "measure", lambda root: MEASURED)
    return kit_copy


def _budget(kit, calls: int) -> None:
    (kit / rules.BUDGET_FILE).write_text(
        "[losses]\nmeasured = { calls = 1 }\n"
        f"budget = {{ requests = 100, calls = {calls}, steps = 100, examples = 100 }}\n"
    )


def test_within_budget_is_exit_0_with_the_table(kit, capsys):
    _budget(kit, calls=40)
    assert main(["budget"]) == 0
    out = capsys.readouterr().out
    assert "losses" in out and "40 / 40" in out and "past" not in out


def test_a_module_past_its_budget_is_named_with_exit_1(kit, capsys):
    _budget(kit, calls=39)
    assert main(["budget"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "graders/test_losses.py makes the solutions do 40 calls" in out


def test_record_writes_the_measurement_as_the_new_budget(kit, capsys):
    assert main(["budget", "--record"]) == 0
    assert "commit it with the change that needs it" in capsys.readouterr().out
    budgets, _ = rules.load(kit)
    assert rules.over(MEASURED, budgets) == []
