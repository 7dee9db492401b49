"""One mistake, one charge: grading an exercise that calls other exercises (a composite).

A student's MLP may call their own linear layer, activation and cross-entropy, the warmup
schedule their ``cosine_lr``, the training loop their ``minibatches``; the capstone calls most of
the kit. A mistake in one of those parts makes the composite wrong too, and charging both would
count the mistake twice and send the student to the wrong file. So a composite's value check is
written with :func:`matches_given_parts`: besides the expected value, it says how the expected
value is computed *with the implementation's own parts* (the trusted side's composition, calling
the implementation's functions for the parts, through its worker when it has one: no reference
code crosses to the student's side). When the composite's result is wrong, but equals that
composition while the parts alone differ from the reference, the mistake is the parts':

* the failure raised is :class:`ChargedElsewhere`, naming the part exercises at fault (also
  when the composite raises an error that the composition with the implementation's own parts
  raises too, and when a gradient check of a pair fails while its gradients are those of that
  composition: :func:`gradcheck_given_parts`);
* the grading plugin gives the test its points back when one of those exercises loses points in
  the same run, or did not run in it (the charge is theirs), and keeps the failure, naming them,
  when their own tests all passed (the composite's check is then the only one that caught it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from ..calls import timelimit
from ..calls.impl import SubmissionError
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
    except (NotImplementedError, SubmissionError):
        raise  # nothing of the composite ran: no part can answer for it
    except Exception as error:  # noqa: BLE001 - a crash of the composite, perhaps in a part
        for exercises, with_own in parts:
            if _raises_alike(with_own, checker.impl, error):
                named = " and ".join(exercises)
                raise ChargedElsewhere(
                    f"{what}: your code raised {type(error).__name__}: {error}\nthe correct "
                    f"computation with your own {named} raises it too: the mistake is in "
                    f"{named}, whose own checks tell what to change",
                    exercises,
                    "errors",
                ) from None
        raise


def _raises_alike(with_own: Recipe, impl: Any, error: Exception) -> bool:
    """The composition with the implementation's own parts raises what the composite raised
    (its type): the crash is the parts'."""
    try:
        with timelimit.exploring():
            with_own(impl)
    except (Exception, timelimit.CallTimeout) as own:  # noqa: BLE001
        return type(own) is type(error)
    return False


def gradcheck_given_parts(
    checker: Any,
    pair: str,
    args: Sequence,
    wrt: Sequence[int],
    /,
    *,
    backward: Recipe,
    expected: Any,
    parts: Sequence[GivenParts],
    kwargs: dict | None = None,
) -> None:
    """``checker.gradcheck(pair, args, wrt)`` for a pair that calls other exercises: when it
    fails and the pair's gradients (``backward(m)``, the reference's being ``expected``) are
    those the correct computation gives with the implementation's own parts, the failure is
    charged to those parts (:class:`ChargedElsewhere`), as a value check's is."""
    try:
        checker.gradcheck(pair, args, wrt, kwargs=kwargs)
    except GradingFailure as failure:
        at_fault = _parts_at_fault(checker.impl, backward, expected, parts)
        if at_fault:
            raise _charged(failure, at_fault) from None
        raise


def _parts_at_fault(
    impl: Any, recipe: Recipe, expected: Any, parts: Sequence[GivenParts]
) -> tuple[str, ...] | None:
    """The first ``parts`` whose composition with the implementation's own versions differs
    from ``expected`` and equals the implementation's result of ``recipe``; run quietly (no
    check recorded), as a diagnosis is."""
    got = _own_composition(recipe, impl)
    if got is None or compare(got, expected) is None:
        return None
    for exercises, with_own in parts:
        own = _own_composition(with_own, impl)
        if own is not None and compare(own, expected) is not None and compare(got, own) is None:
            return exercises
    return None


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
        f"{first}\nyour result is right for the {named} it calls: the mistake is in {named}, "
        "whose own checks tell what to change",
        exercises,
        failure.check,
    )


# -- the MLP's composition (layers.mlp_loss_and_grads, layers.mlp_grads_checkpointed) -------------
def mlp_parts(params: Sequence, x: Any, y: Any, activation: str = "relu") -> list[GivenParts]:
    """What an MLP's ``(loss, grads)`` may call: the linear layer's pair (``layers.linear``),
    its activation's pair (``activations.<name>``) and the cross-entropy pair
    (``losses.cross_entropy``), one of them or several together (one first); each with the
    MLP's result computed by hand with the implementation's own versions of those parts and
    torch for the rest."""
    lin, act, loss = "layers.linear", f"activations.{activation}", "losses.cross_entropy"
    hidden = len(params) > 1  # a single layer has no activation
    parts = [lin, act, loss] if hidden else [lin, loss]
    return [
        (named, _mlp_recipe(params, x, y, activation, act in named, loss in named, lin in named))
        for named in _choices(parts)
    ]


def _choices(parts: Sequence[str]) -> list[tuple[str, ...]]:
    """Every non-empty set of ``parts``, one part first, then two, ...: a mistake in one part
    is the likelier reading."""
    masks = sorted(range(1, 2 ** len(parts)), key=lambda mask: (bin(mask).count("1"), mask))
    return [tuple(p for i, p in enumerate(parts) if mask >> i & 1) for mask in masks]


def _pair(m: Any, exercise: str, own: bool, stand_in: tuple) -> tuple:
    """The forward/backward pair of ``exercise`` ("module.name"): the implementation's own when
    ``own``, else ``stand_in`` (the trusted side's)."""
    if not own:
        return stand_in
    module, name = exercise.split(".")
    view = getattr(m, module)
    return getattr(view, f"{name}_forward"), getattr(view, f"{name}_backward")


_LINEAR = "layers.linear"


def _mlp_recipe(params, x, y, activation, own_act, own_loss, own_linear) -> Recipe:
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
        linear = (m.layers.linear_forward, m.layers.linear_backward) if own_linear else None
        return mlp_by_hand(params, x, y, act, loss, linear)

    return recipe


def mlp_by_hand(
    params: Sequence, x: Any, y: Any, act: tuple, loss: tuple, linear: tuple | None = None
) -> tuple:
    """``(loss, [(dW, db), ...])`` of an MLP with the given forward/backward pairs for the
    hidden activation and the loss (each ``forward(...) -> (out, cache)``, ``backward(dout,
    cache)``) and, when given, for the linear layers (``forward(h, W, b) -> (out, cache)``,
    ``backward(dout, cache) -> (dh, dW, db)``); without it the linear layers are written out."""
    (act_forward, act_backward), (loss_forward, loss_backward) = act, loss
    linear_forward, linear_backward = linear or (_linear_forward, _linear_backward)
    h, linear_caches, caches = x, [], []
    for i, (W, b) in enumerate(params):
        h, cache = linear_forward(h, W, b)
        linear_caches.append(cache)
        if i < len(params) - 1:
            h, cache = act_forward(h)
            caches.append(cache)
    value, cache = loss_forward(h, y)
    dz = loss_backward(value.new_tensor(1.0), cache)
    grads: list = [None] * len(params)
    for i in reversed(range(len(params))):
        dh, dW, db = linear_backward(dz, linear_caches[i])
        grads[i] = (dW, db)
        if i:
            dz = act_backward(dh, caches[i - 1])
    return value.detach(), grads


def _linear_forward(h: Any, W: Any, b: Any) -> tuple:
    return h @ W.T + b, (h, W)


def _linear_backward(dz: Any, cache: tuple) -> tuple:
    h, W = cache
    return dz @ W, dz.T @ h, dz.sum(0)


# -- the two small networks (layers.two_layer_net, layers.residual_block) ---------------------------
def two_layer_parts(params: dict, x: Any, y: Any) -> list[GivenParts]:
    """What ``two_layer_net`` may call: the linear layer's pair, ReLU's and the binary
    cross-entropy's (``layers.linear``, ``activations.relu``, ``losses.bce_with_logits``);
    each choice with the network's ``(loss, grads)`` worked out by hand with the
    implementation's own versions of those parts and torch for the rest."""
    relu, bce = "activations.relu", "losses.bce_with_logits"

    def recipe(named: tuple[str, ...]) -> Recipe:
        def run(m: Any) -> tuple:
            linear_forward, linear_backward = _pair(
                m, _LINEAR, _LINEAR in named, (_linear_forward, _linear_backward)
            )
            relu_forward, relu_backward = _pair(m, relu, relu in named, _torch_pair(torch.relu))
            bce_forward, bce_backward = _pair(
                m,
                bce,
                bce in named,
                _torch_pair(torch.nn.functional.binary_cross_entropy_with_logits),
            )
            z1, c1 = linear_forward(x, params["W1"], params["b1"])
            a1, cr = relu_forward(z1)
            z2, c2 = linear_forward(a1, params["W2"], params["b2"])
            loss, cl = bce_forward(z2[:, 0], y)
            dz2 = bce_backward(loss.new_tensor(1.0), cl)[:, None]
            da1, dW2, db2 = linear_backward(dz2, c2)
            _, dW1, db1 = linear_backward(relu_backward(da1, cr), c1)
            return loss.detach(), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

        return run

    return [(named, recipe(named)) for named in _choices([_LINEAR, relu, bce])]


def residual_parts(args: Sequence, dy: Any = None) -> list[GivenParts]:
    """What ``residual_block_forward``/``_backward`` may call: the linear layer's pair and
    ReLU's (``layers.linear``, ``activations.relu``); each choice with the block's output
    (``dy`` None) or its gradients ``(dx, dW1, db1, dW2, db2)`` for the upstream ``dy``,
    worked out by hand with the implementation's own versions of those parts."""
    relu = "activations.relu"

    def recipe(named: tuple[str, ...]) -> Recipe:
        def run(m: Any) -> Any:
            x, W1, b1, W2, b2 = args
            linear_forward, linear_backward = _pair(
                m, _LINEAR, _LINEAR in named, (_linear_forward, _linear_backward)
            )
            relu_forward, relu_backward = _pair(m, relu, relu in named, _torch_pair(torch.relu))
            z, c1 = linear_forward(x, W1, b1)
            a, cr = relu_forward(z)
            branch, c2 = linear_forward(a, W2, b2)
            if dy is None:
                return x + branch
            da, dW2, db2 = linear_backward(dy, c2)
            dx, dW1, db1 = linear_backward(relu_backward(da, cr), c1)
            return dy + dx, dW1, db1, dW2, db2

        return run

    return [(named, recipe(named)) for named in _choices([_LINEAR, relu])]


# -- a schedule built on another (schedules.warmup_cosine_lr calls cosine_lr) ----------------------
def warmup_cosine_parts(
    steps: int | Sequence[int],
    base_lr: float,
    warmup_steps: int,
    total_steps: int,
    min_lr: float = 0.0,
) -> list[GivenParts]:
    """What ``warmup_cosine_lr`` may call: ``schedules.cosine_lr`` for its second phase; the
    rates at ``steps`` (one int: one rate) with the warmup written out and the implementation's
    own ``cosine_lr`` after it."""

    def recipe(m: Any) -> Any:
        def rate(step: int) -> float:
            if step < warmup_steps:
                return base_lr * (step + 1) / warmup_steps
            cosine = m.schedules.cosine_lr
            return cosine(step - warmup_steps, base_lr, total_steps - warmup_steps, min_lr)

        return rate(steps) if isinstance(steps, int) else [rate(step) for step in steps]

    return [(("schedules.cosine_lr",), recipe)]


# -- a training loop built on its batches (regression.train_linear_regression calls minibatches) -----
def drawn_batches(n: int, batch_size: int, generator: torch.Generator) -> list:
    """One epoch's batches as ``minibatches``' docstring draws them: the whole order from
    ``generator`` at once (``torch.randperm``), cut in pieces of ``batch_size``."""
    order = torch.randperm(n, generator=generator, device=generator.device)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def minibatch_parts(train_with: Callable[[Callable], Any]) -> list[GivenParts]:
    """What a training loop may call: ``regression.minibatches``. ``train_with(batches)`` is the
    trusted side's loop run on the batches ``batches(n, batch_size, generator)`` gives, here
    drawn as the docstring says (:func:`drawn_batches`): a loop that is right with batches
    drawn that way, while the implementation's own ``minibatches`` gives others (a generator
    function that draws when it is iterated, an order drawn otherwise), is charged to that
    exercise, not to the loop."""
    return [(("regression.minibatches",), lambda m: train_with(drawn_batches))]


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
