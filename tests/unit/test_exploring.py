"""Student code run again by a diagnosis (``timelimit.exploring``): a call that runs out of time
there is capped, names nothing, escapes nowhere, and is not remembered as hung, so later tests
still call the function as the student wrote it."""

from __future__ import annotations

import time

import pytest
import torch

from descent import timelimit
from descent.checker import Checker
from descent.compare import GradingFailure

from .test_diagnoses_parameters import LOSSES, X, _Reference

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

NOISE = torch.randn(4, 5, generator=torch.Generator().manual_seed(3), dtype=torch.float64)


def _slow(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@pytest.mark.skipif(not timelimit.available(), reason="needs SIGALRM in the main thread")
def test_a_call_that_runs_out_of_time_while_exploring_is_capped_and_not_remembered(monkeypatch):
    monkeypatch.setattr(timelimit, "EXPLORING_S", 0.2)
    guarded = timelimit.Guarded(30.0)
    slow = guarded.wrap("optim", "slow", _slow)
    start = time.monotonic()
    with timelimit.exploring(), pytest.raises(timelimit.CallTimeout):
        slow(5.0)
    assert time.monotonic() - start < 2.0 and guarded.hung == {}
    assert guarded.wrap("optim", "slow", _slow)(0.0) == 0.0  # still called as written
    hurried = timelimit.Guarded(0.2)
    with pytest.raises(timelimit.CallTimeout):
        hurried.wrap("optim", "slow", _slow)(5.0)
    assert "slow" in hurried.hung  # outside a diagnosis a hang is remembered, as before


def test_a_diagnosis_whose_re_run_runs_out_of_time_names_nothing_and_raises_nothing():
    calls = []

    def log_softmax_forward(x, dim=-1):
        calls.append(dim)
        if len(calls) > 1:  # the diagnosis runs it again: as if the changed input made it hang
            raise timelimit.CallTimeout("log_softmax_forward", 2.0)
        return x.log_softmax(dim) + 0.1 * NOISE, None  # wrong everywhere, in no readable way

    eps = 0.1  # a small float of the call: the first-order re-run halves it

    def recipe(m):
        return m.losses.log_softmax_forward(X * (1 + eps), dim=0)[0]

    student = _Reference(losses={"log_softmax_forward": log_softmax_forward})
    with pytest.raises(GradingFailure) as info:
        Checker(student, LOSSES, "losses.log_softmax").matches(recipe, "log_softmax output")
    failure = info.value.resolve()
    # the student's code was run again (and on the neighbouring input), and those runs timed out
    assert len(calls) == 3
    assert failure.diagnosis is None and "likely mistake" not in str(failure)
