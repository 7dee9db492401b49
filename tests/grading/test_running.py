"""How a graded test runs (``descent.grading.running``): a test that ran out of time runs once
more before it is charged, and only its second attempt is recorded. (The worker stopped after an
implementation's last test: tests/isolation/test_retired_workers.py; a composite run again with
the kit's parts: tests/grading/test_composite.py.)"""

from __future__ import annotations

import pytest

from descent import results

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

pytest_plugins = ["pytester"]


SLOW_ONCE = """
_calls = [0]


def mse_forward(pred, target):
    _calls[0] += 1
    while _calls[0] == 1:  # the first call does not finish in time (a machine too busy)
        pass
    return (pred - target) ** 2, (pred, target)


def huber_forward(pred, target, delta=1.0):
    while True:
        pass
"""

RETRIED = """
import pytest
import torch

@pytest.mark.exercise("losses.mse")
def test_forward(impl):
    loss, _ = impl.losses.mse_forward(torch.ones(2), torch.zeros(2))
    assert loss.tolist() == [1.0, 1.0]

@pytest.mark.exercise("losses.huber")
@pytest.mark.parametrize("n", [1, 2])
def test_huber(impl, n):
    impl.losses.huber_forward(torch.ones(2), torch.zeros(2))
"""


def test_a_test_that_ran_out_of_time_runs_once_more_before_it_is_charged(grade_toy, pytester):
    folder = pytester.mkdir("slow")
    folder.joinpath("losses.py").write_text(SLOW_ONCE)
    args = (f"--impl={folder}", "--isolation=none", "--insecure", "--call-timeout=0.3")
    toy = grade_toy(RETRIED, *args)
    assert toy.test("test_forward")["outcome"] == results.PASSED  # the second attempt
    first, second = toy.test("test_huber[1]"), toy.test("test_huber[2]")
    assert "did not return within 0.3 s: time limit exceeded" in first["message"]
    assert "earlier in this run; not called again" in second["message"]
    assert len(toy.doc["tests"]) == 3  # one record per test, whatever its attempts
