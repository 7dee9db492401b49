"""Gradient checking of a hand-written forward/backward pair, in float64.

Analytical Jacobian: the student's backward, called once per output element with a one-hot
upstream gradient of value ``UPSTREAM`` (not 1, so a backward that ignores its upstream gradient
fails even for a scalar output), divided by that value. Numerical Jacobian: central differences of the student's own forward, two
calls per input element, ``(f(x + eps e_k) - f(x - eps e_k)) / (2 eps)``. An entry passes when
``|analytical - numerical| <= atol + rtol * |numerical|``; eps, atol and rtol are the defaults of
``torch.autograd.gradcheck``. Above ``SLOW_MODE_LIMIT`` input elements the check compares random
projections ``v . J u`` instead (the idea of gradcheck's fast mode), which costs three calls per
projection whatever the size.

Before any number is compared, the raw gradients are checked for count, shapes, dtypes and
devices, backward is called twice with the same upstream gradient and cache (the answers must
agree exactly: a backward that edits its cache does not), and a zero upstream gradient must give
zero gradients. Every forward call gets fresh copies of the arguments.

The calls of each stage go through :func:`descent.calls.impl.call_each`: a submission graded in a
worker pays a handful of round trips for a whole check, not one per perturbation. The
perturbed points share every tensor but the one they move, and the copies are made where the
calls run, so each tensor crosses to a worker once per stage; the outputs and gradients of a
stage come back stacked, one tensor per position.

A pass proves the backward agrees with the forward, not that either is right, so graders always
pair it with reference-value checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from ..calls.impl import call_each
from .compare import GradingFailure

EPS = 1e-6
ATOL = 1e-5
RTOL = 1e-3
SLOW_MODE_LIMIT = 512  # input elements: above this, random projections
PROJECTIONS = 2
UPSTREAM = 1.5  # one-hot upstream gradients have this value: a backward that ignores dout fails


def _default_split(result: Any) -> tuple[Any, Any]:
    if not isinstance(result, tuple) or len(result) < 2:
        raise GradingFailure(
            "a forward function must return (output, cache)", check="shape and type"
        )
    return result[0], result[-1]


def _index(shape: torch.Size, flat: int) -> tuple[int, ...]:
    out = []
    for size in reversed(shape):
        out.append(flat % size)
        flat //= size
    return tuple(reversed(out))


class _Pair:
    """The student's forward and backward at one point, called in batches."""

    def __init__(self, forward, backward, args, wrt, kwargs, split, what, checker):
        self.forward, self.backward = forward, backward
        self.args, self.wrt, self.kwargs = list(args), list(wrt), kwargs
        self.split, self.what, self.checker = split or _default_split, what, checker
        self.point = []
        for i in self.wrt:
            t = self.args[i]
            if not (isinstance(t, torch.Tensor) and t.dtype == torch.float64):
                raise TypeError(f"gradcheck needs float64 tensors; argument {i} is not")
            self.point.append(t.detach())

    def _arg_list(self, inputs: Sequence[torch.Tensor]) -> list:
        call = list(self.args)
        for i, t in zip(self.wrt, inputs):
            call[i] = t
        return call

    def outputs(self, points: list[list[torch.Tensor]]) -> list[tuple[torch.Tensor, Any]]:
        """(output, cache) of the forward at each point."""
        results = call_each(
            self.forward, [self._arg_list(p) for p in points], self.kwargs, fresh=True
        )
        return self._split_all(results)

    def values(self, points: list[list[torch.Tensor]]) -> list[torch.Tensor]:
        """The forward's output at each point (with the default split the caches stay where
        they were made)."""
        if self.split is not _default_split:
            return [out for out, _ in self.outputs(points)]
        results = call_each(
            self.forward,
            [self._arg_list(p) for p in points],
            self.kwargs,
            pick=0,
            fresh=True,
            stack=True,
        )
        return [out for out, _ in self._split_all([(r, None) for r in results])]

    def _split_all(self, results: list) -> list[tuple[torch.Tensor, Any]]:
        pairs = []
        for result in results:
            out, cache = self.split(result)
            if not isinstance(out, torch.Tensor):
                raise GradingFailure(
                    f"the forward returned {type(out).__name__} where a tensor output was expected",
                    check="shape and type",
                )
            pairs.append((out, cache))
        return pairs

    def gradients(self, upstream: list[torch.Tensor], cache: Any) -> list[list[torch.Tensor]]:
        """The raw gradients the backward returns for each upstream gradient, checked for
        structure before use."""
        results = call_each(self.backward, [[d, cache] for d in upstream], stack=True)
        templates = tuple(self.point)
        grads = []
        for raw in results:
            if len(self.wrt) == 1:
                if not isinstance(raw, torch.Tensor):
                    self.checker.fail(
                        f"{self.what} must return one tensor, got {type(raw).__name__}",
                        check="shape and type",
                    )
                raw = (raw,)
            self.checker.like(
                tuple(raw) if isinstance(raw, (list, tuple)) else raw, templates, self.what
            )
            grads.append([g.detach().to(torch.float64) for g in raw])
        return grads

    def disagree(self, detail: str) -> None:
        self.checker.fail(
            f"{self.what} disagrees with finite differences of your forward ({detail})",
            check="gradient check",
            hint="this check compares your backward with your forward as it is: when a value "
            "check of the forward fails too, fix the forward first; otherwise differentiate "
            "your forward formula again and compare term by term: every "
            "path from an input to the output contributes (a statistic such as a mean or "
            "a variance depends on every input too), each times the upstream gradient",
        )

    def check_zero(self, grads: list[torch.Tensor]) -> None:
        if any(bool((g != 0).any()) for g in grads):
            self.checker.fail(
                f"{self.what} returned nonzero gradients for a zero upstream gradient",
                check="gradient check",
                hint="every term of the gradient is multiplied by the upstream gradient dout",
            )

    def check_reentrant(self, first: list[torch.Tensor], again: list[torch.Tensor]) -> None:
        # NaN where the first call had NaN is the same answer (torch.equal calls it different:
        # a held-out tanh backward whose inf - inf gave NaN was told it changed its cache)
        if not all(_same_answer(a, b) for a, b in zip(first, again)):
            self.checker.fail(
                f"{self.what} gave different gradients when called twice with the same cache "
                f"and upstream gradient",
                check="gradient check",
                hint="backward must not change its cache (or anything else) in place",
            )


def _same_answer(a: torch.Tensor, b: torch.Tensor) -> bool:
    """``a`` and ``b`` hold the same values in the same shape and dtype, NaN where NaN."""
    if a.shape != b.shape or a.dtype != b.dtype or a.device != b.device:
        return False
    return torch.equal(a, b) or bool(((a == b) | (torch.isnan(a) & torch.isnan(b))).all())


def gradcheck_pair(
    forward: Callable,
    backward: Callable,
    args: Sequence[Any],
    wrt: Sequence[int],
    *,
    kwargs: dict,
    split: Callable | None,
    what: str,
    checker,
) -> None:
    """Check ``backward`` against finite differences of ``forward`` at ``args``.

    ``wrt`` lists the positions of the differentiable arguments (float64 tensors); ``split``
    turns a forward result into ``(output, cache)`` (default: first and last items).
    """
    pair = _Pair(forward, backward, args, wrt, kwargs, split, what, checker)
    ((out, cache),) = pair.outputs([pair.point])
    if sum(t.numel() for t in pair.point) <= SLOW_MODE_LIMIT:
        _full(pair, out, cache)
    else:
        _projected(pair, out, cache)


def _full(pair: _Pair, out: torch.Tensor, cache: Any) -> None:
    """Every entry of the Jacobian (slow mode)."""
    points = []
    for a, t in enumerate(pair.point):
        for k in range(t.numel()):
            for sign in (1.0, -1.0):
                moved = list(pair.point)
                moved[a] = t.clone()
                moved[a].view(-1)[k] += sign * EPS
                points.append(moved)
    outs = pair.values(points)
    columns = []
    for c in range(len(outs) // 2):
        plus, minus = outs[2 * c], outs[2 * c + 1]
        if plus.shape != out.shape or minus.shape != out.shape:
            pair.checker.fail(
                f"the forward's output shape changed between calls "
                f"({tuple(out.shape)}, then {tuple(plus.shape)})",
                check="shape and type",
            )
        columns.append(((plus.double() - minus.double()) / (2 * EPS)).reshape(-1))
    numerical = torch.stack(columns, dim=1).cpu()  # (outputs, inputs)

    m = out.numel()
    upstream = []
    for j in range(m):
        d = torch.zeros(m, dtype=out.dtype, device=out.device)
        d[j] = UPSTREAM
        upstream.append(d.reshape(out.shape))
    # then the first again (backward must be repeatable) and zeros (nothing unmultiplied)
    grads = pair.gradients(upstream + upstream[:1] + [torch.zeros_like(out)], cache)
    pair.check_reentrant(grads[0], grads[m])
    analytical = (
        torch.stack([torch.cat([g.reshape(-1) for g in row]).cpu() for row in grads[:m]]) / UPSTREAM
    )  # (outputs, inputs)

    excess = (analytical - numerical).abs() - (ATOL + RTOL * numerical.abs())
    excess = torch.nan_to_num(excess, nan=float("inf"))
    if bool((excess > 0).any()):
        j, col = divmod(int(torch.argmax(excess)), numerical.shape[1])
        a, k = 0, col
        while k >= pair.point[a].numel():
            k -= pair.point[a].numel()
            a += 1
        out_at = list(_index(out.shape, j))
        in_at = list(_index(pair.point[a].shape, k))
        pair.disagree(
            f"d output{out_at} / d argument #{pair.wrt[a] + 1}{in_at} is "
            f"{float(analytical[j, col]):.6g} from your backward but "
            f"{float(numerical[j, col]):.6g} from your forward"
        )
    pair.check_zero(grads[m + 1])


def _projected(pair: _Pair, out: torch.Tensor, cache: Any) -> None:
    """``v . J u`` for random unit vectors u (inputs) and v (output), both ways."""
    gen = torch.Generator().manual_seed(0)
    us, vs, points = [], [], []
    for _ in range(PROJECTIONS):
        u = [torch.randn(t.shape, generator=gen, dtype=torch.float64) for t in pair.point]
        norm = torch.sqrt(sum((x * x).sum() for x in u))
        u = [(x / norm).to(t.device) for x, t in zip(u, pair.point)]
        v = torch.randn(out.shape, generator=gen, dtype=torch.float64)
        v = (v / v.norm()).to(dtype=out.dtype, device=out.device)
        us.append(u)
        vs.append(v)
        points.append([p + EPS * x for p, x in zip(pair.point, u)])
        points.append([p - EPS * x for p, x in zip(pair.point, u)])
    outs = pair.values(points)
    grads = pair.gradients(vs + vs[:1] + [torch.zeros_like(out)], cache)
    pair.check_reentrant(grads[0], grads[PROJECTIONS])
    for p in range(PROJECTIONS):
        plus, minus = outs[2 * p], outs[2 * p + 1]
        if plus.shape != out.shape or minus.shape != out.shape:
            pair.checker.fail(
                f"the forward's output shape changed between calls "
                f"({tuple(out.shape)}, then {tuple(plus.shape)})",
                check="shape and type",
            )
        numerical = float((vs[p].double() * (plus.double() - minus.double())).sum() / (2 * EPS))
        analytical = float(sum((g * u.double()).sum() for g, u in zip(grads[p], us[p])))
        if not abs(analytical - numerical) <= ATOL + RTOL * abs(numerical):
            pair.disagree(
                f"along a random direction, v . J u is {analytical:.6g} from your "
                f"backward and {numerical:.6g} from your forward"
            )
    pair.check_zero(grads[PROJECTIONS + 1])
