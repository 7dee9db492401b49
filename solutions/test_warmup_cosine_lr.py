"""Write the tests: linear warmup then cosine annealing
(exercise ``schedules.warmup_cosine_lr.tests``).

Write pytest functions that pass on every correct ``warmup_cosine_lr`` (its docstring, in
``starter/schedules.py``, is the contract) and fail on as many wrong ones as you can think of.
Each test receives the implementation under test as ``impl`` and calls
``impl.warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr)``. Do not import your
own ``schedules.py``. Run ``pytest exercises/ -k warmup_cosine_lr.tests`` to try your tests on a
few public versions (they are PyTorch's schedulers: compare rates with a tolerance, such as
``pytest.approx``).

A test may use torch, numpy, math, pytest and the standard library's pure helpers; it may tell
implementations apart only by what they compute.
"""

import math

import pytest


def test_my_first_check(impl):
    # BEGIN SOLUTION
    # warmup of 4 steps to base_lr 0.8: 0.2, 0.4, 0.6, 0.8 (the first step is not 0)
    rates = [impl.warmup_cosine_lr(step, 0.8, 4, 10) for step in range(4)]
    assert rates == pytest.approx([0.2, 0.4, 0.6, 0.8])
    # END SOLUTION


# BEGIN SOLUTION
def _cosine(k, base_lr, steps, min_lr):
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * min(k, steps) / steps)) / 2


@pytest.mark.parametrize("min_lr", [0.0, 0.05])
def test_every_step_of_a_run(impl, min_lr):
    warmup, total, base = 3, 11, 0.5
    for step in range(total + 3):
        if step < warmup:
            want = base * (step + 1) / warmup  # from 0, whatever min_lr is
        else:
            want = _cosine(step - warmup, base, total - warmup, min_lr)
        got = impl.warmup_cosine_lr(step, base, warmup, total, min_lr)
        assert type(got) is float
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12), step


def test_without_warmup_it_is_the_cosine(impl):
    for step in range(9):
        got = impl.warmup_cosine_lr(step, 1.0, 0, 8)
        assert got == pytest.approx(_cosine(step, 1.0, 8, 0.0), rel=1e-9, abs=1e-12)
# END SOLUTION
