"""Write the tests: mean squared error (exercise ``losses.mse.tests``).

Write pytest functions that pass on every correct ``mse_forward`` / ``mse_backward`` (their
docstrings, in ``starter/losses.py``, are the contract) and fail on as many wrong ones as you
can think of. Each test receives the implementation under test as its ``impl`` argument and
calls ``impl.mse_forward(pred, target)`` and ``impl.mse_backward(dloss, cache)``; the cache is
opaque: hand it to the backward, nothing else. Do not import your own ``losses.py``: your tests
are graded against the course's correct versions and its catalogue of mistakes, none of which
you see. Run ``pytest exercises/ -k mse.tests`` to try them on a few public ones.

A test may use torch, numpy, math, pytest (``parametrize``, ``raises``, ``approx``) and the
standard library's pure helpers; it may tell implementations apart only by what they compute.
"""

import pytest
import torch


def T(*values):
    return torch.tensor(values, dtype=torch.float64)


def test_my_first_check(impl):
    raise NotImplementedError("test_mse: test_my_first_check is not implemented yet (starter/test_mse.py)")


