"""Generic diagnoses for a result whose shape differs from the expected one.

The comparison's message already says that the shapes differ; these hypotheses say why, from the
values: the expected values transposed or permuted (a layout slip), with a dimension of size 1
added or dropped (a ``keepdim``, an ``unsqueeze``, a row kept by a matrix product), a dimension
not reduced (the expected is the sum or the mean of the result over it) or reduced away (the
result lacks one, whatever its values), or only the non-zero entries of the expected picked out
into a flat tensor (a boolean index where a mask belongs).
Each is a function ``(expected, got) -> Diagnosis | None`` over float64 CPU tensors; like the
hypotheses of :mod:`descent.diagnoses.values` they never print a value.
"""

from __future__ import annotations

from typing import Any

import torch

from .base import Diagnosis, permutations, same


def permuted(e: torch.Tensor, g: torch.Tensor) -> Diagnosis | None:
    """``got`` is the expected with its dimensions in another order (same number of dimensions,
    another shape): ``x @ W`` for ``W @ x``, a gradient laid out as its weight's transpose."""
    if e.dim() != g.dim() or e.shape == g.shape:
        return None
    for perm, moved in permutations(e):
        if moved.shape == g.shape and same(g, moved):
            return Diagnosis(
                "layout",
                f"your result is the expected with its dimensions in the "
                f"order {perm} (transposed): a matrix product the wrong "
                "way round, or a result laid out as the transpose of the "
                "shape the docstring gives",
            )
    return None


def unit_dimension(e: torch.Tensor, g: torch.Tensor) -> Diagnosis | None:
    """``got`` holds the expected values with a dimension of size 1 added or dropped."""
    if e.numel() != g.numel() or e.numel() < 1 or e.shape == g.shape:
        return None
    squeezed = [n for n in e.shape if n != 1]
    if [n for n in g.shape if n != 1] != squeezed or not same(g.reshape(e.shape), e):
        return None
    extra = "an extra" if g.dim() > e.dim() else "a missing"
    return Diagnosis(
        "layout",
        f"your result holds the right values with {extra} dimension of "
        "size 1: a keepdim=True, unsqueeze or [:, None] too many or too "
        "few, or the row dimension of a matrix product kept",
    )


def unreduced(e: torch.Tensor, g: torch.Tensor) -> Diagnosis | None:
    """``got`` has one dimension more than the expected (or several leading ones), and summing
    (or averaging) it over that dimension (or them) gives the expected: the reduction over it is
    missing."""
    if g.dim() <= e.dim():
        return None
    fits = []
    extra = g.dim() - e.dim()
    candidates: list[tuple[int, ...]] = [(k,) for k in range(g.dim())] if extra == 1 else []
    candidates.append(tuple(range(extra)))  # every leading dimension (a batch of any rank)
    for dims in dict.fromkeys(candidates):
        kept = [n for k, n in enumerate(g.shape) if k not in dims]
        if tuple(kept) != tuple(e.shape) or min(g.shape[k] for k in dims) < 2:
            continue
        for how, reduced in (("sum", g.sum(dims)), ("mean", g.mean(dims))):
            if same(reduced, e):
                fits.append((dims, how))
    if len(fits) != 1:
        return None  # none, or sum and mean both fit (zeros): say nothing
    dims, how = fits[0]
    which = (
        f"dimension {dims[0]} (size {g.shape[dims[0]]})" if len(dims) == 1 else f"dimensions {dims}"
    )
    return Diagnosis(
        "reduction",
        f"your result keeps {which}, and its {how} over "
        f"{'that dimension' if len(dims) == 1 else 'them'} is the "
        f"expected: the {how} over {which} is missing (one value per "
        "example where the docstring asks for one in all)",
    )


def reduced_away(e: torch.Tensor, g: torch.Tensor) -> Diagnosis | None:
    """``got`` has the expected's shape less one dimension of size 2 or more: whatever the
    values, the code reduced over that dimension (a sum, a mean) or picked one slice of it where
    each entry along it needs its own value (a batch's gradient summed over the examples)."""
    if g.dim() != e.dim() - 1:
        return None
    gone = [
        k for k in range(e.dim()) if e.shape[k] >= 2 and e.shape[:k] + e.shape[k + 1 :] == g.shape
    ]
    if len(gone) != 1:
        return None  # none, or several dimensions of one size: which one went is not known
    (k,) = gone
    return Diagnosis(
        "reduction",
        f"your result has the expected's shape without dimension {k} (size {e.shape[k]}): "
        "its entries along that dimension were summed, averaged or one of them picked "
        "(a reduction over it, or an index) where each needs a value of its own",
    )


def selected(e: torch.Tensor, g: torch.Tensor) -> Diagnosis | None:
    """``got`` is 1-D and holds exactly the non-zero entries of the expected, in order: a
    boolean index ``y[mask]`` picked them out where a mask should keep the shape."""
    if g.dim() != 1 or e.dim() < 2 or g.numel() >= e.numel() or g.numel() < 2:
        return None
    kept = e.flatten()[e.flatten() != 0]
    if kept.shape == g.shape and same(g, kept):
        return Diagnosis(
            "layout",
            "your result holds the non-zero entries of the expected in "
            "one flat tensor: a boolean index (y[mask]) picks entries out; "
            "multiply by the mask or use torch.where to keep the shape",
        )
    return None


def reshaped(e: torch.Tensor, g: torch.Tensor, inputs: Any = None) -> Diagnosis | None:
    """The first shape hypothesis that fits, or ``None``."""
    for hypothesis in (permuted, unit_dimension, unreduced, selected, reduced_away):
        found = hypothesis(e, g)
        if found is not None:
            return found
    return None
