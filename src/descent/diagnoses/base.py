"""What every generic diagnosis module shares: :class:`Diagnosis` (a named likely mistake),
:func:`same` (the tolerance under which a hypothesis holds), :func:`wrong_entries` and
:func:`whole` (the readings of a result several modules make) and the walk over a result's nested
lists, tuples and dicts (:func:`leaves`, :func:`map_leaves`). ``diagnoses`` and the modules of
hypotheses beside it (``shape_diagnoses``, ``argument_diagnoses``, ``check_diagnoses``) import
it; it imports none of them, so they form no loop."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch

# Two results are "the same" for a hypothesis when they agree this closely: tighter than any
# difference between two plausible formulas, looser than float64 rounding through a few ops.
_RTOL = 1e-6
_ATOL = 1e-9


@dataclass(frozen=True)
class Diagnosis:
    """A named likely mistake: ``kind`` (one of :data:`KINDS`, or ``"ambiguous"``) and the
    sentence shown to the student after "likely mistake:"."""

    kind: str
    text: str


def same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """``a`` equals ``b`` up to the tolerance hypotheses use (shapes must agree). The absolute
    tolerance shrinks with values smaller than 1 (gradients of 1e-20 are not all "equal")."""
    if a.shape != b.shape:
        return False
    scale = max(float(a.abs().max()), float(b.abs().max())) if a.numel() else 0.0
    return bool(torch.allclose(a, b, rtol=_RTOL, atol=_ATOL * min(1.0, scale)))


def wrong_entries(e: torch.Tensor, g: torch.Tensor) -> torch.Tensor | None:
    """The mask of entries that are clearly wrong, when every other entry is clearly right;
    ``None`` when some entry is neither (a rounding-sized error is no pattern)."""
    right = torch.isclose(g, e, rtol=_RTOL, atol=_ATOL)
    wrong = ~torch.isclose(g, e, rtol=1e-3, atol=1e-6)
    return wrong if bool((right | wrong).all()) else None


def whole(x: Any) -> bool:
    """Every value of ``x`` (a tensor or a number) is a whole number."""
    t = torch.as_tensor(x).detach()
    return bool((t == t.round()).all())


def leaves(value: Any) -> Iterator[Any]:
    """What ``value`` holds that is no list, tuple or dict (tensors, numbers, strings, None),
    in order, at any depth (a dict's values only)."""
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from leaves(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    else:
        yield value


def map_leaves(fn: Callable[[Any], Any], value: Any) -> Any:
    """``value`` with ``fn`` applied to each of its :func:`leaves`, its lists, tuples and dicts
    rebuilt around them (same types, same keys)."""
    if isinstance(value, (list, tuple)):
        return type(value)(map_leaves(fn, item) for item in value)
    if isinstance(value, dict):
        return {key: map_leaves(fn, item) for key, item in value.items()}
    return fn(value)
