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
    # BEGIN SOLUTION
    # one example, W of shape (Dout=2, Din=3): y = x @ W.T + b
    x = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64)
    W = torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]], dtype=torch.float64)
    b = torch.tensor([10.0, 20.0], dtype=torch.float64)
    y, _ = impl.linear_forward(x, W, b)
    close(y, torch.tensor([[8.0, 23.0]], dtype=torch.float64))
    # END SOLUTION


# BEGIN SOLUTION
def close(got, want, rtol=1e-7, atol=1e-9):
    """Same dtype, shape and values (within rtol and atol): what torch.testing.assert_close
    checks, without the cost of its first call (it imports much of torch.distributed)."""
    assert isinstance(got, torch.Tensor) and (got.dtype, got.shape) == (want.dtype, want.shape)
    assert torch.allclose(got, want, rtol=rtol, atol=atol), f"{got} != {want}"


def test_gradients_are_what_autograd_computes(impl):
    # N, Din and Dout all different, so that no transpose or reduction fits by accident
    x = torch.randn(4, 3, dtype=torch.float64)
    W = torch.randn(5, 3, dtype=torch.float64)
    b = torch.randn(5, dtype=torch.float64)
    dy = torch.randn(4, 5, dtype=torch.float64)
    y, cache = impl.linear_forward(x, W, b)
    dx, dW, db = impl.linear_backward(dy, cache)
    leaves = [t.clone().requires_grad_() for t in (x, W, b)]
    (torch.nn.functional.linear(*leaves) * dy).sum().backward()
    assert y.shape == (4, 5)
    close(y, x @ W.T + b)
    assert (dx.shape, dW.shape, db.shape) == ((4, 3), (5, 3), (5,))
    for got, leaf in zip((dx, dW, db), leaves):
        close(got, leaf.grad)
# END SOLUTION
