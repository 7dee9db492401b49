"""Value hypotheses that read a result as a sequence (dimension 0: the steps of a schedule, a
trajectory, a history) and find it shifted in time: one step behind or ahead, changing at
other steps, a first change scaled, one item too many or too few.

Each is ``(e, g, inputs) -> Diagnosis | None`` on two float64 CPU tensors (of one shape, but
:func:`one_item_more_or_less`, a reading of :data:`~.order.SHAPES`). They read only sequences
of at least 3 steps with some value that is not whole: a list of indices or counts (a fold, a
permutation) is no schedule.
"""

from __future__ import annotations

from typing import Any

import torch

from .base import _ATOL, _RTOL, Diagnosis, same, whole
from .linear import UNNAMED_FACTOR, constant_factor, multiple_of_an_input
from .values import Inputs


def one_step_off(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """A sequence (dimension 0: the steps of a schedule or a trajectory, at least 3) one step
    behind or ahead: ``got[t] == expected[t - 1]`` or ``got[t] == expected[t + 1]``."""
    if e.dim() == 0 or e.shape[0] < 3 or same(e[1:], e[:-1]) or whole(e):
        return None
    if same(g[1:], e[:-1]):
        return Diagnosis(
            "step",
            "your sequence runs one step behind: your value at step t is "
            "the expected value at step t - 1 (a step counter that starts "
            "one too low, or a value read before it is updated)",
        )
    if same(g[:-1], e[1:]):
        return Diagnosis(
            "step",
            "your sequence runs one step ahead: your value at step t is "
            "the expected value at step t + 1 (a step counter that starts "
            "one too high, or a value updated before it is used)",
        )
    return None


def changes_at_other_steps(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """A piecewise-constant sequence (a schedule's rates, 1-D, at least 3 steps) that takes the
    right values in the right order but changes at other steps: the condition that decides a
    change is wrong (every change one step early or late is the ``step`` shift)."""
    if e.dim() != 1 or len(e) < 3 or whole(e):
        return None
    e_at, g_at = _change_steps(e), _change_steps(g)
    if not e_at or len(e_at) != len(g_at) or len(e_at) > len(e) // 2:
        return None  # a sequence that changes every other step is no step function
    if not same(_runs(e), _runs(g)):
        return None
    return Diagnosis(
        "step",
        "your sequence takes the right values in the right order, but "
        "changes at other steps: check the condition that decides when it "
        "changes (a strict or non-strict comparison, a threshold, a counter "
        "that is reset or not)",
    )


def _change_steps(x: torch.Tensor) -> list[int]:
    moved = ~torch.isclose(x[1:], x[:-1], rtol=_RTOL, atol=_ATOL)
    return [int(i) + 1 for i in moved.nonzero().flatten()]


def _runs(x: torch.Tensor) -> torch.Tensor:
    return x[[0] + _change_steps(x)]


def first_update(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """A trajectory (dimension 0, at least 3 steps) whose first entry is right and whose first
    change ``got[1] - got[0]`` is a constant factor (the sign, a dimension's size, 2, an
    argument) of the expected one: the step's sign or scale is wrong. The text names the entries,
    not "the first update": a trajectory of parameters after each step starts after an update
    (one that may be right, as with Adam's bias correction written ``1 - beta``)."""
    if e.dim() == 0 or e.shape[0] < 3 or whole(e) or not same(g[0], e[0]) or same(g[1], e[1]):
        return None
    change = e[1] - e[0]
    found = constant_factor(change, g[1] - g[0], inputs)
    if (
        found is None
        or found.text.startswith(UNNAMED_FACTOR)
        and multiple_of_an_input(change, Inputs(tensors=inputs.tensors + [("the start", e[0])]))
    ):
        return None  # a change that only scales the start: every slip of the update does
    # (the sequence may start after a first update made right: its first entry, not the start)
    return Diagnosis(
        found.kind,
        "from its first entry (right) to its second, your sequence "
        + found.text.replace("your result is", "changes by").replace(
            "the expected", "the expected change"
        ),
    )


def one_item_more_or_less(e: torch.Tensor, g: torch.Tensor, inputs: Any = None) -> Diagnosis | None:
    """A sequence (dimension 0, at least 3 steps) with one item too many or too few, the rest
    right: an extra or a missing step at its start or its end."""
    if (
        e.dim() == 0
        or g.dim() == 0
        or e.shape[1:] != g.shape[1:]
        or min(len(e), len(g)) < 3
        or whole(e)
    ):
        return None
    if len(g) == len(e) + 1:
        longer, shorter, what = g, e, "one item too many"
    elif len(g) == len(e) - 1:
        longer, shorter, what = e, g, "one item too few"
    else:
        return None
    start, end = same(longer[1:], shorter), same(longer[:-1], shorter)
    if start == end:
        return None
    where = "at the start" if start else "at the end"
    cause = (
        "(the starting value left out, or an extra first entry)"
        if start
        else "(a loop that runs one step too many or too few: range(steps + 1), or a last "
        "step left out)"
    )
    return Diagnosis("step", f"your sequence has {what}, {where}, and is right otherwise {cause}")
