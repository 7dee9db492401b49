"""The results of a batch of calls (a sweep, a chain) packed as one tensor per position.

A worker's reply carries each tensor of a value separately: a sweep of 500 calls that each
return a list of four ``(train, val)`` pairs is 4,000 tensors to encode there and rebuild here.
When every result has the same nesting of lists and tuples around its tensors, and the tensors
of each position agree in shape, dtype and device, the worker sends instead one stacked tensor
per position and the *skeleton* of that nesting; this side rebuilds the results from views of
the stacked tensors. A skeleton is ``"T"`` (a tensor) or ``[kind, [skeleton, ...]]`` with
``kind`` ``"l"`` (a list) or ``"t"`` (a tuple). What comes back is the same values in the same
containers; each tensor is a view of a stacked one, so a grader that asks for stacking reads
them and does not resize them. The skeleton comes from the worker: :func:`unstack_results`
checks it before it builds anything.
"""

from __future__ import annotations

from typing import Any

import torch

MAX_DEPTH = 8  # containers inside containers in one result
MAX_LEAVES = 256  # tensors in one result


def _skeleton(value: Any, leaves: list, depth: int = 0) -> Any:
    """``value``'s nesting down to its tensors, which are appended to ``leaves``; None where it
    holds anything else (or is too deep, or holds an empty container)."""
    kind = type(value)
    if kind is torch.Tensor:
        leaves.append(value)
        return "T"
    if (kind is list or kind is tuple) and value and depth < MAX_DEPTH:
        parts = []
        for item in value:
            part = _skeleton(item, leaves, depth + 1)
            if part is None:
                return None
            parts.append(part)
        return ["l" if kind is list else "t", parts]
    return None


def stack_results(results: list) -> tuple[Any, list] | None:
    """``(skeleton, stacked)``: ``results`` as one stacked tensor per position, when that loses
    nothing. Every result must have one skeleton, and every tensor of a position must be a
    plain strided tensor of one shape, dtype and device that does not require grad. Otherwise
    None (send the list)."""
    if len(results) < 2:
        return None
    first: list = []
    skeleton = _skeleton(results[0], first)
    if skeleton is None or len(first) > MAX_LEAVES:
        return None
    columns = [[leaf] for leaf in first]
    for result in results[1:]:
        leaves: list = []
        if _skeleton(result, leaves) != skeleton:
            return None
        for column, leaf in zip(columns, leaves):
            column.append(leaf)
    stacked = []
    for column in columns:
        head = column[0]
        if not all(
            t.layout == torch.strided
            and not t.requires_grad
            and t.shape == head.shape
            and t.dtype == head.dtype
            and t.device == head.device
            for t in column
        ):
            return None
        stacked.append(torch.stack(column))
    return skeleton, stacked


def _leaves_of(skeleton: Any, seen: list[int] | None = None, depth: int = 0) -> int:
    """How many tensors ``skeleton`` holds; ValueError where it is not one (checked as it is
    read: it stops at the first part past :data:`MAX_LEAVES` tensors or :data:`MAX_DEPTH`)."""
    seen = [0] if seen is None else seen
    if skeleton == "T":
        seen[0] += 1
        if seen[0] > MAX_LEAVES:
            raise ValueError("malformed stacked results")
        return 1
    if not (
        type(skeleton) is list
        and len(skeleton) == 2
        and skeleton[0] in ("l", "t")
        and type(skeleton[1]) is list
        and skeleton[1]
        and depth < MAX_DEPTH
    ):
        raise ValueError("malformed stacked results")
    return sum(_leaves_of(part, seen, depth + 1) for part in skeleton[1])


def _build(skeleton: Any, leaves) -> Any:
    if skeleton == "T":
        return next(leaves)
    parts = [_build(part, leaves) for part in skeleton[1]]
    return parts if skeleton[0] == "l" else tuple(parts)


def unstack_results(skeleton: Any, stacked: list, count: int) -> list:
    """The ``count`` results :func:`stack_results` packed (each tensor a view of a stacked
    one); raises ValueError if the skeleton or the parts do not fit."""
    if not (
        type(stacked) is list
        and len(stacked) == _leaves_of(skeleton)
        and all(type(s) is torch.Tensor and s.dim() >= 1 and s.shape[0] == count for s in stacked)
    ):
        raise ValueError("malformed stacked results")
    rows = [s.unbind(0) for s in stacked]
    return [_build(skeleton, (row[k] for row in rows)) for k in range(count)]


def stack_chain(entries: list) -> tuple[Any, list] | None:
    """A chain's ``[(result, edited[, moved]), ...]`` (``callables.run_chain``) as ``(skeleton,
    [stacked, flags])`` when its results stack (:func:`stack_results`): ``flags`` holds one
    list of bools per flag, a value for each call. None otherwise (send the entries)."""
    packed = stack_results([entry[0] for entry in entries])
    if packed is None:
        return None
    skeleton, stacked = packed
    return skeleton, [stacked, [list(flag) for flag in zip(*(entry[1:] for entry in entries))]]


def unstack_chain(skeleton: Any, payload: list, steps: int) -> list:
    """The entries :func:`stack_chain` packed; raises ValueError where they do not fit ``steps``
    calls (one or two flags, each a bool per call)."""
    if not (type(payload) is list and len(payload) == 2 and type(payload[1]) is list):
        raise ValueError("malformed stacked chain")
    stacked, flags = payload
    if not (
        len(flags) in (1, 2)
        and all(
            type(f) is list and len(f) == steps and all(type(b) is bool for b in f) for f in flags
        )
    ):
        raise ValueError("malformed flags of a stacked chain")
    return list(zip(unstack_results(skeleton, stacked, steps), *flags))
