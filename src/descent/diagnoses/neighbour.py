"""The neighbouring input of a check: the same recipe on an input next to the check's own.

One comparison is no proof that a slip is the student's (two slips can agree on one input), so
:mod:`descent.diagnoses.verified` wants a second input on which the slip gives what the student's
code gives. A check whose exercise has no other failing check brings its own: :func:`neighbour`
rebuilds the recipe with what it closes over changed, the batch one example shorter (every
tensor whose first dimension is the batch's size loses its last entry), or, for a recipe of
numbers only, its floats moved a tenth (whole numbers are counts and steps: left alone).
``Checker`` runs it on the student's code and on the reference when it reports a failure.
"""

from __future__ import annotations

import types
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import torch


def neighbour(recipe: Callable) -> Callable | None:
    """``recipe`` on a neighbouring input: its batch one example shorter, every tensor it closes
    over (directly, one level inside a list, tuple or dict, or through a helper function it
    closes over) whose first dimension has the batch's size losing its last entry along it; the
    batch's size is the most common first dimension (at least 3) among the floating-point
    tensors. A recipe of numbers only has its floats (not its whole numbers: counts, steps)
    moved by a tenth instead. ``None`` when it has neither."""
    sizes = Counter(
        t.shape[0]
        for t in _tensors(recipe, 2)
        if t.is_floating_point() and t.dim() and t.shape[0] >= 3
    )
    if sizes:
        n = max(sizes, key=lambda s: (sizes[s], s))

        def cut(value: Any) -> Any:
            if isinstance(value, torch.Tensor) and value.dim() and value.shape[0] == n:
                return value[: n - 1].clone()
            return value

        return _rebuilt(recipe, cut, 2)
    if not any(type(v) is float and v != 0 for v in _numbers(recipe, 2)):
        return None
    return _rebuilt(recipe, lambda v: 1.1 * v if type(v) is float else v, 2)


def _numbers(fn: Any, depth: int) -> Iterable[Any]:
    for value in _cells(fn):
        if isinstance(value, types.FunctionType):
            if depth > 1:
                yield from _numbers(value, depth - 1)
            continue
        yield from _items(value)


def _tensors(fn: Any, depth: int) -> Iterable[torch.Tensor]:
    for value in _cells(fn):
        if isinstance(value, types.FunctionType):
            if depth > 1:
                yield from _tensors(value, depth - 1)
            continue
        for item in _items(value):
            if isinstance(item, torch.Tensor) and not item.is_meta:
                yield item


def _cells(fn: Any) -> list[Any]:
    out = []
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            out.append(cell.cell_contents)
        except ValueError:  # a cell not filled yet
            out.append(None)
    return out


def _items(value: Any) -> Iterable[Any]:
    if isinstance(value, (list, tuple)):
        return value
    if isinstance(value, dict):
        return value.values()
    return (value,)


def _rebuilt(fn: Any, cut: Callable[[Any], Any], depth: int) -> Any:
    """``fn`` with ``cut`` applied to what its closure holds (one level inside containers)."""
    if not isinstance(fn, types.FunctionType) or not fn.__closure__:
        return fn
    cells = []
    for value in _cells(fn):
        if isinstance(value, types.FunctionType):
            value = _rebuilt(value, cut, depth - 1) if depth > 1 else value
        elif isinstance(value, (list, tuple)):
            value = type(value)(cut(v) for v in value) if not hasattr(value, "_fields") else value
        elif isinstance(value, dict):
            value = {k: cut(v) for k, v in value.items()}
        else:
            value = cut(value)
        cells.append(types.CellType(value))
    return types.FunctionType(
        fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, tuple(cells)
    )
