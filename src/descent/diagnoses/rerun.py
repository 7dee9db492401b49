"""Generic diagnoses that run the reference again with the check's numbers changed together.

:mod:`descent.diagnoses.argument` changes one argument alone (its complement, a count one off).
Some slips need more: a rate that scales every step of a trajectory (a batch gradient summed, not
averaged, is the reference run with ``lr`` times the batch size; a dropped factor 2 is ``lr`` / 2),
an argument used where it combined with another belongs (``total_steps + warmup_steps`` for a
length that already includes the warmup, ``base_lr + min_lr`` for an amplitude that forgot to
subtract ``min_lr``), an argument ignored in the later part of a sequence only (a decay phase
that does not start its count where the warmup ends: the reference with ``warmup_steps = 0``
from there on), or a matrix read transposed (a reduction over examples where units belong).
A float scaled by ``n / (n - 1)`` or ``(n - 1) / n`` for a count ``n`` of the call is a quantity
spread over one item too few or too many (``eps / (C - 1)`` for ``eps / C``; not tried where the
result is simply proportional to the float). A float ``a`` in (0, 1) that the reference mixes with
(its result is ``(1 - a) * f(0) + a * f(1)``) may be used with one share alone (a label smoothing
that scales the one-hot target down and never adds the uniform part). Log-probabilities and
probabilities of one shape in a list of arguments may be exchanged, each in the other's form (a
divergence taken the wrong way round).
None of these leaves a relation between the two results, but the reference recomputed with the
numbers changed equals the student's result.

:func:`number_fits` tries these changes on the numbers the check's recipe closes over (the same
ones :func:`~descent.diagnoses.argument.argument_slip` reads) and on its matrices and puts every
one back; :func:`descent.diagnoses.parameter.rerun_slip` weighs its fits with the other re-runs
(one names the mistake, several are offered as ``ambiguous``). A change that leaves the expected
result as it is explains
nothing. The reruns stop after a time budget (a check whose recipe trains a network for seconds
is not rerun dozens of times).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import torch

from ..calls.timelimit import cut_short
from .argument import _arguments, _discrete, closure
from .base import Case, same
from .values import Diagnosis, _as_tensor, _deep_equal, inputs_of

# Reruns stop once they have taken this long together (seconds): a diagnosis is a bonus.
_BUDGET_S = 2.0


def _scalings(name: str, value: Any, counts: list[tuple[int, str]]) -> Iterator[tuple]:
    """``(new value, how it reads, kind)`` for a float argument that is no whole number (a
    rate, not an order or an exponent) scaled by a constant: -1, 2, 1/2, or a count of the call
    (a whole-number argument or a tensor's size, at least 3)."""
    if not isinstance(value, float) or not math.isfinite(value) or value == round(value):
        return  # a whole-valued float is an order or an exponent (norm_type=2.0), not a rate
    n = f"`{name}`"
    yield (
        -value,
        f"-{n} in place of {n}: every step that {n} scales goes the wrong way (a sign "
        "slipped: ascent for descent, the update added where it is subtracted)",
        "sign",
    )
    yield (
        2 * value,
        f"{n} times 2: whatever {n} multiplies (a gradient, a step) is twice too large (a "
        "factor 2 too many, or counted twice)",
        "factor",
    )
    yield (
        value / 2,
        f"{n} divided by 2: whatever {n} multiplies (a gradient, a step) is half what it "
        "should be (the factor 2 of the derivative of r^2 left out)",
        "factor",
    )
    for count, where in counts:
        yield (
            value * count,
            f"{n} times {count} ({count} is {where}): whatever {n} multiplies is {count} "
            "times too large: a sum where the mean belongs (a gradient summed over the batch "
            "and not divided by its size)",
            "sum-mean",
        )
        yield (
            value / count,
            f"{n} divided by {count} ({count} is {where}): whatever {n} multiplies is "
            f"{count} times too small: a mean where a sum belongs (or an extra division by "
            "it)",
            "sum-mean",
        )


def _combinations(name: str, value: Any, other: str, by: Any) -> Iterator[tuple]:
    """``(new value, how it reads, kind)`` for an argument combined with another of the same
    type and not a thousand times smaller: added or subtracted (whole numbers or floats),
    multiplied or divided (floats)."""
    if type(value) is not type(by) or value == by or abs(by) < 1e-3 * abs(value):
        return  # 0, or a hair (eps beside lr): a change too small to be a slip
    a, b = f"`{name}`", f"`{other}`"
    yield (
        value + by,
        f"{a} + {b} in place of {a}: {b} is added to {a} where it does not belong, or "
        f"not taken out of it where it must be ({a} already includes {b}, or a range "
        f"measured from 0 that runs from {b})",
        "argument",
    )
    if value - by > 0:
        yield (
            value - by,
            f"{a} - {b} in place of {a}: {b} is taken out of {a} where it does not belong "
            f"(or counted twice)",
            "argument",
        )
    if isinstance(value, float):
        yield (
            value * by,
            f"{a} times {b} in place of {a}: a factor {b} too many where {a} enters",
            "argument",
        )
        yield (
            value / by,
            f"{a} divided by {b} in place of {a}: a factor {b} missing where {a} enters "
            f"(a value computed from {a} alone where it also needs {b})",
            "argument",
        )


def _counts(arguments: list[tuple], recipe: Callable) -> list[tuple[int, str]]:
    """The counts a float argument may have been scaled by: whole-number arguments first (by
    name), then the sizes of the recipe's tensors; each value once, all at least 3."""
    found: dict[int, str] = {}
    for name, _, _, value in arguments:
        if isinstance(value, int) and value > 2:
            found.setdefault(value, f"`{name}`")
    for n, where in inputs_of(recipe).sizes(()):
        found.setdefault(n, where)
    return sorted(found.items())


# What a rerun gives when the reference refuses the changed value: no explanation there.
_REFUSED = object()


class _Rerun:
    """The reference run with one closure value changed (put back after), within the time
    budget: past it, :class:`TimeoutError`; when the reference raises, :data:`_REFUSED`."""

    def __init__(self, rerun: Callable[[], Any]):
        self.rerun, self.deadline = rerun, time.monotonic() + _BUDGET_S

    def __call__(self, cell, key, new) -> Any:
        if time.monotonic() > self.deadline:
            raise TimeoutError("rerun budget spent")
        original = cell.cell_contents
        cell.cell_contents = new if key is None else {**original, key: new}
        try:
            return self.rerun()
        except Exception:  # noqa: BLE001 - the reference refuses that value: no explanation
            return _REFUSED
        finally:
            cell.cell_contents = original


def _ignored_later(got: Any, expected: Any, theirs: Any, name: str, value: int) -> Diagnosis | None:
    """``got`` (a sequence) is right up to some step ``k`` (at least one step) and from there on
    equals ``theirs``, the reference with ``name`` (a count, ``value``) set to 0, which differs
    there. For a count of 1 whose whole result is ``theirs`` that is ``name - 1`` too, a reading
    :func:`~descent.diagnoses.argument.argument_slip` gives: both are offered (either)."""
    e, g, t = _as_tensor(expected), _as_tensor(got), _as_tensor(theirs)
    if e is None or g is None or t is None or e.dim() == 0 or len(e) < 3:
        return None
    if not e.shape == g.shape == t.shape:
        return None
    right = [same(g[i], e[i]) for i in range(len(e))]
    k = right.index(False) if False in right else len(e)
    if k == 0 or k == len(e) or not same(g[k:], t[k:]) or same(t[k:], e[k:]):
        return None
    # For a count of 1 whose whole result is `theirs`, argument_slip reads `name` - 1 as well: an
    # off-by-one and a count left out of the later part are then two readings, offered together.
    return Diagnosis(
        "argument",
        f"your sequence is right up to item {k - 1} and from there on is what the expected "
        f"becomes with `{name}` = 0: the later part is computed as if `{name}` were not "
        f"there (a count not started where the earlier part ends, a length that does not "
        f"take `{name}` out)",
    )


def _sensitive(run: _Rerun, cell, key, new: Any, got: Any) -> bool:
    """A float ``new`` moved by a hair no longer gives ``got``: the result follows the number
    smoothly there. A number that acts as a threshold (a comparison, a cut-off) gives the same
    result over a whole range, so landing on ``got`` with it is a coincidence, not a slip; one
    refused a hair away is a boundary, no slip either."""
    if not isinstance(new, float):
        return True  # whole numbers (and matrices) move by 1 or not at all
    theirs = run(cell, key, new * (1 + 1e-4))
    return theirs is not _REFUSED and not _deep_equal(theirs, got)


def _matrices(recipe: Callable) -> Iterator[tuple]:
    """``(name, cell)`` for each matrix the recipe closes over (both sizes 3 or more: a 2-row
    matrix read the other way matches too often by chance)."""
    for name, cell, value in closure(recipe):
        if isinstance(value, torch.Tensor) and value.dim() == 2 and min(value.shape) >= 3:
            yield name, cell


def _distribution(x: Any, log: bool) -> bool:
    """``x`` is a floating tensor whose rows (last dimension, at least 2 entries) are
    probabilities summing to 1, or with ``log`` their logarithms."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.dim() == 0:
        return False
    if x.shape[-1] < 2 or bool(torch.isnan(x).any()):
        return False
    p = x.detach().to("cpu", torch.float64)
    p = p.exp() if log else p
    if log and bool((x > 0).any()) or not log and bool(((p < 0) | (p > 1)).any()):
        return False
    return same(p.sum(-1), torch.ones_like(p.sum(-1)))


def _swapped_distributions(recipe: Callable) -> Iterator[tuple]:
    """``(cell, swapped, how)`` for each list or tuple of arguments the recipe closes over that
    holds log-probabilities and probabilities of one shape: the two exchanged, each put in the
    other's form (the log of the probabilities where the log-probabilities were)."""
    for name, cell, items in closure(recipe):
        if not isinstance(items, (list, tuple)):
            continue
        for i, j in itertools.permutations(range(len(items)), 2):
            a, b = items[i], items[j]
            if _distribution(a, log=True) and _distribution(b, log=False) and a.shape == b.shape:
                swapped = list(items)
                swapped[i], swapped[j] = torch.log(b), torch.exp(a)
                yield (
                    cell,
                    type(items)(swapped),
                    f"the distributions `{name}[{i}]` (log-probabilities) and `{name}[{j}]` "
                    "(probabilities) exchanged, each in the other's form: the two "
                    "distributions' roles swapped (a divergence taken in the wrong direction, "
                    "KL(q || p) for KL(p || q); the model's distribution weighting the sum "
                    "where the target's belongs)",
                )


def _tries(recipe: Callable, arguments: list[tuple]) -> Iterator[tuple]:
    """``(cell, key, new value, how it reads, kind)`` for every change :func:`_slips` runs,
    cheapest first: the numbers scaled and combined, then the matrices transposed."""
    counts = _counts(arguments, recipe)
    for name, cell, key, value in arguments:
        for new, how, kind in _scalings(name, value, counts):
            yield cell, key, new, how, kind
        for other, _, _, by in arguments:
            if other != name:
                for new, how, kind in _combinations(name, value, other, by):
                    yield cell, key, new, how, kind
    for name, cell in _matrices(recipe):
        yield (
            cell,
            None,
            cell.cell_contents.T.contiguous(),
            f"`{name}` transposed: its rows and columns swapped, so the reduction runs over the "
            "wrong dimension (examples for units, or the reverse)",
            "reduction",
        )
    for cell, swapped, how in _swapped_distributions(recipe):
        yield cell, None, swapped, how, "argument"


def _spreads(name: str, value: Any, counts: list[tuple[int, str]]) -> Iterator[tuple]:
    """``(new value, how it reads)`` for a float argument that is no whole number scaled by
    ``n / (n - 1)`` or ``(n - 1) / n`` for a count ``n`` of the call: what it is spread over
    divided by one item too few or too many (``eps / (C - 1)`` for ``eps / C``)."""
    if not isinstance(value, float) or not math.isfinite(value) or value == round(value):
        return
    n = f"`{name}`"
    for count, where in counts:
        yield (
            value * count / (count - 1),
            f"{n} times {count}/({count} - 1) ({count} is {where}): what {n} is spread over is "
            f"divided by {count} - 1 where the docstring divides by {count} (the others of "
            "the items where all of them count, n - 1 for n)",
        )
        yield (
            value * (count - 1) / count,
            f"{n} times ({count} - 1)/{count} ({count} is {where}): what {n} is spread over is "
            f"divided by {count} where the docstring divides by {count} - 1 (all the items "
            "where only the others count, n for n - 1)",
        )


def _spread_fits(
    run: _Rerun, arguments: list[tuple], counts: list, got: Any, expected: Any
) -> list[Diagnosis]:
    """The :func:`_spreads` that give ``got``, for arguments the result is not simply
    proportional to (there, a ratio of counts on the argument is one on the result, which
    many slips give: a step one off on a linear ramp)."""
    fits = []
    for name, cell, key, value in arguments:
        spreads = list(_spreads(name, value, counts))
        if not spreads or _proportional(run, cell, key, value, expected):
            continue
        for new, how in spreads:
            if _fits(run, cell, key, new, got, expected):
                fits.append(
                    Diagnosis("factor", "your result is what the expected becomes with " + how)
                )
    return fits


def _proportional(run: _Rerun, cell, key, value: float, expected: Any) -> bool:
    e, t = _as_tensor(expected), _as_tensor(run(cell, key, 2 * value))
    return e is not None and t is not None and e.shape == t.shape and same(t, 2 * e)


def _fits(run: _Rerun, cell, key, new: Any, got: Any, expected: Any) -> bool:
    """The reference with the cell's value changed to ``new`` gives ``got``, no longer
    ``expected``, and does so only at that value (see :func:`_sensitive`)."""
    theirs = run(cell, key, new)
    return (
        theirs is not _REFUSED
        and _deep_equal(theirs, got)
        and not _deep_equal(theirs, expected)
        and _sensitive(run, cell, key, new, got)
    )


def _slips(recipe: Callable, got: Any, rerun: Callable[[], Any], expected: Any) -> list[Diagnosis]:
    """Every diagnosis of a changed number (or pair of numbers, or matrix) giving ``got``,
    as many as the time budget allows."""
    arguments, run, fits = _arguments(recipe), _Rerun(rerun), list[Diagnosis]()
    try:
        for cell, key, new, how, kind in _tries(recipe, arguments):
            if _fits(run, cell, key, new, got, expected):
                fits.append(Diagnosis(kind, "your result is what the expected becomes with " + how))
        fits += _spread_fits(run, arguments, _counts(arguments, recipe), got, expected)
        fits += _mixtures(run, arguments, got, expected)
        for name, cell, key, value in arguments:
            if isinstance(value, int) and value >= 1:
                theirs = run(cell, key, 0)
                found = (
                    None
                    if theirs is _REFUSED
                    else _ignored_later(got, expected, theirs, name, value)
                )
                fits += [found] if found is not None else []
    except TimeoutError:
        cut_short()  # the budget is spent: what was found so far
    return fits


def _mixtures(run: _Rerun, arguments: list[tuple], got: Any, expected: Any) -> list[Diagnosis]:
    """For each float argument ``a`` strictly between 0 and 1 that the reference mixes with (its
    result is ``(1 - a) * f(0) + a * f(1)``, ``f`` the reference with ``a`` changed, ``f(0)`` not
    ``f(1)``): ``got`` is one share of the mixture alone, ``(1 - a) * f(0)`` or ``a * f(1)`` (a
    smoothing that scales the target down and never adds the uniform share)."""
    e, g = _as_tensor(expected), _as_tensor(got)
    if e is None or g is None or e.shape != g.shape or not bool(g.any()):
        return []  # zeros are every mixture's share where one part is zero
    fits = []
    for name, cell, key, value in arguments:
        if not isinstance(value, float) or not 0 < value < 1:
            continue
        f0, f1 = (_as_tensor(run(cell, key, end)) for end in (0.0, 1.0))
        if f0 is None or f1 is None or not f0.shape == f1.shape == e.shape or same(f0, f1):
            continue  # (a refused value is no tensor either)
        if not same(e, (1 - value) * f0 + value * f1):
            continue
        n = f"`{name}`"
        for share, kept, lost in (
            ((1 - value) * f0, f"(1 - {n}) times the result at {n} = 0", f"at {n} = 1"),
            (value * f1, f"{n} times the result at {n} = 1", f"at {n} = 0"),
        ):
            if same(g, share):
                fits.append(
                    Diagnosis(
                        "term",
                        f"your result is {kept}: the result mixes two parts with weights "
                        f"1 - {n} and {n}, and your result misses the one that is the result "
                        f"{lost} (a smoothing or mixing term scaled down but never added)",
                    )
                )
    return fits


def number_fits(case: Case) -> list[Diagnosis]:
    """Every change of the recipe's numbers (scaled, combined, a count ignored later, a matrix
    transposed) under which the reference (``case.again()``, the recipe run on it) gives ``got``;
    :func:`descent.diagnoses.parameter.rerun_slip` weighs them with the other re-runs."""
    recipe, got, rerun, expected = case.recipe, case.got, case.again, case.expected
    if _discrete(got) and _discrete(expected):
        return []  # epochs, counts, labels: many slips land on the same few values
    return _slips(recipe, got, rerun, expected)
