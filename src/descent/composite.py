"""One mistake, one charge: grading an exercise that calls other exercises (a composite).

A student's MLP may call their own activation and cross-entropy; the capstone calls most of the
kit. A mistake in one of those parts makes the composite wrong too, and charging both would
count the mistake twice and send the student to the wrong file. So a composite's value check is
written with :func:`matches_given_parts`: besides the expected value, it says how the expected
value is computed *with the implementation's own parts* (the trusted side's composition, calling
the implementation's functions for the parts, through its worker when it has one: no reference
code crosses to the student's side). When the composite's result is wrong, but equals that
composition while the parts alone differ from the reference, the mistake is the parts':

* the failure raised is :class:`ChargedElsewhere`, naming the part exercises at fault;
* the grading plugin gives the test its points back when one of those exercises loses points in
  the same run, or did not run in it (the charge is theirs), and keeps the failure, naming them,
  when their own tests all passed (the composite's check is then the only one that caught it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from . import timelimit
from .compare import GradingFailure, compare

Recipe = Callable[[Any], Any]
# (the part exercises, the expected value computed with the implementation's own parts)
GivenParts = tuple[tuple[str, ...], Recipe]


class ChargedElsewhere(GradingFailure):
    """A composite's result is wrong only through the parts it calls: ``charged_to`` names
    their exercises."""

    def __init__(self, message: str, charged_to: tuple[str, ...], check: str):
        super().__init__(message, check=check)
        self.charged_to = charged_to


def matches_given_parts(
    checker: Any,
    recipe: Recipe,
    what: str,
    /,
    *,
    expected: Any,
    parts: Sequence[GivenParts],
    rtol: float = 1e-7,
    atol: float = 1e-9,
    **kwargs: Any,
) -> Any:
    """``checker.matches(recipe, what, expected=expected, ...)`` for a composite exercise, charged
    only for its own mistakes (see the module's docstring). ``parts`` lists, in order of
    preference, which exercises the composite may call and how the expected value is computed
    with the implementation's own versions of them."""
    try:
        return checker.matches(recipe, what, expected=expected, rtol=rtol, atol=atol, **kwargs)
    except GradingFailure as failure:
        for exercises, with_own in parts:
            own = _own_composition(with_own, checker.impl)
            if own is None or compare(own, expected, rtol=rtol, atol=atol) is None:
                continue  # the parts cannot run, or are right here: the composite's own mistake
            try:
                checker.matches(recipe, what, expected=own, rtol=rtol, atol=atol, **kwargs)
            except GradingFailure:
                continue
            raise _charged(failure, exercises) from None
        raise


def _own_composition(with_own: Recipe, impl: Any) -> Any:
    # The student's parts run again to explain a failure: capped as a diagnosis is, and a part
    # that raises (not implemented, a crash, out of time) explains nothing.
    try:
        with timelimit.exploring():
            return with_own(impl)
    except (Exception, timelimit.CallTimeout):  # noqa: BLE001
        return None


def _charged(failure: GradingFailure, exercises: tuple[str, ...]) -> ChargedElsewhere:
    first = failure.message.splitlines()[0]
    named = " and ".join(exercises)
    return ChargedElsewhere(
        f"{first}\nyour result equals what the correct computation gives with your own {named}: "
        f"the mistake is in {named}, whose own checks tell what to change",
        exercises,
        failure.check,
    )


# -- the MLP's composition (layers.mlp_loss_and_grads, layers.mlp_grads_checkpointed) -------------
def mlp_parts(params: Sequence, x: Any, y: Any, activation: str = "relu") -> list[GivenParts]:
    """What an MLP's ``(loss, grads)`` may call: its activation's pair (``activations.<name>``)
    and the cross-entropy pair (``losses.cross_entropy``), alone or together; each with the
    MLP's result computed by hand with the implementation's own versions of those parts and
    torch for the rest."""
    act, loss = f"activations.{activation}", "losses.cross_entropy"
    hidden = len(params) > 1  # a single layer has no activation
    choices = [((act,), True, False), ((loss,), False, True), ((act, loss), True, True)]
    return [
        (named, _mlp_recipe(params, x, y, activation, own_act, own_loss))
        for named, own_act, own_loss in choices
        if hidden or not own_act
    ]


def _mlp_recipe(params, x, y, activation, own_act, own_loss) -> Recipe:
    def recipe(m: Any) -> tuple:
        act = (
            (
                getattr(m.activations, f"{activation}_forward"),
                getattr(m.activations, f"{activation}_backward"),
            )
            if own_act
            else _torch_pair(_TORCH_ACTIVATIONS[activation])
        )
        loss = (
            (m.losses.cross_entropy_forward, m.losses.cross_entropy_backward)
            if own_loss
            else _torch_pair(torch.nn.functional.cross_entropy)
        )
        return mlp_by_hand(params, x, y, act, loss)

    return recipe


def mlp_by_hand(params: Sequence, x: Any, y: Any, act: tuple, loss: tuple) -> tuple:
    """``(loss, [(dW, db), ...])`` of an MLP with the given forward/backward pairs for the
    hidden activation and the loss (each ``forward(...) -> (out, cache)``, ``backward(dout,
    cache)``), linear layers written out."""
    (act_forward, act_backward), (loss_forward, loss_backward) = act, loss
    h, inputs, caches = x, [], []
    for i, (W, b) in enumerate(params):
        inputs.append(h)
        h = h @ W.T + b
        if i < len(params) - 1:
            h, cache = act_forward(h)
            caches.append(cache)
    value, cache = loss_forward(h, y)
    dz = loss_backward(value.new_tensor(1.0), cache)
    grads: list = [None] * len(params)
    for i in reversed(range(len(params))):
        grads[i] = (dz.T @ inputs[i], dz.sum(0))
        if i:
            dz = act_backward(dz @ params[i][0], caches[i - 1])
    return value.detach(), grads


def _torch_pair(fn: Callable) -> tuple[Callable, Callable]:
    """``fn`` as a forward/backward pair, differentiated by autograd (the trusted side's
    stand-in for a part)."""

    def forward(*args):
        leaf = args[0].detach().requires_grad_(True)
        out = fn(leaf, *args[1:])
        return out.detach(), (leaf, out)

    def backward(dout, cache):
        leaf, out = cache
        return torch.autograd.grad(out, leaf, dout)[0]

    return forward, backward


_TORCH_ACTIVATIONS: dict[str, Callable] = {
    "relu": torch.relu,
    "leaky_relu": torch.nn.functional.leaky_relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": torch.nn.functional.gelu,
    "silu": torch.nn.functional.silu,
}
