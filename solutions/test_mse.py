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
    # BEGIN SOLUTION
    # errors 1, 2, 3 -> squares 1, 4, 9 -> mean 14/3 (not the sum, 14)
    loss, _ = impl.mse_forward(T(1.0, 2.0, 3.0), T(0.0, 0.0, 0.0))
    assert torch.isclose(loss, torch.tensor(14 / 3, dtype=torch.float64))
    # END SOLUTION


# BEGIN SOLUTION
def close(got, want, rtol=1e-7, atol=1e-9):
    """Same dtype, shape and values (within rtol and atol): what torch.testing.assert_close
    checks, without the cost of its first call (it imports much of torch.distributed)."""
    assert isinstance(got, torch.Tensor) and (got.dtype, got.shape) == (want.dtype, want.shape)
    assert torch.allclose(got, want, rtol=rtol, atol=atol), f"{got} != {want}"


def test_the_mean_is_over_every_element_of_a_batch(impl):
    # (2, 3): squares sum to 1 + 4 + 0 + 0 + 1 + 4 = 10, over 6 elements (not over 2 rows)
    pred = T([1.0, 2.0, 0.0], [0.0, 1.0, 2.0])
    loss, _ = impl.mse_forward(pred, torch.zeros_like(pred))
    assert torch.isclose(loss, torch.tensor(10 / 6, dtype=torch.float64))


@pytest.mark.parametrize("shape", [(4,), (3, 5)])
def test_gradient_with_an_upstream_gradient(impl, shape):
    pred = torch.randn(shape, dtype=torch.float64)
    target = torch.randn(shape, dtype=torch.float64)
    _, cache = impl.mse_forward(pred, target)
    dpred = impl.mse_backward(torch.tensor(-1.5, dtype=torch.float64), cache)
    expected = -1.5 * 2 * (pred - target) / pred.numel()
    assert dpred.shape == pred.shape
    close(dpred, expected)


def test_float64_stays_float64(impl):
    pred, target = torch.randn(3, 2, dtype=torch.float64), torch.randn(3, 2, dtype=torch.float64)
    loss, cache = impl.mse_forward(pred, target)
    assert loss.dtype == torch.float64 and loss.dim() == 0
    assert impl.mse_backward(torch.tensor(1.0, dtype=torch.float64), cache).dtype == torch.float64
# END SOLUTION
