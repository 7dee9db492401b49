"""Gradient checking of a hand-written forward/backward pair.

The pair is wrapped in a ``torch.autograd.Function`` whose backward first checks the raw values
the student returned (count, shapes, dtypes, devices) and only then hands them to autograd.
``torch.autograd.gradcheck`` then compares the analytical Jacobian with finite differences of the
student's own forward, in float64. A pass proves the backward agrees with the forward, not that
either is right, so graders always pair it with reference-value checks.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import torch
from torch.autograd.gradcheck import GradcheckError

from .compare import GradingFailure

SLOW_MODE_LIMIT = 512  # input elements: above this, gradcheck's fast mode (one random projection)


def _default_split(result: Any) -> tuple[Any, Any]:
    if not isinstance(result, tuple) or len(result) < 2:
        raise GradingFailure("a forward function must return (output, cache)",
                             check="shape and type")
    return result[0], result[-1]


def gradcheck_pair(forward: Callable, backward: Callable, args: Sequence[Any],
                   wrt: Sequence[int], *, kwargs: dict, split: Callable | None, what: str,
                   checker) -> None:
    split = split or _default_split
    args = list(args)
    diff = [args[i] for i in wrt]
    for i, t in zip(wrt, diff):
        if not (isinstance(t, torch.Tensor) and t.dtype == torch.float64):
            raise TypeError(f"gradcheck needs float64 tensors; argument {i} is not")
    templates = [t.detach() for t in diff]

    class Pair(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *inputs):
            call = list(args)
            for i, t in zip(wrt, inputs):
                call[i] = t.detach()
            out, cache = split(forward(*call, **kwargs))
            if not isinstance(out, torch.Tensor):
                raise GradingFailure(f"the forward returned {type(out).__name__} where a "
                                     f"tensor output was expected", check="shape and type")
            ctx.cache = cache
            return out.detach().clone()

        @staticmethod
        def backward(ctx, dout):
            grads = backward(dout, ctx.cache)
            raw = (grads,) if len(wrt) == 1 and isinstance(grads, torch.Tensor) else grads
            if len(wrt) == 1 and not isinstance(grads, torch.Tensor):
                checker.fail(f"{what} must return one tensor, got {type(grads).__name__}",
                             check="shape and type")
            checker.like(tuple(raw) if isinstance(raw, (list, tuple)) else raw,
                         tuple(templates), what)
            return tuple(raw)

    inputs = tuple(t.detach().requires_grad_(True) for t in diff)
    fast = sum(t.numel() for t in inputs) > SLOW_MODE_LIMIT
    try:
        torch.autograd.gradcheck(Pair.apply, inputs, fast_mode=fast, raise_exception=True)
    except GradcheckError as exc:
        first = str(exc).strip().splitlines()[0]
        checker.fail(
            f"{what} disagrees with finite differences of your forward ({first.rstrip(',.')})",
            check="gradient check",
            hint="differentiate your forward formula again; check that every term is "
                 "multiplied by the upstream gradient and that nothing is reduced twice")
