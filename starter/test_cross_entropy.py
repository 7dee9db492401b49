"""Write the tests: cross-entropy with class weights and label smoothing
(exercise ``losses.cross_entropy.tests``).

Write pytest functions that pass on every correct ``cross_entropy_forward`` /
``cross_entropy_backward`` (their docstrings, in ``starter/losses.py``, are the contract) and
fail on as many wrong ones as you can think of. Each test receives the implementation under
test as ``impl`` and calls ``impl.cross_entropy_forward(logits, target, weight,
label_smoothing)`` and ``impl.cross_entropy_backward(dloss, cache)``; the cache is opaque:
hand it to the backward, nothing else. Do not import your own ``losses.py``. Run ``pytest
exercises/ -k cross_entropy.tests`` to try your tests on a few public versions.

A test may use torch (``torch.nn.functional`` included, to compute what you expect), numpy,
math, pytest and the standard library's pure helpers; it may tell implementations apart only by
what they compute.
"""

import pytest
import torch
import torch.nn.functional as F


def test_my_first_check(impl):
    raise NotImplementedError("test_cross_entropy: test_my_first_check is not implemented yet (starter/test_cross_entropy.py)")


