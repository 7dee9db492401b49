"""The kit's own gradient check (descent.grading.gradcheck): correct pairs pass, and each way a
backward can disagree with its forward fails with the check that caught it."""

from __future__ import annotations

import pytest
import torch

from descent.grading.checker import Checker
from descent.grading.compare import GradingFailure
from descent.grading.gradcheck import SLOW_MODE_LIMIT, gradcheck_pair

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _check(forward, backward, args, wrt=(0,)):
    gradcheck_pair(
        forward,
        backward,
        args,
        wrt,
        kwargs={},
        split=None,
        what="the backward",
        checker=Checker(None, None, None),
    )


def tanh_forward(x):
    y = torch.tanh(x)
    return y, y


def tanh_backward(dout, y):
    return dout * (1 - y * y)


def sumsq_forward(x, w):
    return (w * x * x).sum(), (x, w)


def sumsq_backward(dout, cache):
    x, w = cache
    return 2 * dout * w * x, dout * x * x


def _x(*shape):
    return torch.randn(*shape, dtype=torch.float64, generator=torch.Generator().manual_seed(3))


@pytest.mark.parametrize("shape", [(3, 4), (30, 20)], ids=["every-entry", "projected"])
def test_correct_pairs_pass(shape):
    assert (30 * 20 > SLOW_MODE_LIMIT) and (3 * 4 <= SLOW_MODE_LIMIT)
    _check(tanh_forward, tanh_backward, [_x(*shape)])
    _check(sumsq_forward, sumsq_backward, [_x(*shape), _x(*shape).abs()], wrt=(0, 1))


@pytest.mark.parametrize("shape", [(3, 4), (30, 20)], ids=["every-entry", "projected"])
def test_a_wrong_derivative_fails(shape):
    with pytest.raises(GradingFailure, match="disagrees with finite differences"):
        _check(tanh_forward, lambda d, y: d * (1 - y), [_x(*shape)])


def test_ignoring_dout_fails_even_for_a_scalar_output():
    with pytest.raises(GradingFailure, match="disagrees with finite differences"):
        _check(
            sumsq_forward,
            lambda d, c: sumsq_backward(torch.ones_like(d), c),
            [_x(3, 4), _x(3, 4)],
            wrt=(0, 1),
        )


def test_a_term_not_multiplied_by_dout_fails():
    with pytest.raises(GradingFailure, match="zero upstream gradient"):
        _check(tanh_forward, lambda d, y: d * (1 - y * y) + 1e-9, [_x(3, 4)])


def test_a_backward_that_edits_its_cache_fails():
    def backward(dout, y):
        grad = dout * (1 - y * y)
        y.mul_(0.5)
        return grad

    with pytest.raises(GradingFailure, match="called twice"):
        _check(tanh_forward, backward, [_x(3, 4)])


def test_nan_given_twice_is_the_same_answer():
    """A held-out learner's tanh backward gives NaN (inf - inf) on every call alike: it was told
    that it answers differently when called twice, a cause it does not have."""

    def backward(dout, y):
        grad = dout * (1 - y * y)
        grad[0, 0] = float("inf") - float("inf")
        return grad

    with pytest.raises(GradingFailure) as failed:
        _check(tanh_forward, backward, [_x(3, 4)])
    assert "called twice" not in str(failed.value)


@pytest.mark.parametrize("shape", [(2, 3), (40, 30)])  # every entry, then projections
def test_a_backward_that_accumulates_into_its_cache_fails_as_editing_it(shape):
    # (an EPFL learner's layer, its cache the module) the same tensor handed back each call
    def forward(x):
        return torch.tanh(x), {"y": torch.tanh(x), "dx": torch.zeros_like(x)}

    def backward(dout, cache):
        cache["dx"] += dout * (1 - cache["y"] ** 2)
        return cache["dx"]

    with pytest.raises(GradingFailure, match="called twice"):
        _check(forward, backward, [_x(*shape)])


def test_a_broadcast_gradient_fails_on_its_shape():
    with pytest.raises(GradingFailure, match="shape"):
        _check(
            sumsq_forward,
            lambda d, c: (sumsq_backward(d, c)[0], d * c[0].sum(0)),
            [_x(3, 4), _x(3, 4)],
            wrt=(0, 1),
        )


def test_the_message_locates_the_worst_entry():
    def backward(dout, y):
        grad = dout * (1 - y * y)
        grad[1, 2] *= 2.0
        return grad

    with pytest.raises(GradingFailure) as info:
        _check(tanh_forward, backward, [_x(3, 4)])
    assert "d output[1, 2] / d argument #1[1, 2]" in str(info.value)


def test_arguments_are_fresh_for_every_call():
    gen = torch.Generator().manual_seed(5)
    x = _x(2, 3)

    def forward(x, g):  # draws from its generator: the same mask only if g is a fresh copy
        mask = (torch.rand(x.shape, generator=g, dtype=x.dtype) > 0.5).to(x.dtype)
        return x * mask, mask

    _check(forward, lambda d, mask: d * mask, [x, gen])
    assert torch.equal(gen.get_state(), torch.Generator().manual_seed(5).get_state())
