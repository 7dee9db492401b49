"""A generic diagnosis for a general formula evaluated at an infinite argument (a hypothesis of
the second tier of :mod:`descent.diagnoses.values`).

Functions with a parameter that may be infinite (a p-norm's ``p``, a clamp's bound) need that
case in its own branch: the general formula gives a degenerate value there. A p-norm
``(sum |x|**p)**(1/p)`` with ``p = inf`` is ``s**0`` for ``s`` 0 or inf, which Python and torch
both make exactly 1, whatever ``x`` is. :func:`at_infinity` names a result that is exactly 1
everywhere when a number of the call is infinite and the expected is not 1.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from .base import Diagnosis


def at_infinity(e: torch.Tensor, g: torch.Tensor, inputs: Any) -> Diagnosis | None:
    """``got`` is exactly 1 everywhere, ``expected`` nowhere 1, and a number of the call is
    infinite: the formula for finite values evaluated at infinity (``x ** (1 / p)`` is
    ``x ** 0``)."""
    infinite = [name for name, v in inputs.numbers if math.isinf(v)]
    if len(infinite) != 1 or not bool((g == 1).all()) or bool((e == 1).any()):
        return None
    return Diagnosis(
        "branch",
        f"`{infinite[0]}` is infinite and your result is exactly 1, what a formula for finite "
        f"values gives at infinity (x ** (1 / p) with p = inf is x ** 0 = 1): the infinite "
        "case needs its own rule (a maximum, a limit) in a branch of its own",
    )
