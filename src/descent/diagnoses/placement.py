"""Value hypotheses that find the right values in the wrong places, or wrong in one place
only: a layout, an order, a branch of a piecewise formula, an edge, a broadcast, a
normalization along another dimension.

Each is ``(e, g, inputs) -> Diagnosis | None`` on two float64 CPU tensors of one shape and the
call's :class:`~.values.Inputs` (a value hypothesis of :data:`~.order.TIERS`):
:func:`wrong_layout` (transposed, or permuted then reshaped) and :func:`wrong_branch` (wrong
exactly where an argument is negative, positive or zero) in the second tier; the last resorts
after them, :func:`values_reordered`, :func:`wrong_edge` (the first or last slice along one
dimension), :func:`wrong_broadcast` and :func:`wrong_dimension` (sums equal along another
dimension than the expected's).
"""

from __future__ import annotations

import torch

from .base import Diagnosis, patterned, permutations, same, whole, wrong_entries
from .values import Inputs


def wrong_layout(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """``got`` holds the expected values laid out by another order of dimensions: transposed
    (square result), or permuted and then reshaped to the expected shape (a ``view`` or
    ``reshape`` where ``transpose``/``permute`` belongs)."""
    for perm, moved in permutations(e):
        if moved.shape == e.shape and same(g, moved):
            return Diagnosis(
                "layout",
                f"your result is the expected transposed (dimensions "
                f"in the order {perm}): swapped indices in a matrix "
                "product or an outer product the wrong way round",
            )
        if same(g, moved.reshape(e.shape)):
            return Diagnosis(
                "layout",
                f"your result is the expected with its dimensions "
                f"permuted to {perm} and then reshaped back: a view or "
                "reshape where a transpose or permute belongs",
            )
    return None


def wrong_branch(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """The wrong entries are exactly those where an argument of the result's shape (or the
    expected result) is negative, positive, or exactly zero: one branch of a piecewise formula
    is wrong."""
    wrong = wrong_entries(e, g)
    if wrong is None or not patterned(wrong):
        return None  # one entry on a side is no evidence of a pattern
    candidates = [
        (f"`{n}`", x) for n, x in inputs.tensors if x.shape == e.shape and x.is_floating_point()
    ]
    candidates.append(("the expected result", e))
    for name, x in candidates:
        for cond, where, right in (
            (x < 0, "< 0", ">= 0"),
            (x > 0, "> 0", "<= 0"),
            (x <= 0, "<= 0", "> 0"),
            (x >= 0, ">= 0", "< 0"),
            (x == 0, "== 0", "!= 0"),
        ):
            if torch.equal(wrong, cond) and bool((e[~wrong] != 0).any()):
                return Diagnosis(
                    "branch",
                    f"your result is right where {name} {right} and "
                    f"wrong exactly where {name} {where}: check that "
                    "branch of the formula (its value or slope there, "
                    "and which side the boundary belongs to)",
                )
    return None


def values_reordered(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """The right values, in the wrong places (a permutation of the expected entries)."""
    if e.numel() < 2:
        return None
    gs, es = g.flatten().sort().values, e.flatten().sort().values
    if same(gs, es):
        return Diagnosis(
            "order",
            "your result holds the right values in the wrong order: an "
            "index, a reversed or shifted order, or the wrong dimension "
            "indexed",
        )
    return None


def wrong_edge(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """Only the first or only the last slice along one dimension of a result of two or more
    dimensions is wrong: an off-by-one at an edge (a range that stops one early, an index that
    starts at 1). A 1-D sequence wrong only at its end is no evidence (any late change is)."""
    wrong = wrong_entries(e, g)
    if e.dim() < 2 or wrong is None or not bool(wrong.any()):
        return None
    for k in range(e.dim()):
        if e.shape[k] < 3:
            continue
        for index, where in ((0, "first"), (e.shape[k] - 1, "last")):
            mask = torch.zeros_like(wrong)
            mask.select(k, index).fill_(True)
            if bool((wrong & ~mask).any()) is False:
                return Diagnosis(
                    "edge",
                    f"only the {where} entry along dimension {k} is "
                    "wrong: an off-by-one at an edge (a range that stops "
                    "one early, an index that starts at 1, a boundary "
                    "step or element handled like the others)",
                )
    return None


def wrong_broadcast(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """``got`` does not vary along a dimension along which ``expected`` varies, and does vary
    along another (a result constant everywhere, or counts, show no broadcast): a value
    broadcast over the wrong dimension, or a reduction repeated. A broadcast copies one value:
    ``got`` is exactly constant there (an optimizer's step far below the parameter's size only
    looks constant to a tolerance)."""
    if e.dim() < 2 or whole(e) or same(g, g.flatten()[0].expand_as(g)):
        return None
    for k in range(e.dim()):
        if e.shape[k] < 2:
            continue
        first_g, first_e = g.narrow(k, 0, 1), e.narrow(k, 0, 1)
        if torch.equal(g, first_g.expand_as(g)) and not same(e, first_e.expand_as(e)):
            return Diagnosis(
                "broadcast",
                f"your result is the same at every index of "
                f"dimension {k} (size {e.shape[k]}) where the "
                "expected varies: a value broadcast over the wrong "
                "dimension, or a reduction kept where each entry "
                "needs its own value",
            )
    return None


def normalized_dims(x: torch.Tensor) -> dict[int, float]:
    """The dimensions (of size 2 or more) along which every sum of ``x`` is one same non-zero
    value (a softmax's rows sum to 1), with that value."""
    found = {}
    for k in range(x.dim()):
        if x.shape[k] < 2:
            continue
        sums = x.sum(k)
        c = float(sums.flatten()[0])
        if c != 0 and same(sums, torch.full_like(sums, c)):
            found[k] = c
    return found


def wrong_dimension(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """The expected is normalized along one dimension (its sums there are all one value) and
    ``got`` along another, with the same value: the normalizing reduction ran over the wrong
    dimension (``dim`` ignored, -1 hard-coded)."""
    if e.dim() < 2:
        return None
    want, have = normalized_dims(e), normalized_dims(g)
    wrong = [
        k
        for k, c in have.items()
        if k not in want and any(abs(c - v) <= 1e-6 * max(1.0, abs(v)) for v in want.values())
    ]
    if not wrong or not want or any(k in have for k in want):
        return None
    return Diagnosis(
        "reduction",
        f"your result is normalized along dimension {wrong[0]} (its "
        f"sums along it are all equal) where the expected is normalized "
        f"along dimension {sorted(want)[0]}: a reduction over the wrong "
        "dimension (the `dim` argument ignored, or -1 hard-coded)",
    )
