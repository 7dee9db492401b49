"""What every generic diagnosis module shares: :class:`Diagnosis` (a named likely mistake) and
:func:`same` (the tolerance under which a hypothesis holds). ``diagnoses`` and the modules of
hypotheses beside it (``shape_diagnoses``, ``argument_diagnoses``, ``check_diagnoses``) import
it; it imports none of them, so they form no loop."""

from __future__ import annotations

from dataclasses import dataclass

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
