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
    # BEGIN SOLUTION
    # uniform logits over C = 4 classes: the loss of every row is ln 4, and so is their mean
    logits = torch.zeros(3, 4, dtype=torch.float64)
    loss, _ = impl.cross_entropy_forward(logits, torch.tensor([0, 1, 3]))
    assert torch.isclose(loss, torch.tensor(4.0, dtype=torch.float64).log())
    # END SOLUTION


# BEGIN SOLUTION
def close(got, want, rtol=1e-7, atol=1e-9):
    """Same dtype, shape and values (within rtol and atol): what torch.testing.assert_close
    checks, without the cost of its first call (it imports much of torch.distributed)."""
    assert isinstance(got, torch.Tensor) and (got.dtype, got.shape) == (want.dtype, want.shape)
    assert torch.allclose(got, want, rtol=rtol, atol=atol), f"{got} != {want}"


def _case(weighted, smoothing):
    logits = torch.randn(5, 4, dtype=torch.float64) * 3
    target = torch.tensor([0, 3, 1, 1, 2])
    weight = torch.tensor([0.5, 2.0, 1.0, 3.0], dtype=torch.float64) if weighted else None
    return logits, target, weight, smoothing


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_loss_is_what_pytorch_computes(impl, weighted, smoothing):
    logits, target, weight, eps = _case(weighted, smoothing)
    loss, _ = impl.cross_entropy_forward(logits, target, weight, eps)
    expected = F.cross_entropy(logits, target, weight=weight, label_smoothing=eps)
    close(loss, expected)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_gradient_is_what_autograd_computes(impl, weighted, smoothing):
    logits, target, weight, eps = _case(weighted, smoothing)
    _, cache = impl.cross_entropy_forward(logits, target, weight, eps)
    dlogits = impl.cross_entropy_backward(torch.tensor(0.7, dtype=torch.float64), cache)
    leaf = logits.clone().requires_grad_()
    (F.cross_entropy(leaf, target, weight=weight, label_smoothing=eps) * 0.7).backward()
    assert isinstance(dlogits, torch.Tensor) and dlogits.shape == logits.shape
    close(dlogits, leaf.grad)


@pytest.mark.parametrize("scale", [1e3, 1e4])
def test_large_logits_give_a_finite_loss(impl, scale):
    # row 0: the true class is far below the others; row 1: far above
    logits = torch.tensor([[0.0, 1.0, -1.0], [1.0, 0.0, -1.0]], dtype=torch.float32) * scale
    loss, _ = impl.cross_entropy_forward(logits, torch.tensor([2, 0]))
    expected = F.cross_entropy(logits.double(), torch.tensor([2, 0])).float()
    assert torch.isfinite(loss)
    close(loss, expected)
# END SOLUTION
