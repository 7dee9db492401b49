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
    # BEGIN SOLUTION
    # one feature, batch [1, 3]: mean 2, biased variance 1, so y = [-1, 1] / sqrt(1 + eps)
    x = torch.tensor([[1.0], [3.0]], dtype=torch.float64)
    ones, zeros = torch.ones(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    y, _, _, _ = impl.batchnorm_forward(x, ones, zeros, zeros, ones, True, eps=0.0)
    close(y, torch.tensor([[-1.0], [1.0]], dtype=torch.float64))
    # END SOLUTION


# BEGIN SOLUTION
def close(got, want, rtol=1e-7, atol=1e-9):
    """Same dtype, shape and values (within rtol and atol): what torch.testing.assert_close
    checks, without the cost of its first call (it imports much of torch.distributed)."""
    assert isinstance(got, torch.Tensor) and (got.dtype, got.shape) == (want.dtype, want.shape)
    assert torch.allclose(got, want, rtol=rtol, atol=atol), f"{got} != {want}"


def _inputs(dtype=torch.float64):
    x = torch.randn(5, 3, dtype=dtype) * 2 + 1
    gamma = torch.tensor([1.5, -0.5, 2.0], dtype=dtype)
    beta = torch.tensor([0.3, 1.0, -2.0], dtype=dtype)
    running_mean = torch.tensor([0.1, -0.2, 0.3], dtype=dtype)
    running_var = torch.tensor([1.5, 0.5, 2.0], dtype=dtype)
    return x, gamma, beta, running_mean, running_var


def _expected(x, gamma, beta, running_mean, running_var, training, momentum, eps):
    rm, rv = running_mean.clone(), running_var.clone()
    leaves = [t.clone().requires_grad_() for t in (x, gamma, beta)]
    y = F.batch_norm(leaves[0], rm, rv, leaves[1], leaves[2], training, momentum, eps)
    return y, rm, rv, leaves


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("eps", [1e-5, 0.5])
def test_forward_and_backward_are_what_pytorch_computes(impl, training, eps):
    x, gamma, beta, running_mean, running_var = _inputs()
    given = [t.clone() for t in (x, gamma, beta, running_mean, running_var)]
    y, rm, rv, cache = impl.batchnorm_forward(x, gamma, beta, running_mean, running_var,
                                              training, 0.2, eps)
    want_y, want_rm, want_rv, leaves = _expected(x, gamma, beta, running_mean, running_var,
                                                 training, 0.2, eps)
    close(y, want_y.detach())
    assert rm.shape == rv.shape == (3,)
    close(rm, want_rm)
    close(rv, want_rv)
    for before, after in zip(given, (x, gamma, beta, running_mean, running_var)):
        assert torch.equal(before, after)
    dy = torch.randn(5, 3, dtype=torch.float64)
    dx, dgamma, dbeta = impl.batchnorm_backward(dy, cache)
    (want_y * dy).sum().backward()
    assert dgamma.shape == dbeta.shape == (3,)
    for got, leaf in zip((dx, dgamma, dbeta), leaves):
        close(got, leaf.grad)


def test_float32_with_a_large_mean_stays_accurate(impl):
    x64 = 1e4 + torch.randn(6, 2, dtype=torch.float64)
    ones, zeros = torch.ones(2), torch.zeros(2)
    y, _, _, _ = impl.batchnorm_forward(x64.float(), ones, zeros, zeros, ones, True)
    want, _, _, _ = _expected(x64, ones.double(), zeros.double(), zeros.double(), ones.double(),
                              True, 0.1, 1e-5)
    close(y, want.detach().float(), atol=1e-3, rtol=1e-3)
# END SOLUTION
