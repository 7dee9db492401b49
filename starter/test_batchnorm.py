"""Write the tests: batch normalization (exercise ``normalization.batchnorm.tests``).

Write pytest functions that pass on every correct ``batchnorm_forward`` / ``batchnorm_backward``
(their docstrings, in ``starter/normalization.py``, are the contract) and fail on as many wrong
ones as you can think of. Each test receives the implementation under test as ``impl`` and calls
``impl.batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum, eps)``,
which returns ``(y, new_running_mean, new_running_var, cache)``, and
``impl.batchnorm_backward(dy, cache)``; the cache is opaque: hand it to the backward, nothing
else. What a call does to the tensors you hand it is visible to your test. Do not import your own
``normalization.py``. Run ``pytest exercises/ -k batchnorm.tests`` to try your tests on a few
public versions.

A test may use torch (``torch.nn.functional`` and autograd included, to compute what you
expect), numpy, math, pytest and the standard library's pure helpers; it may tell
implementations apart only by what they compute.
"""

import pytest
import torch
import torch.nn.functional as F


def test_my_first_check(impl):
    raise NotImplementedError("test_batchnorm: test_my_first_check is not implemented yet (starter/test_batchnorm.py)")


