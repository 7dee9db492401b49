"""What :mod:`descent.diagnoses.verified` weighs: a :class:`Claim`, a candidate cause of a
failure, and the words of a ratio no quantity of the call names (:data:`UNNAMED`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from .base import Diagnosis, leaves

UNNAMED = "times a constant ("  # the reading of a ratio that no quantity of the call names


@dataclass(frozen=True)
class Claim:
    """A candidate cause: ``text`` completes "likely mistake:"; ``kind`` is the generic kind
    (``None`` for a catalogued bug or a check's Mistake, named by ``misconception``); ``rerun``
    runs a recipe with the slip; ``reading`` is the diagnosis a reading must meet again."""

    key: tuple
    text: str
    kind: str | None = None
    misconception: str | None = None
    hint: str | None = None
    rerun: Callable[[Callable, Any], Any] | None = None
    reading: Diagnosis | None = None
    values: bool = False  # a reading of the values alone, which a neighbour's values can meet
    fact: bool = False
    host: Any = None  # the correct code a slip was written into, where not the reference
    located: str = ""  # where in the student's code: a verified repair's line and change
    # a re-run's fit found after a place (a branch read wrong): unverified, the checks it misses
    # are left to the place as if it had not been tried
    tentative: bool = False


def unnamed(claim: Claim) -> bool:
    """A reading of a ratio that no quantity of the call names ("times a constant (1.344)"):
    any slip of a formula gives some such ratio on one input, so it is a cause only where every
    failing check, two at least, is proportional to the expected."""
    return claim.reading is not None and UNNAMED in claim.text


_SLICED = re.compile(r"along dimension (\d+) \(size \d+")


def sliced_alike(reading: Diagnosis | None, got: Any) -> bool:
    """``got`` has slices along the dimension a reading of slices names (``along dimension 0
    (size 6)``; another check's sizes may differ): a reading of a (6, 4) output's rows says
    nothing of a (4,) running mean, whose "slices" are single entries."""
    found = _SLICED.search(reading.text) if reading is not None else None
    if found is None:
        return True
    dim = int(found[1])
    return any(isinstance(t, torch.Tensor) and t.dim() > max(dim, 1) for t in leaves(got))
