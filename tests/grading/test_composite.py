"""The composite rule on toy parts, in-process and fast (descent.grading.composite): the MLP written by
hand equals autograd, and a composite's failure is handed to the part that explains it, and only
to that one."""

import types

import pytest
import torch

from descent.grading.compare import GradingFailure, compare
from descent.grading.composite import ChargedElsewhere, matches_given_parts, mlp_by_hand, mlp_parts

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _case():
    g = torch.Generator().manual_seed(0)
    sizes = [3, 5, 4]
    params = [
        (torch.randn(o, i, generator=g, dtype=torch.float64), torch.randn(o, generator=g))
        for i, o in zip(sizes, sizes[1:])
    ]
    params = [(W, b.double()) for W, b in params]
    x = torch.randn(6, 3, generator=g, dtype=torch.float64)
    return params, x, torch.tensor([0, 1, 2, 3, 0, 1])


def _autograd(params, x, y, act=torch.tanh):
    leaves = [(W.clone().requires_grad_(), b.clone().requires_grad_()) for W, b in params]
    h = act(x @ leaves[0][0].T + leaves[0][1])
    loss = torch.nn.functional.cross_entropy(h @ leaves[1][0].T + leaves[1][1], y)
    flat = torch.autograd.grad(loss, [t for pair in leaves for t in pair])
    return loss.detach(), [(flat[0], flat[1]), (flat[2], flat[3])]


class _Checker:
    """What matches_given_parts needs of the check fixture: ``impl`` and ``matches``."""

    def __init__(self, impl):
        self.impl = impl

    def matches(self, recipe, what, *, expected, rtol, atol, **kw):
        got = recipe(self.impl)
        if compare(got, expected, rtol=rtol, atol=atol) is not None:
            raise GradingFailure(f"[reference value] {what}: wrong", check="reference value")
        return got


def _impl(tanh_backward, linear_backward=None):
    """A toy implementation: tanh by torch, its backward as given, cross-entropy by torch, a
    linear layer whose backward is given (right by default); its MLP calls all three."""
    linear_backward = linear_backward or _linear_backward
    activations = types.SimpleNamespace(
        tanh_forward=lambda z: (torch.tanh(z), torch.tanh(z)), tanh_backward=tanh_backward
    )
    losses = types.SimpleNamespace(
        cross_entropy_forward=lambda z, y: (torch.nn.functional.cross_entropy(z, y), (z, y)),
        cross_entropy_backward=lambda d, c: (
            d
            * (torch.softmax(c[0], 1) - torch.nn.functional.one_hot(c[1], c[0].shape[1]))
            / c[0].shape[0]
        ),
    )
    mlp = types.SimpleNamespace(
        linear_forward=lambda x, W, b: (x @ W.T + b, (x, W)),
        linear_backward=linear_backward,
    )
    impl = types.SimpleNamespace(activations=activations, losses=losses, layers=mlp)
    mlp.mlp = lambda params, x, y: mlp_by_hand(
        params,
        x,
        y,
        (activations.tanh_forward, tanh_backward),
        (losses.cross_entropy_forward, losses.cross_entropy_backward),
        (mlp.linear_forward, linear_backward),
    )
    return impl


def _linear_backward(dy, cache):
    x, W = cache
    return dy @ W, dy.T @ x, dy.sum(0)


def _linear_backward_db_mean(dy, cache):
    x, W = cache
    return dy @ W, dy.T @ x, dy.mean(0)


def test_the_mlp_by_hand_is_autograd_with_every_part_of_the_implementation():
    params, x, y = _case()
    impl = _impl(lambda dy, t: dy * (1 - t * t))
    for _, with_own in mlp_parts(params, x, y, "tanh"):
        loss, grads = with_own(impl)
        expected = _autograd(params, x, y)
        assert torch.allclose(loss, expected[0])
        assert all(
            torch.allclose(g, e)
            for pair, epair in zip(grads, expected[1])
            for g, e in zip(pair, epair)
        )


def _grade(impl):
    params, x, y = _case()
    matches_given_parts(
        _Checker(impl),
        lambda m: m.layers.mlp(params, x, y),
        "mlp",
        expected=_autograd(params, x, y),
        parts=mlp_parts(params, x, y, "tanh"),
    )


RIGHT, WRONG = (lambda dy, t: dy * (1 - t * t)), (lambda dy, t: dy * (1 - t))


def test_a_failure_through_a_wrong_part_is_charged_to_that_part():
    with pytest.raises(ChargedElsewhere) as failed:
        _grade(_impl(WRONG))
    assert failed.value.charged_to == ("activations.tanh",)
    assert "the mistake is in activations.tanh" in str(failed.value)


@pytest.mark.parametrize("part", [RIGHT, WRONG], ids=["right-part", "wrong-part"])
def test_the_composites_own_mistake_stays_its_own(part):
    impl = _impl(part)
    mlp = impl.layers.mlp
    impl.layers.mlp = lambda *args: (2 * mlp(*args)[0], mlp(*args)[1])  # the loss doubled
    with pytest.raises(GradingFailure) as failed:
        _grade(impl)
    assert not isinstance(failed.value, ChargedElsewhere)


def test_a_wrong_linear_layer_inside_the_mlp_is_charged_to_it():
    """A part of the composite's own module (layers.linear inside the MLP) is a part too."""
    with pytest.raises(ChargedElsewhere) as failed:
        _grade(_impl(RIGHT, _linear_backward_db_mean))
    assert failed.value.charged_to == ("layers.linear",)


def test_a_crash_inside_a_part_is_charged_to_that_part():
    """A composite that raises where the correct computation with the implementation's own part
    raises the same error (cosine_lr dividing by total_steps - 1 = 0 inside the warmup) is
    charged to the part; a stub's NotImplementedError never is."""

    def crashing(dy, t):
        raise ZeroDivisionError("float division by zero")

    with pytest.raises(ChargedElsewhere) as failed:
        _grade(_impl(crashing))
    assert failed.value.charged_to == ("activations.tanh",)
    assert "ZeroDivisionError" in str(failed.value)

    def stub(dy, t):
        raise NotImplementedError("activations.tanh is not implemented yet")

    with pytest.raises(NotImplementedError):
        _grade(_impl(stub))
