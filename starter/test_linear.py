"""Write the tests: the linear layer (exercise ``layers.linear.tests``).

Write pytest functions that pass on every correct ``linear_forward`` / ``linear_backward``
(their docstrings, in ``starter/layers.py``, are the contract) and fail on as many wrong ones as
you can think of. Each test receives the implementation under test as ``impl`` and calls
``impl.linear_forward(x, W, b)`` and ``impl.linear_backward(dy, cache)``; the cache is opaque:
hand it to the backward, nothing else. Do not import your own ``layers.py``. Run ``pytest
exercises/ -k linear.tests`` to try your tests on a few public versions.

A test may use torch (``torch.nn.functional`` and autograd included, to compute what you
expect), numpy, math, pytest and the standard library's pure helpers; it may tell
implementations apart only by what they compute.
"""

import torch


def test_my_first_check(impl):
    raise NotImplementedError("test_linear: test_my_first_check is not implemented yet (starter/test_linear.py)")


