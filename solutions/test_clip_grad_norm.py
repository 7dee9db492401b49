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
    # BEGIN SOLUTION
    # gradients (3, 4) and (0,): global norm 5, clipped to 1 -> scaled by 1/5 (up to eps)
    grads = [torch.tensor([3.0, 4.0], dtype=torch.float64), torch.tensor([0.0], dtype=torch.float64)]
    clipped, total = impl.clip_grad_norm(grads, 1.0)
    close(total, torch.tensor(5.0, dtype=torch.float64))
    close(clipped[0], torch.tensor([0.6, 0.8], dtype=torch.float64), rtol=1e-5, atol=0)
    # END SOLUTION


# BEGIN SOLUTION
def close(got, want, rtol=1e-7, atol=1e-9):
    """Same dtype, shape and values (within rtol and atol): what torch.testing.assert_close
    checks, without the cost of its first call (it imports much of torch.distributed)."""
    assert isinstance(got, torch.Tensor) and (got.dtype, got.shape) == (want.dtype, want.shape)
    assert torch.allclose(got, want, rtol=rtol, atol=atol), f"{got} != {want}"


def _grads():
    return [torch.randn(3, 2, dtype=torch.float64), torch.randn(4, dtype=torch.float64) * 5]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_one_global_norm_and_one_scale(impl, norm_type):
    grads = _grads()
    given = [g.clone() for g in grads]
    flat = torch.cat([g.reshape(-1) for g in grads])
    want = flat.abs().max() if norm_type == math.inf else flat.abs().pow(norm_type).sum() ** (
        1 / norm_type)
    clipped, total = impl.clip_grad_norm(grads, 0.5, norm_type)
    assert isinstance(total, torch.Tensor) and total.dim() == 0
    close(total, want)
    scale = 0.5 / (want + 1e-6)
    for got, g, before in zip(clipped, grads, given):
        close(got, g * scale)
        assert torch.equal(g, before)


def test_small_gradients_are_left_alone(impl):
    grads = [torch.tensor([0.1, -0.2], dtype=torch.float64)]
    clipped, total = impl.clip_grad_norm(grads, 10.0)
    close(clipped[0], grads[0])
    close(total, torch.tensor(0.05, dtype=torch.float64).sqrt())


def test_eps_is_added_to_the_norm(impl):
    # a global norm of 1e-3 clipped to 1e-4: the scale is 1e-4 / (1e-3 + eps), eps = 1e-6
    grads = [torch.tensor([6e-4, 8e-4], dtype=torch.float64)]
    clipped, _ = impl.clip_grad_norm(grads, 1e-4)
    close(clipped[0], grads[0] * 1e-4 / (1e-3 + 1e-6), rtol=1e-9, atol=0)


def test_zero_gradients_stay_zero(impl):
    clipped, total = impl.clip_grad_norm([torch.zeros(3, dtype=torch.float64)], 1.0)
    assert torch.equal(clipped[0], torch.zeros(3, dtype=torch.float64))
    assert float(total) == 0.0
# END SOLUTION
