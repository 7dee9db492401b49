"""Generic diagnoses that run the reference again with one argument of the check changed.

Some mistakes leave the formula right and use an argument wrongly: ``p`` read as its complement
``1 - p`` (the probability of keeping for that of dropping, the old value's weight for the new
one's), or a count one too large or too small (a strict comparison where a non-strict one
belongs, steps counted from 1). No relation between the two results shows it, but the expected
recomputed with the argument changed equals the student's result. :func:`argument_slip` tries
each number the check's recipe closes over (directly, or as a value of a keyword-argument dict),
runs the reference once per changed value, and puts every argument back. Only the first check of
a failure pays for it (the diagnosis is deferred), and only when no value hypothesis fits.
:func:`argument_fits` lists every slip that fits; :mod:`descent.diagnoses.parameter` weighs them
with the parameters of the exercise's functions changed (what the checker calls).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterator
from typing import Any

import torch

from .base import Case, NotApplicable
from .values import Diagnosis, _deep_equal

# Whole-number arguments that index rather than count: dim + 1 is another dimension, not an
# off-by-one (softmax over the last dimension for dim=1 of a 3-D input is `dim` ignored).
_INDICES = ("dim", "axis")


def _changes(name: str, value: Any) -> Iterator[tuple[Any, str, str, Callable[[Any], Any]]]:
    """``(new value, how it reads, kind, the change)`` for each slip tried on an argument."""
    if isinstance(value, float) and 0 < value < 1 and value != 0.5:
        yield (
            1 - value,
            "1 - `{0}` in place of `{0}`: the argument is confused with its "
            "complement (the probability of keeping for that of dropping, the "
            "weight of the old value for that of the new)",
            "argument",
            lambda v: 1 - v,
        )
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and value >= 1
        and not any(word in name for word in _INDICES)
    ):
        for delta, sign in ((1, "+"), (-1, "-")):
            yield (
                value + delta,
                f"`{{0}}` {sign} 1 in place of `{{0}}`: an off-by-one in how "
                "`{0}` is counted (a strict comparison where a non-strict one "
                "belongs, or the reverse; a count that starts at 1 instead of "
                "0; a range that stops one step early or late)",
                "step",
                functools.partial(operator.add, delta),
            )


def closure(recipe: Callable) -> Iterator[tuple[str, Any, Any]]:
    """``(name, cell, value)`` for each variable the recipe closes over (cells not filled yet
    left out): the arguments a re-run may change, and put back."""
    code = getattr(recipe, "__code__", None)
    for name, cell in zip(
        code.co_freevars if code else (), getattr(recipe, "__closure__", None) or ()
    ):
        try:
            value = cell.cell_contents
        except ValueError:  # a cell not filled yet
            continue
        yield name, cell, value


def _arguments(recipe: Callable) -> list[tuple[str, Any, Any, Any]]:
    """``(name, cell, key, value)`` for each number the recipe closes over, directly (``key``
    ``None``) or as a value of a dict of keyword arguments it closes over."""
    found = []
    for name, cell, value in closure(recipe):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            found.append((name, cell, None, value))
        elif isinstance(value, dict):
            found += [
                (str(k), cell, k, v)
                for k, v in value.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)
            ]
    return found


def _discrete(value: Any) -> bool:
    """Whole numbers, ``None``, booleans and strings only (nested in lists, tuples, dicts)."""
    if isinstance(value, (list, tuple)):
        return all(_discrete(v) for v in value)
    if isinstance(value, dict):
        return all(_discrete(v) for v in value.values())
    if isinstance(value, torch.Tensor):
        return not value.is_floating_point()
    return value is None or isinstance(value, (int, str))  # bool is an int


def argument_slip(case: Case) -> Diagnosis | None:
    """The one argument slip under which the reference (``case.again()``, the recipe run on it)
    gives ``got`` and no longer ``expected`` (a change that makes no difference here explains
    nothing); ``None`` when none or several do (two explanations: say nothing)."""
    fits = argument_fits(case)
    return fits[0] if len(fits) == 1 else None


def argument_fits(case: Case) -> list[Diagnosis]:
    """Every argument slip under which ``case.again()`` gives ``got`` and no longer ``expected``."""
    recipe, got, rerun, expected = case.recipe, case.got, case.again, case.expected
    if _discrete(got) and _discrete(expected):
        return []  # epochs, counts, labels: many slips land on the same few values
    fits = []
    for name, cell, key, value in _arguments(recipe):
        for new, how, kind, change in _changes(name, value):
            original = cell.cell_contents
            cell.cell_contents = new if key is None else {**original, key: new}
            try:
                theirs = rerun()
            except Exception:  # noqa: BLE001 - the reference refuses that value: no explanation here
                continue
            finally:
                cell.cell_contents = original
            if _deep_equal(theirs, got) and not _deep_equal(theirs, expected):
                fits.append(
                    Diagnosis(
                        kind,
                        "your result is what the expected becomes with " + how.format(name),
                        rerun=recast(name, key is not None, change),
                    )
                )
    return fits


def recast(name: str, keyed: bool, change: Callable[[Any], Any]) -> Callable[[Callable, Any], Any]:
    """The re-run of a slip of an argument: ``rerun(recipe, reference)`` runs ``recipe`` on
    ``reference`` with the number it closes over under ``name`` (``keyed``: a key of a dict of
    keyword arguments it closes over) changed by ``change``, and puts it back; a recipe without
    such a number is :class:`~descent.diagnoses.base.NotApplicable`."""

    def rerun(recipe: Callable, reference: Any) -> Any:
        for found, cell, key, value in _arguments(recipe):
            if found != name or (key is not None) != keyed:
                continue
            original = cell.cell_contents
            cell.cell_contents = change(value) if key is None else {**original, key: change(value)}
            try:
                return recipe(reference)
            finally:
                cell.cell_contents = original
        raise NotApplicable(name)

    return rerun
