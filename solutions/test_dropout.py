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
    # BEGIN SOLUTION
    # in evaluation mode dropout is the identity
    x = torch.randn(4, 5, dtype=torch.float64)
    y, cache = impl.dropout_forward(x, 0.5, training=False, generator=_generator())
    close(y, x)
    close(impl.dropout_backward(x, cache), x)
    # END SOLUTION


# BEGIN SOLUTION
def close(got, want, rtol=1e-7, atol=1e-9):
    """Same dtype, shape and values (within rtol and atol): what torch.testing.assert_close
    checks, without the cost of its first call (it imports much of torch.distributed)."""
    assert isinstance(got, torch.Tensor) and (got.dtype, got.shape) == (want.dtype, want.shape)
    assert torch.allclose(got, want, rtol=rtol, atol=atol), f"{got} != {want}"


def test_drop_rate_and_scale(impl):
    x = torch.ones(200, 100, dtype=torch.float64)
    given = x.clone()
    y, _ = impl.dropout_forward(x, 0.3, generator=_generator())
    assert torch.equal(x, given)
    dropped = float((y == 0).double().mean())
    assert abs(dropped - 0.3) < 0.02
    kept = y[y != 0]
    close(kept, torch.full_like(kept, 1 / 0.7))


def test_rows_get_masks_of_their_own(impl):
    y, _ = impl.dropout_forward(torch.ones(50, 40), 0.5, generator=_generator())
    assert not all(torch.equal(y[0] == 0, row == 0) for row in y[1:])


def test_the_same_seed_gives_the_same_result(impl):
    x = torch.randn(30, 20, dtype=torch.float64)
    first, _ = impl.dropout_forward(x, 0.4, generator=_generator(7))
    again, _ = impl.dropout_forward(x, 0.4, generator=_generator(7))
    other, _ = impl.dropout_forward(x, 0.4, generator=_generator(8))
    assert torch.equal(first, again) and not torch.equal(first, other)


@pytest.mark.parametrize("p", [0.25, 0.6])
def test_backward_uses_the_forward_mask_and_scale(impl, p):
    x = torch.rand(20, 30, dtype=torch.float64) + 0.5  # no zero entry
    y, cache = impl.dropout_forward(x, p, generator=_generator())
    dy = torch.randn(20, 30, dtype=torch.float64)
    close(impl.dropout_backward(dy, cache), dy * y / x)


@pytest.mark.parametrize(("p", "training"), [(0.0, True), (0.5, False)])
def test_identity_cases_pass_the_gradient_through(impl, p, training):
    x, dy = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64)
    _, cache = impl.dropout_forward(x, p, training=training, generator=_generator())
    close(impl.dropout_backward(dy, cache), dy)


def test_p_one_drops_everything_without_nan(impl):
    x = torch.randn(3, 4, dtype=torch.float64)
    y, cache = impl.dropout_forward(x, 1.0, generator=_generator())
    assert torch.equal(y, torch.zeros_like(x))
    assert torch.equal(impl.dropout_backward(torch.ones_like(x), cache), torch.zeros_like(x))
# END SOLUTION
