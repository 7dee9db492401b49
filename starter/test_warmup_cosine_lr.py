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
    raise NotImplementedError("test_warmup_cosine_lr: test_my_first_check is not implemented yet (starter/test_warmup_cosine_lr.py)")


