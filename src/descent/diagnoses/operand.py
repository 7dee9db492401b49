"""A generic diagnosis of operands swapped in a division: the result is the reciprocal of the
expected one.

A subtraction with its operands swapped flips the sign (:func:`descent.diagnoses.linear.constant_factor` names
it); a division with its operands swapped turns a value upside down. :func:`reciprocal` reads it
over the whole result (every entry ``1 / expected``), or at the first entry of a sequence that
is wrong when every entry before it is right: a list of the values of a computation's steps (a
graph's nodes, in the order they are built) goes wrong at the step computed upside down, and the
steps after it follow from that one, so only the first wrong entry is evidence.
"""

from __future__ import annotations

import torch

from .base import _ATOL, _RTOL, Diagnosis, same


def reciprocal(e: torch.Tensor, g: torch.Tensor, inputs: object) -> Diagnosis | None:
    """``got`` is ``1 / expected`` everywhere (at least two entries whose expected magnitude is
    not 1: 1 and -1 are their own reciprocals), or at the first wrong entry of a sequence whose
    earlier entries (at least one) are right; ``None`` otherwise."""
    if e.shape != g.shape or e.numel() == 0:
        return None
    telling = (e.abs() - 1).abs() > 1e-3
    if int(telling.sum()) >= 2 and _inverse(e, g):
        return Diagnosis(
            "order",
            "your result is the reciprocal of the expected: a ratio upside down (b / a where "
            "a / b belongs: a division with its operands swapped, or 1 / x where x belongs)",
        )
    if e.dim() != 1 or len(e) < 3:
        return None
    right = torch.isclose(g, e, rtol=_RTOL, atol=_ATOL)
    if bool(right.all()) or not bool(right[0]):
        return None
    k = int((~right).nonzero()[0])
    if not bool(telling[k]) or not _inverse(e[k : k + 1], g[k : k + 1]):
        return None
    return Diagnosis(
        "order",
        f"your values are right up to item {k - 1}, and item {k}, the first wrong one, is the "
        "reciprocal of the expected (the items after it may follow from it): a division with "
        "its operands swapped at that step (b / a where a / b belongs; in a reflected "
        "division, __rtruediv__, the other operand is the numerator)",
    )


def _inverse(e: torch.Tensor, g: torch.Tensor) -> bool:
    """``g == 1 / e`` at every entry, to the hypotheses' tolerance."""
    if bool((e == 0).any()):
        return False
    return same(g, 1.0 / e)
