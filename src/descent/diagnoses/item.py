"""Generic diagnoses of results made of several items or entries: one item never moved from
its zero start, the values one item holds out kept in another, one entry more than an input's
size. (A list *argument* of which only one item counts is re-run by
:mod:`descent.diagnoses.cut`.)

- :func:`zero_item`: a tuple result ``(w, b, losses)`` whose one item is exactly zero where the
  expected's is not: a value left at its zero start, never updated (read by
  :func:`descent.diagnoses.values.diagnose` when the first wrong item names nothing).
- :func:`held_out_kept`: a tuple of index tensors whose one item holds, besides its own
  expected values, every value of another item: what that item holds out is used here too (the
  training indices of a fold with the fold's validation indices in them).
- :func:`handed_back`: a result that is an argument of the call, unchanged (labels returned
  unmixed while the inputs are mixed).
- :func:`extra_entry`: a float result with one entry more along one dimension than the size the
  expected takes from an input (``D + 1`` weights for ``X`` of ``D`` columns): an entry the
  docstring does not ask for (a column of ones appended for a bias).

Texts never print the expected values; they name items by position, arguments by the name the
grader's recipe gives them, and sizes the comparison's message already shows.
"""

from __future__ import annotations

import itertools
from typing import Any

import torch

from .base import Diagnosis, whole


def zero_everywhere(x: Any) -> bool | None:
    """Whether ``x`` (a float tensor or a float) is zero everywhere; ``None`` for anything else
    (whole numbers are counts and epochs: 0 is one of their values, no start left unmoved)."""
    if isinstance(x, torch.Tensor) and x.numel() and x.is_floating_point():
        return not bool(x.detach().any())
    if isinstance(x, float):
        return x == 0
    return None


def zero_item(expected: Any, got: Any) -> Diagnosis | None:
    """A tuple of several items (a record such as ``(w, b, losses)``; a list is a sequence of
    like values, such as the gradients of a graph's nodes, where a 0 follows from the others)
    whose one item (a float tensor or a float) is exactly zero where the expected's is not (and
    holds some value that is no whole number), while the items are not all zero: a value left at
    its zero start and never updated (a parameter left out of the update)."""
    if not (
        isinstance(expected, tuple) and isinstance(got, tuple) and len(expected) == len(got) >= 2
    ):
        return None
    stuck = [
        i
        for i, (e, g) in enumerate(zip(expected, got))
        if zero_everywhere(g) is True and zero_everywhere(e) is False and not whole(e)
    ]
    if len(stuck) != 1 or all(zero_everywhere(g) in (True, None) for g in got):
        return None
    return Diagnosis(
        "zero",
        f"item {stuck[0]} of your result is exactly 0 where the expected's is not: it never "
        "moves from its zero start (left out of the update, or an update that never reaches "
        "it), and what depends on it goes wrong with it",
    )


def _indices(x: Any) -> list | None:
    """``x`` as a list of whole numbers when it is a 1-D tensor of them, else ``None``."""
    if not isinstance(x, torch.Tensor) or x.dim() != 1 or x.is_complex() or not whole(x):
        return None
    return x.tolist()


def held_out_kept(expected: Any, got: Any) -> Diagnosis | None:
    """A tuple or list of index tensors (a fold's training and validation indices) whose item
    ``i`` holds the expected's item ``i`` and, besides, every index of the expected's item ``j``
    (and nothing else): what is held out in item ``j`` is used in item ``i`` too."""
    if not (
        isinstance(expected, (list, tuple))
        and isinstance(got, (list, tuple))
        and len(expected) == len(got) >= 2
    ):
        return None
    e = [_indices(v) for v in expected]
    g = [_indices(v) for v in got]
    for i, j in itertools.permutations(range(len(e)), 2):
        kept, own, out = g[i], e[i], e[j]
        if kept is None or own is None or not out:
            continue
        if len(kept) > len(own) and sorted(kept) == sorted(own + out):
            return Diagnosis(
                "branch",
                f"item {i} of your result holds what the expected's does and, besides, every "
                f"value of item {j}: what item {j} holds out is used in item {i} too (a filter, "
                "a mask or a set difference left out)",
            )
    return None


def extra_entry(e: torch.Tensor, g: torch.Tensor, inputs: Any) -> Diagnosis | None:
    """A float result with one entry more than the expected along one dimension only, where the
    expected's size there is the size of a dimension of an input (``D`` weights for ``X`` of
    ``D`` columns): an entry added that the docstring does not ask for. Not when the result is
    as long as the batch of an input (a sum over the wrong axis gives that size too)."""
    if e.dim() != g.dim() or e.dim() == 0 or whole(e):
        return None
    grown = [k for k in range(e.dim()) if e.shape[k] != g.shape[k]]
    if len(grown) != 1 or g.shape[grown[0]] != e.shape[grown[0]] + 1:
        return None
    k, n = grown[0], e.shape[grown[0]]
    tensors = list(getattr(inputs, "tensors", ()))
    if any(x.dim() >= 1 and x.shape[0] == n + 1 for _, x in tensors):
        return None  # as long as the batch: a reduction over the wrong axis just as well
    where = [
        f"dimension {j} of `{name}`"
        for name, x in tensors
        if x.dim() >= 2
        for j in range(x.dim())
        if x.shape[j] == n and n != x.shape[0]  # a feature count, not the number of examples
    ]
    if len(where) != 1:
        return None
    return Diagnosis(
        "structure",
        f"your result has one entry more along dimension {k} than the size of {where[0]}: "
        "an entry the docstring does not ask for (a column of ones appended for a bias, an "
        "intercept the caller adds itself, a range one step too long)",
    )


def handed_back(given: torch.Tensor, returned: Any, name: str, argument: str) -> Diagnosis | None:
    """``returned`` (each of several results, or one) is exactly the argument ``given``: the
    operation was applied to the other values of the call but never to this one."""
    results = returned if isinstance(returned, (list, tuple)) else [returned]
    if not results or not all(
        isinstance(r, torch.Tensor) and r.shape == given.shape and torch.equal(r, given)
        for r in results
    ):
        return None
    return Diagnosis(
        "argument",
        f"your {name} is the `{argument}` it was given, unchanged: the operation reaches the "
        f"other values of the call but never `{argument}` (a result computed and not "
        "returned, or returned under another name)",
    )
