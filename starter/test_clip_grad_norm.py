"""Write the tests: global gradient-norm clipping (exercise ``clipping.clip_grad_norm.tests``).

Write pytest functions that pass on every correct ``clip_grad_norm`` (its docstring, in
``starter/clipping.py``, is the contract) and fail on as many wrong ones as you can think of.
Each test receives the implementation under test as ``impl`` and calls
``impl.clip_grad_norm(grads, max_norm, norm_type, eps)``, which returns ``(clipped,
total_norm)``. What a call does to the tensors you hand it is visible to your test. Do not
import your own ``clipping.py``. Run ``pytest exercises/ -k clip_grad_norm.tests`` to try your
tests on a few public versions.

A test may use torch (``torch.nn.utils`` included, to compute what you expect), numpy, math,
pytest and the standard library's pure helpers; it may tell implementations apart only by what
they compute.
"""

import math

import pytest
import torch


def test_my_first_check(impl):
    raise NotImplementedError("test_clip_grad_norm: test_my_first_check is not implemented yet (starter/test_clip_grad_norm.py)")


