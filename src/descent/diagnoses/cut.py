"""Generic diagnosis that re-runs the reference with a list argument cut to one item.

A loop over a list argument of tensors (``params``) that returns from inside counts only the
first item; a total overwritten where it is accumulated (``=`` for ``+=``) counts only the last.
:func:`one_item_fits` runs the reference (the check's recipe) with the list cut to its first
item, then to its last, and puts it back. The fit may be partial: the items of a tuple result
that are wrong must be the re-run's, those that are right are left alone (the gradients of a
penalty are right item by item while its loss counts only the first). Called by
:func:`descent.diagnoses.parameter.rerun_slip`, which weighs it with the other re-runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch

from ..calls.timelimit import cut_short
from .argument import closure
from .base import Case
from .values import Diagnosis, _deep_equal

# The re-runs stop once they have taken this long together (seconds): a training recipe is not
# re-run for minutes to find a diagnosis.
_BUDGET_S = 2.0

# How the re-run cuts a list argument, with what a fit says.
_CUTS: tuple[tuple[slice, str, str], ...] = (
    (
        slice(0, 1),
        "first",
        "only the first item of `{0}` counts: a return inside the loop over `{0}`, or a loop "
        "that stops after one item; accumulate over every item before returning",
    ),
    (
        slice(-1, None),
        "last",
        "only the last item of `{0}` counts: a total overwritten at each item (= where += "
        "belongs), or a value read after the loop from the loop variable",
    ),
)


def _lists(recipe: Callable) -> list[tuple[str, Any, list | tuple]]:
    """``(name, cell, value)`` for each list or tuple of at least two tensors the recipe closes
    over (an argument such as ``params``)."""
    return [
        (name, cell, value)
        for name, cell, value in closure(recipe)
        if isinstance(value, (list, tuple))
        and len(value) >= 2
        and all(isinstance(v, torch.Tensor) for v in value)
    ]


def reproduces_where_wrong(theirs: Any, got: Any, expected: Any) -> bool:
    """``theirs`` equals ``got`` wherever ``got`` is wrong: the whole result, or, for tuples of
    one length, every item of ``got`` that differs from the expected's (at least one item of
    ``got`` is right: a partial fit needs a right part to leave alone)."""
    if _deep_equal(theirs, got):
        return not _deep_equal(theirs, expected)
    if not all(isinstance(v, tuple) for v in (theirs, got, expected)) or not (
        len(theirs) == len(got) == len(expected) >= 2
    ):
        return False
    wrong = [i for i in range(len(got)) if not _deep_equal(got[i], expected[i])]
    if not wrong or len(wrong) == len(got):
        return False
    return all(_deep_equal(theirs[i], got[i]) for i in wrong)


def one_item_fits(case: Case) -> list[Diagnosis]:
    """Every cut of a list argument to its first or last item under which the reference
    (``case.again()``, the recipe run on it) gives ``got`` where ``got`` is wrong; every argument is
    put back; they stop after :data:`_BUDGET_S` seconds."""
    recipe, got, rerun, expected = case.recipe, case.got, case.again, case.expected
    fits: list[Diagnosis] = []
    start = time.perf_counter()
    for name, cell, value in _lists(recipe):
        for cut, which, how in _CUTS:
            if time.perf_counter() - start > _BUDGET_S:
                cut_short()
                return fits
            cell.cell_contents = type(value)(value[cut])
            try:
                theirs = rerun()
            except Exception:  # noqa: BLE001 - the reference refuses one item: no explanation
                continue
            finally:
                cell.cell_contents = value
            if reproduces_where_wrong(theirs, got, expected):
                fits.append(
                    Diagnosis(
                        "term",
                        "the wrong part of your result is what the reference gives when `"
                        f"{name}` holds only its {which} item: " + how.format(name),
                    )
                )
    return fits
