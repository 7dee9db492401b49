"""A backward that differentiates the forward it sits beside, whatever that forward computes.

A student who misreads a forward's formula (a square root left out) and then derives the
backward from their own forward has a backward that is right *for their forward*: a slip
written into the reference's forward alone (:mod:`descent.diagnoses.mutant`) reproduces their
forward checks but not their backward ones, since the reference's backward still differentiates
the right forward. :func:`differentiated` pairs such a slipped forward with a backward computed
by autograd through it, so that the one slip is weighed on both halves of the exercise.

The pairing is checked on every call: the backward's results must be the gradients of the
forward's output (times the upstream gradient) with respect to its first floating-point tensor
arguments, in order, as the unslipped pair gives them; where they are not (a forward whose
output is not its first result, a backward of another contract), or where the slipped forward
cannot be differentiated (an in-place step, a NumPy detour), the slip says nothing
(:class:`~descent.diagnoses.base.NotApplicable`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from .base import NotApplicable

# the unslipped pair's backward against autograd
_RTOL, _ATOL = 1e-6, 1e-9


def differentiated(slipped: Callable, forward: Callable, backward: Callable) -> dict[str, Any]:
    """``{"forward": ..., "backward": ...}``: ``slipped`` (a forward with a slip) recording its
    calls, and a backward computing the gradients through it; ``forward`` and ``backward`` are
    the unslipped pair whose contract (which gradients, in which order) the result follows."""
    calls: dict[int, tuple[Any, tuple, dict]] = {}

    def recorded(*args: Any, **kwargs: Any) -> Any:
        out = slipped(*args, **kwargs)
        calls[id(out[-1])] = (out[-1], args, kwargs)  # the cache kept alive: its id stays its own
        return out

    def through(dy: Any, cache: Any) -> Any:
        if id(cache) not in calls:
            raise NotApplicable("a cache this forward did not make")
        _, args, kwargs = calls[id(cache)]
        shape = backward(dy, forward(*args, **kwargs)[-1])
        grads = _gradients(slipped, args, kwargs, dy)
        count = len(shape) if isinstance(shape, (tuple, list)) else 1
        if count > len(grads) or not _same(_gradients(forward, args, kwargs, dy), shape, count):
            raise NotApplicable("the backward does not return the forward's gradients in order")
        return tuple(grads[:count]) if isinstance(shape, (tuple, list)) else grads[0]

    return {"forward": recorded, "backward": through}


def _gradients(forward: Callable, args: tuple, kwargs: dict, dy: Any) -> list[torch.Tensor]:
    """The gradients of ``sum(forward(...)[0] * dy)`` with respect to the floating-point tensor
    arguments, in order (zeros for one the output does not depend on)."""
    leaves = [
        a.detach().clone().requires_grad_(True)
        if isinstance(a, torch.Tensor) and a.is_floating_point()
        else a
        for a in args
    ]
    wrt = [a for a in leaves if isinstance(a, torch.Tensor) and a.requires_grad]
    try:
        with torch.enable_grad():
            out = forward(*leaves, **kwargs)[0]
            grads = torch.autograd.grad((out * dy).sum(), wrt, allow_unused=True)
    except (RuntimeError, TypeError) as error:  # in place, through NumPy: not differentiable
        raise NotApplicable(str(error)) from error
    return [torch.zeros_like(w) if g is None else g.detach() for w, g in zip(wrt, grads)]


def _same(grads: list[torch.Tensor], shape: Any, count: int) -> bool:
    expected = list(shape) if isinstance(shape, (tuple, list)) else [shape]
    return all(
        isinstance(e, torch.Tensor)
        and g.shape == e.shape
        and torch.allclose(g.to(e.dtype), e, rtol=_RTOL, atol=_ATOL)
        for g, e in zip(grads[:count], expected)
    )
