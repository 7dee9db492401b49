"""Write the tests: Adam (exercise ``optim.adam.tests``).

Write pytest functions that pass on every correct ``adam_step`` (its docstring, in
``starter/optim.py``, is the contract) and fail on as many wrong ones as you can think of. Each
test receives the implementation under test as ``impl`` and calls ``impl.adam_step(param, grad,
state, lr, betas, eps, weight_decay)``, which returns ``(new_param, new_state)``. What a call does
to the tensors and the state you hand it is visible to your test, as it would be in one process.
Do not import your own ``optim.py``. Run ``pytest exercises/ -k adam.tests`` to try your tests
on a few public versions.

A test may use torch (``torch.optim`` included, to compute what you expect), numpy, math,
pytest and the standard library's pure helpers; it may tell implementations apart only by what
they compute.
"""

import math

import pytest
import torch


def test_my_first_check(impl):
    raise NotImplementedError("test_adam: test_my_first_check is not implemented yet (starter/test_adam.py)")


