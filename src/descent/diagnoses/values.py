"""The first stage of a failed value check: the result read against the expected, values only.

The catalogue (``descent.catalogue``) names only the mistakes someone wrote down. When a value
check fails, :func:`diagnose` also tests cheap hypotheses about ``got`` against ``expected`` (and
the inputs of the call, :class:`Inputs`) that hold for any exercise. This module holds the entry
point and the readings of its own: the return convention (a number for a tensor, the right value
inside a tuple, items in another order), another dtype or device, NaN or infinity where the
expected is finite, a log stopped at a small floor, float32 precision. The value hypotheses it
runs tier by tier are in modules of their own: :mod:`~.linear` (zero, a constant factor, a
factor entry by entry, a complement, a term, an offset), :mod:`~.sequence` (one step behind or
ahead, changes at other steps, a first update scaled, one item more or less) and
:mod:`~.placement` (a layout, an order, a branch, an edge, a broadcast, another dimension),
beside the other modules the order names.

What :func:`diagnose` reads, and in which order, is declared in :mod:`descent.diagnoses.order`
(``CONVENTIONS``, then a result read as one tensor: ``SHAPES`` or ``BEFORE_TIERS`` and
``TIERS``; then ``STRUCTURES``, the first wrong item, ``ITEMS``); the other modules' readings it
runs, and every later stage, are listed in ``package_map.MODULES`` (shown as the table of
docs/reference/generic-diagnoses.md). Whatever they read on one check is a claim: the
feedback names it only once :mod:`descent.diagnoses.verified` has confirmed it on the exercise's
other checks.

Each hypothesis is a small function ``(expected, got, inputs) -> Diagnosis | None`` over float64
CPU tensors of one shape. They come in tiers, most specific first; the first tier in which any
hypothesis fits decides. When hypotheses of different kinds fit in that tier, the diagnosis says
that several explanations fit and names them all (``kind`` ``"ambiguous"``), never one of them
confidently. Texts never print a hidden input or the expected values; they name dimensions by
index and size and arguments by the name the grader's recipe gives them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from numbers import Number
from typing import Any

import torch

from . import order as diagnosis_order
from .base import (
    FLOORS,
    LOG_PROBABILITIES,
    NOTHING,
    OWN_MAXIMUM,
    Case,
    Diagnosis,
    Nothing,
    same,
)


@dataclass
class Inputs:
    """What a check's call received: tensors and numbers, each with the name the grader's recipe
    gives it (``x``, ``p``, ``lr``) or ``argument #i`` when it has none."""

    tensors: list[tuple[str, torch.Tensor]] = field(default_factory=list)
    numbers: list[tuple[str, float]] = field(default_factory=list)
    # tuples of positive ints (a tensor's shape, a kernel size): data lists are not shapes
    shapes: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)
    dtype: torch.dtype | None = None  # the expected result's (a float32 check expects float32)

    def sizes(self, shape: Iterable[int]) -> list[tuple[int, str]]:
        """Candidate counts ``N`` with where they come from: every dimension's size and every
        tensor's element count (the expected result's own shape first)."""
        found: list[tuple[int, str]] = []
        shape = tuple(shape)
        for k, n in enumerate(shape):
            found.append((n, f"the size of dimension {k} of the result"))
        for name, t in self.tensors:
            for k, n in enumerate(t.shape):
                found.append((n, f"the size of dimension {k} of `{name}`"))
            if t.dim() > 1:
                found.append((t.numel(), f"the number of elements of `{name}`"))
        seen: dict[int, str] = {}
        for n, where in found:  # graders use sizes >= 3: 2 is too common to be evidence
            if n > 2 and n not in seen:
                seen[n] = where
        return sorted(seen.items())


def float32_precision(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """A float64 check whose result holds only float32 values and agrees with the expected to
    float32 precision: part of the computation ran in float32 (``inputs.dtype``: the expected
    result's dtype)."""
    if inputs.dtype is not None and inputs.dtype != torch.float64:
        return None  # a float32 check expects float32 values
    if not torch.equal(g.to(torch.float32).to(torch.float64), g):
        return None
    if torch.equal(e.to(torch.float32).to(torch.float64), e):
        return None
    if torch.equal(g, e) or not bool(torch.allclose(g, e, rtol=1e-4, atol=1e-6)):
        return None
    return Diagnosis(
        "precision",
        "your result agrees with the expected only to float32 "
        "precision: part of it was computed in float32 (torch.tensor "
        "of a Python float, .float(), or a hard-coded dtype)",
    )


def diagnose_tensors(
    e: torch.Tensor, g: torch.Tensor, inputs: Inputs, dtype: torch.dtype | None = None
) -> Diagnosis | None:
    """Run the value tiers (:data:`descent.diagnoses.order.TIERS`) on two float64 tensors of
    one shape; ``dtype`` is the expected dtype (read by :func:`float32_precision`)."""
    inputs = replace(inputs, dtype=dtype)
    for tier in diagnosis_order.tiers():
        fits: dict[str, Diagnosis] = {}
        for hypothesis in tier:
            found = hypothesis(e, g, inputs)
            if found is not None:
                fits.setdefault(found.kind, replace(found, origin=hypothesis.__name__))
        if len(fits) == 1:
            return next(iter(fits.values()))
        if fits:
            return either(fits.values())
    return None


_EITHER = "several explanations fit equally well: "


def either(fits: Iterable[Diagnosis]) -> Diagnosis:
    """One ``ambiguous`` diagnosis naming every explanation that fits (none chosen)."""
    fits = [f for d in fits for f in (d.fits or (d,))]
    texts = [d.text.removeprefix(_EITHER) for d in fits]
    return Diagnosis("ambiguous", _EITHER + "; or ".join(texts), fits=tuple(fits))


def diagnose_case(case: Case) -> Diagnosis | None:
    """The first stage (:data:`descent.diagnoses.order.STAGES`): :func:`diagnose` of the
    check's values, with the inputs its recipe closes over."""
    return diagnose(case.expected, case.got, inputs_of(case.recipe))


def diagnose(expected: Any, got: Any, inputs: Inputs | None = None) -> Diagnosis | None:
    """The likely mistake explaining why ``got`` differs from ``expected``, or ``None``.

    Works on tensors, numbers, and lists, tuples and dicts of them: a sequence of numbers or of
    same-shaped tensors is read as one tensor whose dimension 0 is the step (so a schedule or an
    optimizer trajectory can be one step off); otherwise the first item that differs is
    diagnosed. NaN or infinity where the expected is finite is a stability problem; different
    shapes are named only as a sequence one step too long or short, or the right value wrapped
    in (or unwrapped from) a tuple; non-numeric results get no diagnosis.
    """
    inputs = inputs or Inputs()
    read = _read(diagnosis_order.CONVENTIONS, expected, got)
    if read is not None:
        return _named(read)
    pair = _as_pair(expected, got)
    if pair is not None:  # one tensor, or a sequence read as one: no item-by-item guess
        found = _diagnose_pair(*pair, inputs)
        two = isinstance(expected, (list, tuple)) and len(expected) == 2
        if found is not None or pair[0].shape == pair[1].shape and not two:
            return found  # (two numbers with nothing in common are read one by one)
    found = _first_fit(diagnosis_order.STRUCTURES, expected, got)
    if found is not None:
        return found
    wrong = [
        (k, e_item, g_item)
        for k, (e_item, g_item) in enumerate(_children(expected, got))
        if _as_pair(e_item, g_item) is None
        or not _equal(e_item, g_item)
        or wrong_return_convention(e_item, g_item) is not None  # the right number, as a tensor
    ]
    if not wrong:
        return None
    found = diagnose(wrong[0][1], wrong[0][2], inputs)
    return found or _first_fit(diagnosis_order.ITEMS, expected, got)


def _diagnose_pair(e: torch.Tensor, g: torch.Tensor, dtype, inputs: Inputs) -> Diagnosis | None:
    if e.shape != g.shape:
        return _first_fit(diagnosis_order.SHAPES, e, g, inputs) or _through_shape(
            e, g, dtype, inputs
        )
    inputs = replace(inputs, dtype=dtype)
    read = _read(diagnosis_order.BEFORE_TIERS, e, g, inputs)
    if read is not None:
        return _named(read)
    return diagnose_tensors(e, g, inputs, dtype)


def _through_shape(e: torch.Tensor, g: torch.Tensor, dtype, inputs: Inputs) -> Diagnosis | None:
    """A result with a dimension of size 1 too many or too few whose values are wrong too: its
    values read in the expected's shape, both mistakes named (the shape alone would hide the
    cause of the values that the same code gets named on a check of the right shape)."""
    squeezed = [n for n in g.shape if n != 1] == [n for n in e.shape if n != 1]
    if not squeezed or g.numel() != e.numel() or g.numel() < 2:
        return None
    found = _diagnose_pair(e, g.reshape(e.shape), dtype, inputs)
    if found is None or found.kind == "ambiguous":
        return None
    return replace(
        found,
        text=f"your result has shape {tuple(g.shape)} where {tuple(e.shape)} belongs (a dimension "
        f"of size 1 too many or too few: keepdim, unsqueeze, a row kept), and in that shape, "
        f"{found.text}",
    )


def _first_fit(entries: tuple[diagnosis_order.Entry, ...], *args: Any) -> Diagnosis | None:
    """The diagnosis of the first of ``entries`` that fits ``args``, in the order declared."""
    fits = (fn(*args) for fn in diagnosis_order.resolved(entries))
    return next((found for found in fits if found is not None), None)


def _read(entries: tuple[diagnosis_order.Entry, ...], *args: Any) -> Diagnosis | Nothing | None:
    """The answer of the first of ``entries`` that reads ``args``, in the order declared: a
    diagnosis, or :data:`~.base.NOTHING` (read, and named by nothing); ``None`` when none reads
    them."""
    answers = (fn(*args) for fn in diagnosis_order.resolved(entries))
    return next((read for read in answers if read is not None), None)


def _named(read: Diagnosis | Nothing) -> Diagnosis | None:
    return read if isinstance(read, Diagnosis) else None


# -- read before the values (CONVENTIONS): the return convention and the dtype ---------------


def number_or_tensor(expected: Any, got: Any) -> Diagnosis | Nothing | None:
    """A tensor where a Python number is expected, or the reverse: the return convention
    (:func:`wrong_return_convention`) names it or nothing does; no reading of the values."""
    if (
        isinstance(got, torch.Tensor)
        and isinstance(expected, Number)
        or isinstance(expected, torch.Tensor)
        and isinstance(got, Number)
    ):
        return wrong_return_convention(expected, got) or NOTHING
    return None


def numbers_as_tensors(expected: Any, got: Any) -> Diagnosis | None:
    """A list or tuple of the right values in which numbers the docstring asks for came back as
    tensors (``[loss, accuracy]`` as two 0-dim tensors): the return convention."""
    if not (
        isinstance(expected, (list, tuple))
        and isinstance(got, (list, tuple))
        and len(expected) == len(got)
    ):
        return None
    found = next(
        (
            d
            for e_item, g_item in zip(expected, got)
            if isinstance(e_item, Number)
            and isinstance(g_item, torch.Tensor)
            and (d := wrong_return_convention(e_item, g_item)) is not None
        ),
        None,
    )
    return found if found is not None and _deep_equal(expected, got) else None


# -- read before the tiers (BEFORE_TIERS): one tensor of the expected's shape ----------------


def within_tolerance(
    e: torch.Tensor, g: torch.Tensor, inputs: Inputs
) -> Diagnosis | Nothing | None:
    """A result within the hypotheses' tolerance of the expected (:func:`~.base.same`): only a
    loss of precision (:func:`float32_precision`) can tell it apart, and no tier reads it."""
    if not same(g, e):
        return None
    return float32_precision(e, g, inputs) or NOTHING


def retyped(expected: Any, got: Any) -> Diagnosis | None:
    """Right values (to float32 precision) in another dtype or on another device: the result
    was built with a hard-coded dtype or device, or converted on the way (two tensors only)."""
    if not (isinstance(got, torch.Tensor) and isinstance(expected, torch.Tensor)):
        return None
    if got.shape != expected.shape or (
        got.dtype == expected.dtype and got.device == expected.device
    ):
        return None
    if got.is_complex() or expected.is_complex() or got.is_meta or expected.is_meta:
        return None
    e, g = expected.detach().to("cpu", torch.float64), got.detach().to("cpu", torch.float64)
    if not bool(torch.allclose(g, e, rtol=1e-5, atol=1e-6, equal_nan=True)):
        return None  # the values are wrong too: the comparison's message says how
    found = mistyped(expected, got)
    return Diagnosis(
        found.kind,
        found.text.replace("the result is", "your values are right but the result is", 1),
    )


def mistyped(expected: torch.Tensor, got: torch.Tensor) -> Diagnosis | None:
    """A tensor of the expected shape in another dtype or on another device (its values not
    judged)."""
    if got.shape != expected.shape or (
        got.dtype == expected.dtype and got.device == expected.device
    ):
        return None
    where = (
        f"{got.dtype} where {expected.dtype} is expected"
        if got.dtype != expected.dtype
        else f"on {got.device} where {expected.device} is expected"
    )
    return Diagnosis(
        "dtype",
        f"the result is {where}: a tensor built with a hard-coded dtype "
        "or device (torch.zeros(shape), torch.empty(shape), "
        "torch.tensor(...), .double(), .float(), .cpu()); build it from "
        "the input or the arguments (x.new_zeros, torch.zeros_like, "
        "dtype=dtype, device=device)",
    )


def non_finite(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | Nothing | None:
    """NaN or infinity where the expected result is finite, told apart: infinity alone comes
    from a log of 0 (a probability that underflowed) or an exp that overflowed, NaN from the root
    or the log of a negative number, or from inf - inf or inf / inf, most often after an exp
    overflowed (in the rows a shift by the whole input's maximum left far below it, said so:
    :func:`_one_maximum`). Where the expected result is not finite itself, nothing reads the
    values."""
    if not bool(torch.isfinite(e).all()):
        return NOTHING
    if bool(torch.isfinite(g).all()):
        return None
    if bool(torch.isnan(g).any()):
        return _one_maximum(e, g, inputs) or Diagnosis(
            "stability",
            "your result has NaN where the expected is finite: an operation with no number "
            "for an answer on the way: the square root or the log of a negative number (a "
            "quantity that cannot go below 0, such as a sum of squares, that did), or inf - "
            "inf, inf / inf, 0 / 0 or 0 * inf (after an exp of a large number overflowed to "
            "inf, or a division by 0); where it is an overflow, use a stable form (subtract "
            "the max before exp, log-sum-exp, exp(-|x|), log1p, a guarded branch)",
        )
    return Diagnosis(
        "stability",
        "your result is infinite where the expected is finite: a division by 0, a log of a "
        "number that underflowed to 0 (the log of a softmax or of a sigmoid, whose "
        f"probabilities reach 0 for large inputs: {LOG_PROBABILITIES}, "
        "x - max - log(sum(exp(x - max))) or a softplus), or an exp of a large number that "
        "overflowed",
    )


_UNDERFLOW = 80.0  # exp(-80) is below float32's smallest normal: such a row's exps may sum to 0


def _one_maximum(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """NaN in exactly the slices (along some dimension ``k``) of an argument ``x`` of the
    result's shape whose largest entry lies far below the whole input's largest, and the
    expected everywhere else: a softmax or log-sum-exp shifted by one value for the whole tensor
    (its maximum, or any other), right wherever the exps do not all underflow (a shift changes
    nothing there) and 0 / 0 where they do; each slice needs its own maximum."""
    bad = torch.isnan(g)
    for name, x in inputs.tensors:
        if x.shape != e.shape or x.dim() < 2 or not x.is_floating_point():
            continue
        for k in range(x.dim()):
            rows = x.movedim(k, -1).reshape(-1, x.shape[k]).double()
            nan = bad.movedim(k, -1).reshape(-1, x.shape[k]).any(-1)
            gap = rows.max() - rows.max(-1).values
            if not (bool(nan.any()) and bool((~nan).any())):
                continue
            right = ~nan[:, None].expand_as(rows)  # the slices that are not NaN: as expected
            flat_e, flat_g = (t.movedim(k, -1).reshape(-1, x.shape[k]) for t in (e, g))
            if not same(flat_g[right], flat_e[right]):
                continue
            if float(gap[nan].min()) > max(_UNDERFLOW, float(gap[~nan].max())):
                return Diagnosis(  # an instability: NaN on inputs a stable form takes
                    "stability",
                    f"your result is NaN in exactly the slices of `{name}` along dimension {k} "
                    "whose largest entry lies far below the largest of the whole input, and "
                    "right in the others: one value (the whole tensor's maximum, say) "
                    f"subtracted for every slice, where each slice {OWN_MAXIMUM}{k}, "
                    "keepdim=True)), makes all of their exps 0, and 0 / 0 NaN",
                )
    return None


def floored_log(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """Every wrong entry stops at the log of one small floor (``FLOORS``; to float32's
    precision) where the expected lies beyond it: a probability floored before its log
    (``log(max(p, 1e-12))``, ``log(p + 1e-12)``), seen where it underflows. What the values show
    on a large input, so it needs no second one (``witnessed``)."""
    wrong = ~torch.isclose(g, e, rtol=1e-5, atol=1e-6)
    if not bool(wrong.any()):
        return None
    gw, ew = g[wrong], e[wrong]
    for floor in FLOORS:
        limit = -math.log(floor)
        at = torch.isclose(gw.abs(), gw.new_tensor(limit), rtol=2e-6, atol=0.0)
        beyond = (ew.abs() > limit * 1.01) & (torch.sign(ew) == torch.sign(gw))
        if bool(at.all()) and bool(beyond.all()):
            return Diagnosis(
                "clamp",
                f"your result stops at {float(gw.flatten()[0]):.5g} = "
                f"{'-' if gw.flatten()[0] > 0 else ''}log({floor:g}) where the expected lies "
                f"beyond it: a log taken of a probability floored at {floor:g} (a clamp or "
                f"clip at {floor:g}, or {floor:g} added){_powers(floor)}, the log of a softmax "
                "or a sigmoid "
                "whose probability underflowed to 0 (the floor saturates the loss and stops "
                "its gradient); compute log-probabilities directly, x - max - "
                "log(sum(exp(x - max))) or a softplus, with no floor",
                witnessed=True,
            )
    return None


_WRITTEN = (1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-15)  # the floors learners write most


def _powers(floor: float) -> str:
    """The other floors whose log, divided by a count, is the log of ``floor``: -log(1e-10) / 2
    is -log(1e-05), and a held-out PKU loss that floors at 1e-10 and averages over its two
    classes too was told it floors at 1e-05."""
    others = [(k, f) for k in (2, 3) for f in _WRITTEN if math.isclose(floor**k, f)]
    said = " or ".join(f"at {f:g} with the result divided by {k}" for k, f in others)
    return f", or floored {said}" if said else ""


def wrong_return_convention(expected: Any, got: Any) -> Diagnosis | None:
    """The return convention is wrong, not (only) the value: the right result inside a tuple or
    list, one item of the expected tuple handed back alone, a tensor where a Python number is
    asked for, or the reverse."""
    if (
        isinstance(got, torch.Tensor)
        and isinstance(expected, Number)
        and not isinstance(expected, bool)
        and got.numel() == 1
    ):
        return Diagnosis(
            "structure",
            "your result is a tensor where the docstring asks for a "
            "Python number: compute it with math functions or "
            "convert it with .item()",
        )
    if (
        isinstance(expected, torch.Tensor)
        and isinstance(got, Number)
        and not isinstance(got, bool)
        and expected.numel() == 1
        and _equal(expected.reshape(()), got)
    ):
        return Diagnosis(
            "structure",
            "your result is a Python number where the docstring asks "
            "for a tensor: .item() or float() turned it into one (and "
            "cut it off from autograd); keep it a tensor",
        )
    if (
        isinstance(got, (list, tuple))
        and not isinstance(expected, (list, tuple))
        and any(_equal(expected, item) for item in got)
    ):
        return Diagnosis(
            "structure",
            f"your result is a {type(got).__name__} of {len(got)} "
            "items and one of them is the expected value: return "
            "that value alone (the docstring's return convention)",
        )
    if (
        isinstance(expected, (list, tuple))
        and not isinstance(got, (list, tuple))
        and any(_equal(item, got) for item in expected)
    ):
        return Diagnosis(
            "structure",
            f"your result is one value where a "
            f"{type(expected).__name__} of {len(expected)} items is "
            "expected, and it equals one of them: return them all",
        )
    return None


def items_reordered(expected: Any, got: Any) -> Diagnosis | None:
    """A list or tuple of items (of several shapes: a sequence of one shape is read as one
    tensor) that holds every expected item, each once, in another order: ``grads[i]`` for
    another ``params[i]``, a list built last-to-first and never reversed."""
    if (
        not (isinstance(expected, (list, tuple)) and isinstance(got, (list, tuple)))
        or len(expected) != len(got)
        or len(got) < 2
    ):
        return None
    left = list(range(len(expected)))
    for g_item in got:
        match = next((i for i in left if _deep_equal(expected[i], g_item)), None)
        if match is None:
            return None
        left.remove(match)
    if all(_deep_equal(e, g) for e, g in zip(expected, got)):
        return None
    reverse = all(_deep_equal(e, g) for e, g in zip(expected, reversed(got)))
    return Diagnosis(
        "order",
        "your result holds every expected item, in "
        + (
            "reverse order: a list built last-to-first (a backward pass) and never reversed"
            if reverse
            else "another order: items matched to the wrong "
            "positions (an index, a dict's order, a zip of the wrong lists)"
        ),
    )


def _deep_equal(e: Any, g: Any) -> bool:
    """``g`` equals ``e`` item by item (nested lists, tuples and dicts of tensors and numbers)."""
    if isinstance(e, (list, tuple)) and isinstance(g, (list, tuple)):
        return len(e) == len(g) and all(_deep_equal(a, b) for a, b in zip(e, g))
    if isinstance(e, dict) and isinstance(g, dict):
        return set(e) == set(g) and all(_deep_equal(e[k], g[k]) for k in e)
    if e is None or isinstance(e, (str, bool)):
        return type(e) is type(g) and e == g
    return _equal(e, g)


def _equal(e: Any, g: Any) -> bool:
    pair = _as_pair(e, g)
    return pair is not None and pair[0].shape == pair[1].shape and same(pair[1], pair[0])


def _children(expected: Any, got: Any) -> list[tuple[Any, Any]]:
    if (
        isinstance(expected, (list, tuple))
        and isinstance(got, (list, tuple))
        and len(expected) == len(got)
    ):
        return list(zip(expected, got))
    if isinstance(expected, dict) and isinstance(got, dict) and set(expected) == set(got):
        return [(expected[k], got[k]) for k in expected]
    return []


def _as_pair(expected: Any, got: Any) -> tuple[torch.Tensor, torch.Tensor, Any] | None:
    e, g = _as_tensor(expected), _as_tensor(got)
    if e is None or g is None:
        return None
    dtype = expected.dtype if isinstance(expected, torch.Tensor) else None
    return e, g, dtype


def _as_tensor(x: Any) -> torch.Tensor | None:
    """A float64 CPU tensor for a tensor, a number, or a sequence of at least 3 numbers or
    same-shaped tensors; ``None`` for anything else."""
    if isinstance(x, torch.Tensor):
        if x.is_complex() or x.is_meta:
            return None
        return x.detach().to("cpu", torch.float64)
    if isinstance(x, Number) and not isinstance(x, (bool, complex)):
        return torch.tensor(float(x), dtype=torch.float64)
    # Two tensors are a pair of results, not a sequence; two numbers (epochs, fans) are read as
    # one tensor all the same, so that a shift or a swap of both is seen.
    if isinstance(x, (list, tuple)) and (
        len(x) >= 3
        or len(x) == 2
        and all(isinstance(v, Number) and not isinstance(v, bool) for v in x)
    ):
        items = [_as_tensor(v) for v in x]
        if any(t is None for t in items) or len({t.shape for t in items}) != 1:
            return None
        if any(isinstance(v, (list, tuple)) for v in x):
            return None  # nested structures are diagnosed item by item
        return torch.stack(items)
    return None


def inputs_of(recipe: Callable) -> Inputs:
    """The tensors and numbers a grader's recipe passes on: its closure variables (one level
    inside dicts, and the tensors one level inside lists and tuples) by name, and the numeric
    constants written in it."""
    found = Inputs()
    code = getattr(recipe, "__code__", None)
    names = code.co_freevars if code is not None else ()
    for name, cell in zip(names, getattr(recipe, "__closure__", None) or ()):
        try:
            value = cell.cell_contents
        except ValueError:  # a cell not filled yet
            continue
        if _shape(value):
            found.shapes.append((name, tuple(value)))
        items = (
            list(enumerate(value))
            if isinstance(value, (list, tuple))
            else list(value.items())
            if isinstance(value, dict)
            else [(None, value)]
        )
        for key, item in items:
            label = name if key is None else f"{name}[{key!r}]"
            if isinstance(value, (list, tuple)) and not isinstance(item, torch.Tensor):
                continue  # a list of numbers is data (metrics, steps), not an argument
            _add(found, label, item)
    for const in code.co_consts if code is not None else ():
        _add(found, "a constant of the call", const)
    return found


def _shape(value: Any) -> bool:
    """A tuple (or ``torch.Size``) of at least two positive ints: a shape, not data."""
    return (
        isinstance(value, tuple)
        and len(value) >= 2
        and all(type(v) is int and v > 0 for v in value)
    )


def _add(found: Inputs, label: str, item: Any) -> None:
    if isinstance(item, torch.Tensor) and item.numel() == 1 and item.is_floating_point():
        found.numbers.append((label, float(item)))  # a scalar argument (an upstream dloss)
    elif isinstance(item, torch.Tensor) and not item.is_meta and not item.is_complex():
        found.tensors.append(
            (
                label,
                item.detach().to("cpu", torch.float64)
                if item.is_floating_point()
                else item.detach().cpu(),
            )
        )
    elif isinstance(item, Number) and not isinstance(item, (bool, complex)):
        found.numbers.append((label, float(item)))
