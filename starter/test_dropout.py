"""Write the tests: inverted dropout (exercise ``regularization.dropout.tests``).

Write pytest functions that pass on every correct ``dropout_forward`` / ``dropout_backward``
(their docstrings, in ``starter/regularization.py``, are the contract) and fail on as many wrong
ones as you can think of. Each test receives the implementation under test as ``impl`` and calls
``impl.dropout_forward(x, p, training, generator)``, which returns ``(y, cache)``, and
``impl.dropout_backward(dy, cache)``; the cache is opaque: hand it to the backward, nothing
else. A ``torch.Generator`` you pass advances as it would in one process, and so does torch's
global random state. Do not import your own ``regularization.py``. Run ``pytest exercises/ -k
dropout.tests`` to try your tests on a few public versions.

Random results differ between correct versions (they may draw in another way): test what every
correct one shares (rates, scales, the same seed giving the same result), never particular
samples. A test may use torch, numpy, math, pytest and the standard library's pure helpers; it
may tell implementations apart only by what they compute.
"""

import pytest
import torch


def _generator(seed=0):
    return torch.Generator().manual_seed(seed)


def test_my_first_check(impl):
    raise NotImplementedError("test_dropout: test_my_first_check is not implemented yet (starter/test_dropout.py)")


