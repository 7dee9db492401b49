"""The first stage of a failed value check: the result read against the expected, values only.

The catalogue (``descent.catalogue``) names only the mistakes someone wrote down. When a value
check fails, :func:`diagnose` also tests cheap hypotheses about ``got`` against ``expected`` (and
the inputs of the call) that hold for any exercise. This module holds the entry point and the
readings of its own: the return convention (a number for a tensor, the right value inside a
tuple), another dtype or device, NaN or infinity where the expected is finite, a log stopped at
a small floor, float32 precision, and the value hypotheses a constant factor (a dimension's size,
2, the sign, ``1 - p`` for a numeric argument ``p``), a factor missing entry by entry (an argument
such as the upstream gradient), a complement, a layout (transposed, reshaped instead of
permuted), values or items in the wrong order, a sequence one step behind or ahead, a missing or
extra term proportional to an argument, a branch of a piecewise formula, a wrong edge, a
broadcast or a normalization along the wrong dimension. The step hypotheses read only sequences
with some non-whole value: a list of indices or counts (a fold, a permutation) is no schedule.

What :func:`diagnose` reads, and in which order, is declared in :mod:`descent.diagnoses.order`
(``CONVENTIONS``, then a result read as one tensor: ``SHAPES`` or ``BEFORE_TIERS`` and
``TIERS``; then ``STRUCTURES``, the first wrong item, ``ITEMS``); the other modules' readings it
runs, and every later stage, are listed in ``order.MODULES`` (shown as the table of
docs/authoring.md, *Generic diagnoses*). Whatever they read on one check is a claim: the
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
    _ATOL,
    _RTOL,
    FLOORS,
    NOTHING,
    Case,
    Diagnosis,
    Nothing,
    permutations,
    same,
    wrong_entries,
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


def _counts(e: torch.Tensor) -> bool:
    """Every expected value is a whole number: indices or counts, not a schedule or a
    trajectory (whose steps the sequence hypotheses read)."""
    return bool((e == e.round()).all())


# -- tier 1: the specific hypotheses -----------------------------------------------------------


def all_zero(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """``got`` is zero everywhere while ``expected`` is not (at least two non-zero expected
    entries: one number that is 0 where another is expected is no pattern)."""
    if int((e != 0).sum()) >= 2 and bool((g == 0).all()):
        return Diagnosis(
            "zero",
            "your result is zero everywhere: a term that never reaches "
            "the result (a value overwritten, detached, or multiplied by "
            "a mask that is all zero)",
        )
    return None


def constant_factor(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """``got == c * expected`` for one constant ``c``: the sign (-1), a dimension's size or its
    inverse (sum where a mean belongs, or the reverse), 2 or 1/2, an argument ``a`` of the call
    as ``a``, ``1/a``, ``1 - a`` or ``1/(1 - a)``, or any other constant when the result has
    several non-zero values (a single number is always a multiple of another). A single whole
    number (a count, an epoch) gets no bare 2 or 1/2 and no whole argument (``patience``): a
    count twice another is no evidence, and one whole number for another in a ratio that is no
    whole number or its inverse (4 for 3) is none either."""
    nonzero = int((e != 0).sum())
    if nonzero == 0 or bool((g == 0).all()):
        return None
    c = float((g * e).sum() / (e * e).sum())
    if not math.isfinite(c) or abs(c - 1) < 1e-6 or not same(g, c * e):
        return None
    ratio = max(abs(c), abs(1 / c))
    if nonzero == 1 and _counts(e) and _counts(g) and abs(ratio - round(ratio)) > 1e-9:
        return None  # one count for another (epoch 4 for 3): any ratio of two small numbers
    named = {}
    count = e.numel() == 1 and float(e) == round(float(e))
    for value, diagnosis in _factor_candidates(e.shape, inputs, count):
        if abs(value - 1) < 1e-3:  # (1 - eps) for eps = 1e-8: any small error looks like it
            continue
        if abs(c - value) <= 1e-6 * max(1.0, abs(value)):
            named.setdefault(diagnosis.kind, diagnosis)
    if len(named) > 1:  # 1/lam is also a dimension's size, say: both readings are offered
        return either(named.values())
    if named:
        return next(iter(named.values()))
    if nonzero < 2 or abs(c - 1) < 1e-3:  # a single number, or a rounding-sized factor
        return None
    return Diagnosis(
        "factor",
        f"{_UNNAMED} ({c:.4g}): the "
        "formula is right up to a scale factor (a missing or extra "
        "coefficient, a wrong normalization)",
    )


_UNNAMED = "your result is the expected times a constant"


def _multiple_of_an_input(e: torch.Tensor, inputs: Inputs) -> bool:
    """The expected is a constant times one of the call's tensors (a first update that only
    decays the parameter, say), so any other constant times it is no sign of a scale slip."""
    for _, x in inputs.tensors:
        xb = _varying(x, e.shape) if x.dim() <= e.dim() else None
        if xb is not None and same(e, float((e * xb).sum() / (xb * xb).sum()) * xb):
            return True
    return False


def _factor_candidates(shape, inputs: Inputs, e_is_count: bool) -> list[tuple[float, Diagnosis]]:
    out = [
        (
            -1.0,
            Diagnosis(
                "sign",
                "your result is the expected with its sign flipped: a "
                "subtraction the wrong way round (target - pred for pred - "
                "target, ascent for descent)",
            ),
        )
    ]
    for n, where in inputs.sizes(shape):
        out.append(
            (
                float(n),
                Diagnosis(
                    "sum-mean",
                    f"your result is {n} times the expected, and {n} is {where}: a sum "
                    "where the mean belongs (or a missing division by it)",
                ),
            )
        )
        out.append(
            (
                1.0 / n,
                Diagnosis(
                    "sum-mean",
                    f"your result is the expected divided by {n}, and {n} is {where}: a "
                    "mean where a sum belongs (or an extra division by it)",
                ),
            )
        )
    out += _shape_factors(inputs, {n for n, _ in inputs.sizes(shape)})
    if e_is_count:  # a count twice another, or `patience` times another, is no evidence
        return out + _argument_factors(inputs, whole=False)
    out.append(
        (
            2.0,
            Diagnosis(
                "factor",
                "your result is twice the expected: a factor 2 too "
                "many (a term counted twice, or d(x^2)/dx = 2x where "
                "the formula has no square)",
            ),
        )
    )
    out.append(
        (
            0.5,
            Diagnosis(
                "factor",
                "your result is half the expected: a missing factor 2 "
                "(the derivative of x^2 is 2x, or a term counted once "
                "that counts twice)",
            ),
        )
    )
    return out + _argument_factors(inputs)


def _shape_factors(inputs: Inputs, sizes: set[int]) -> list[tuple[float, Diagnosis]]:
    """Factors made of a shape of the call: the product of its entries from index ``i`` on
    (``i >= 1``: what one index of dimension ``i - 1`` spans, such as a kernel's receptive field
    ``shape[2:]``), when it is 3 or more and none of ``sizes`` (a dimension's size already reads
    it as a sum for a mean)."""
    out = []
    for name, shape in inputs.shapes:
        for i in range(1, len(shape)):
            n = math.prod(shape[i:])
            if n < 3 or n in sizes:
                continue
            part = f"`{name}[{i}:]`"
            out += [
                (
                    float(n),
                    Diagnosis(
                        "factor",
                        f"your result is {n} times the expected, and {n} is the product of "
                        f"{part}: a factor of those sizes too many",
                    ),
                ),
                (
                    1.0 / n,
                    Diagnosis(
                        "factor",
                        f"your result is the expected divided by {n}, and {n} is the product of "
                        f"{part}: a factor of those sizes left out (or divided out)",
                    ),
                ),
            ]
    return out


def _argument_factors(inputs: Inputs, whole: bool = True) -> list[tuple[float, Diagnosis]]:
    """Factors made of the call's numeric arguments (``whole=False``: only those that are not
    whole numbers)."""
    out = []
    for name, a in inputs.numbers:
        if a in (0.0, 1.0) or not math.isfinite(a) or (not whole and a == round(a)):
            continue
        n = f"`{name}`"
        forms = [
            (a, f"times {n}: {n} is applied once too often"),
            (1 / a, f"divided by {n}: a factor {n} is missing"),
        ]
        if 0 < a < 1:
            forms += [
                (
                    1 - a,
                    f"times (1 - {n}): a factor (1 - {n}) too many, or {n} "
                    "confused with its complement",
                ),
                (
                    1 / (1 - a),
                    f"divided by (1 - {n}): a division by (1 - {n}) too many, "
                    "or a rescaling by 1/(1 - {n}) where none belongs",
                ),
            ]
        for value, text in forms:
            out.append(
                (
                    value,
                    Diagnosis(
                        "factor",
                        f"your result is the expected {text} (check where {n} enters the formula)",
                    ),
                )
            )
    return out


def wrong_layout(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """``got`` holds the expected values laid out by another order of dimensions: transposed
    (square result), or permuted and then reshaped to the expected shape (a ``view`` or
    ``reshape`` where ``transpose``/``permute`` belongs)."""
    for perm, moved in permutations(e):
        if moved.shape == e.shape and same(g, moved):
            return Diagnosis(
                "layout",
                f"your result is the expected transposed (dimensions "
                f"in the order {perm}): swapped indices in a matrix "
                "product or an outer product the wrong way round",
            )
        if same(g, moved.reshape(e.shape)):
            return Diagnosis(
                "layout",
                f"your result is the expected with its dimensions "
                f"permuted to {perm} and then reshaped back: a view or "
                "reshape where a transpose or permute belongs",
            )
    return None


def one_step_off(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """A sequence (dimension 0: the steps of a schedule or a trajectory, at least 3) one step
    behind or ahead: ``got[t] == expected[t - 1]`` or ``got[t] == expected[t + 1]``."""
    if e.dim() == 0 or e.shape[0] < 3 or same(e[1:], e[:-1]) or _counts(e):
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
    if e.dim() != 1 or len(e) < 3 or _counts(e):
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
    if e.dim() == 0 or e.shape[0] < 3 or _counts(e) or not same(g[0], e[0]) or same(g[1], e[1]):
        return None
    change = e[1] - e[0]
    found = constant_factor(change, g[1] - g[0], inputs)
    if (
        found is None
        or found.text.startswith(_UNNAMED)
        and _multiple_of_an_input(change, Inputs(tensors=inputs.tensors + [("the start", e[0])]))
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


def extra_or_missing_term(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """``got - expected == a * x`` for an argument ``x`` of the result's shape (or one that
    broadcasts to it): a missing or extra term proportional to ``x`` (weight decay, the skip
    path, a bias)."""
    d = g - e
    fits = []
    for name, x in inputs.tensors:
        if not x.is_floating_point() or x.numel() < 2 or x.dim() > e.dim():
            continue
        try:
            xb = x.to(torch.float64).expand(e.shape)
        except RuntimeError:
            continue
        if bool((xb == 0).all()) or same(xb, xb.flatten()[0].expand(e.shape)):
            continue  # a constant argument: the constant-offset hypothesis covers it
        k = float((e * xb).sum() / (xb * xb).sum())
        if same(e, k * xb):
            continue  # the expected is a multiple of x: a constant factor explains it better
        a = float((d * xb).sum() / (xb * xb).sum())
        if abs(a) > 1e-12 and same(g, e + a * xb):
            fits.append((name, a))
    if len(fits) != 1:
        return None  # none, or several arguments explain it equally: say nothing
    name, a = fits[0]
    if abs(a + 1) < 1e-6:
        text = (
            f"your result is the expected minus `{name}`: a missing + `{name}` term (a skip "
            "path, a residual or a bias left out)"
        )
    elif abs(a - 1) < 1e-6:
        text = (
            f"your result is the expected plus `{name}`: an extra + `{name}` term (a skip "
            "path or a bias added twice)"
        )
    else:
        text = (
            f"your result differs from the expected by {a:.4g} times `{name}`: a term "
            f"proportional to `{name}` is missing or extra (weight decay, a momentum or "
            "skip term, a coefficient applied to the wrong quantity)"
        )
    return Diagnosis("term", text)


def _varying(x: torch.Tensor, shape) -> torch.Tensor | None:
    """``x`` as float64 broadcast to ``shape`` when it is a floating tensor of several values
    that are not all equal (a constant argument is a plain factor or offset); else ``None``."""
    if not x.is_floating_point() or x.numel() < 2 or x.dim() > len(shape):
        return None
    try:
        xb = x.to(torch.float64).expand(shape)
    except RuntimeError:
        return None
    return None if same(xb, xb.flatten()[0].expand(shape)) else xb


def factor_entry_by_entry(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """``got * x == expected`` or ``got == expected * x``, entry by entry, for an argument ``x``
    of the result's shape (or one that broadcasts to it): a factor ``x`` is missing or applied
    twice (the upstream gradient of the chain rule, a mask, a weight)."""
    fits = []
    for name, x in inputs.tensors:
        xb = _varying(x, e.shape)
        if xb is None or same(e, float((e * xb).sum() / (xb * xb).sum()) * xb):
            continue  # the expected a multiple of x: a constant factor explains it better
        if bool((e != 0).any()) and same(g * xb, e):
            fits.append(
                Diagnosis(
                    "factor",
                    f"your result times `{name}` (entry by entry) is the "
                    f"expected: a factor `{name}` is missing (the "
                    "upstream gradient of the chain rule, a mask or a "
                    "weight never applied)",
                )
            )
        elif bool((g != 0).any()) and same(g, e * xb):
            fits.append(
                Diagnosis(
                    "factor",
                    f"your result is the expected times `{name}` (entry "
                    f"by entry): `{name}` is applied once too often",
                )
            )
    return fits[0] if len(fits) == 1 else None  # several arguments fit: say nothing


def complement_of_expected(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """``got + expected`` is one non-zero constant ``c`` everywhere, or an argument ``x`` of
    the result's shape: ``got`` is ``c - expected`` (``1 - p`` for ``p``), or ``x - expected``
    (``x * (1 - s)`` for ``x * s``): a sign slipped inside the formula, or two branches swapped."""
    if e.numel() < 3 or same(e, e.flatten()[0].expand_as(e)) or _counts(e) and _counts(g):
        return None  # any two numbers sum to a constant, and so do two swapped counts
    total = g + e
    c = float(total.flatten()[0])
    if c != 0 and same(total, torch.full_like(e, c)):
        return Diagnosis(
            "sign",
            f"your result is {c:.4g} minus the expected: the complement "
            "(1 - p for p), a sign slipped inside the formula (exp(x) for "
            "exp(-x)), or the two branches of a formula swapped",
        )
    fits = [
        name
        for name, x in inputs.tensors
        if (xb := _varying(x, e.shape)) is not None and same(total, xb) and not same(e, 0.5 * xb)
    ]
    if len(fits) == 1:
        return Diagnosis(
            "sign",
            f"your result is `{fits[0]}` minus the expected: a sign slipped "
            "inside the formula (exp(x) for exp(-x), sigmoid(-x) for "
            "sigmoid(x)), or the two branches of a formula swapped",
        )
    return None


def wrong_branch(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """The wrong entries are exactly those where an argument of the result's shape (or the
    expected result) is negative, positive, or exactly zero: one branch of a piecewise formula
    is wrong."""
    wrong = wrong_entries(e, g)
    if wrong is None or min(int(wrong.sum()), int((~wrong).sum())) < 2:
        return None  # one entry on a side is no evidence of a pattern
    candidates = [
        (f"`{n}`", x) for n, x in inputs.tensors if x.shape == e.shape and x.is_floating_point()
    ]
    candidates.append(("the expected result", e))
    for name, x in candidates:
        for cond, where, right in (
            (x < 0, "< 0", ">= 0"),
            (x > 0, "> 0", "<= 0"),
            (x <= 0, "<= 0", "> 0"),
            (x >= 0, ">= 0", "< 0"),
            (x == 0, "== 0", "!= 0"),
        ):
            if torch.equal(wrong, cond) and bool((e[~wrong] != 0).any()):
                return Diagnosis(
                    "branch",
                    f"your result is right where {name} {right} and "
                    f"wrong exactly where {name} {where}: check that "
                    "branch of the formula (its value or slope there, "
                    "and which side the boundary belongs to)",
                )
    return None


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


# -- tier 2: fallbacks when nothing specific fits ---------------------------------------------


def values_reordered(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """The right values, in the wrong places (a permutation of the expected entries)."""
    if e.numel() < 2:
        return None
    gs, es = g.flatten().sort().values, e.flatten().sort().values
    if same(gs, es):
        return Diagnosis(
            "order",
            "your result holds the right values in the wrong order: an "
            "index, a reversed or shifted order, or the wrong dimension "
            "indexed",
        )
    return None


def constant_offset(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """``got - expected`` is one constant everywhere (several entries): a missing or extra
    constant term."""
    if e.numel() < 2 or e.numel() < 3 and _counts(e) and _counts(g):
        return None  # two whole numbers (epochs) both shifted: many mistakes do that
    d = g - e
    c = float(d.flatten()[0])
    if c != 0 and same(g, e + c):
        return Diagnosis(
            "offset",
            f"your result is the expected plus a constant ({c:.4g}) "
            "everywhere: a missing or extra constant term (a bias, an "
            "epsilon, a + 1, a log-normalizer)",
        )
    return None


def wrong_edge(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """Only the first or only the last slice along one dimension of a result of two or more
    dimensions is wrong: an off-by-one at an edge (a range that stops one early, an index that
    starts at 1). A 1-D sequence wrong only at its end is no evidence (any late change is)."""
    wrong = wrong_entries(e, g)
    if e.dim() < 2 or wrong is None or not bool(wrong.any()):
        return None
    for k in range(e.dim()):
        if e.shape[k] < 3:
            continue
        for index, where in ((0, "first"), (e.shape[k] - 1, "last")):
            mask = torch.zeros_like(wrong)
            mask.select(k, index).fill_(True)
            if bool((wrong & ~mask).any()) is False:
                return Diagnosis(
                    "edge",
                    f"only the {where} entry along dimension {k} is "
                    "wrong: an off-by-one at an edge (a range that stops "
                    "one early, an index that starts at 1, a boundary "
                    "step or element handled like the others)",
                )
    return None


def wrong_broadcast(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """``got`` does not vary along a dimension along which ``expected`` varies, and does vary
    along another (a result constant everywhere, or counts, show no broadcast): a value
    broadcast over the wrong dimension, or a reduction repeated."""
    if e.dim() < 2 or _counts(e) or same(g, g.flatten()[0].expand_as(g)):
        return None
    for k in range(e.dim()):
        if e.shape[k] < 2:
            continue
        first_g, first_e = g.narrow(k, 0, 1), e.narrow(k, 0, 1)
        if same(g, first_g.expand_as(g)) and not same(e, first_e.expand_as(e)):
            return Diagnosis(
                "broadcast",
                f"your result is the same at every index of "
                f"dimension {k} (size {e.shape[k]}) where the "
                "expected varies: a value broadcast over the wrong "
                "dimension, or a reduction kept where each entry "
                "needs its own value",
            )
    return None


def normalized_dims(x: torch.Tensor) -> dict[int, float]:
    """The dimensions (of size 2 or more) along which every sum of ``x`` is one same non-zero
    value (a softmax's rows sum to 1), with that value."""
    found = {}
    for k in range(x.dim()):
        if x.shape[k] < 2:
            continue
        sums = x.sum(k)
        c = float(sums.flatten()[0])
        if c != 0 and same(sums, torch.full_like(sums, c)):
            found[k] = c
    return found


def wrong_dimension(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """The expected is normalized along one dimension (its sums there are all one value) and
    ``got`` along another, with the same value: the normalizing reduction ran over the wrong
    dimension (``dim`` ignored, -1 hard-coded)."""
    if e.dim() < 2:
        return None
    want, have = normalized_dims(e), normalized_dims(g)
    wrong = [
        k
        for k, c in have.items()
        if k not in want and any(abs(c - v) <= 1e-6 * max(1.0, abs(v)) for v in want.values())
    ]
    if not wrong or not want or any(k in have for k in want):
        return None
    return Diagnosis(
        "reduction",
        f"your result is normalized along dimension {wrong[0]} (its "
        f"sums along it are all equal) where the expected is normalized "
        f"along dimension {sorted(want)[0]}: a reduction over the wrong "
        "dimension (the `dim` argument ignored, or -1 hard-coded)",
    )


def one_item_more_or_less(e: torch.Tensor, g: torch.Tensor, inputs: Any = None) -> Diagnosis | None:
    """A sequence (dimension 0, at least 3 steps) with one item too many or too few, the rest
    right: an extra or a missing step at its start or its end."""
    if (
        e.dim() == 0
        or g.dim() == 0
        or e.shape[1:] != g.shape[1:]
        or min(len(e), len(g)) < 3
        or _counts(e)
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
    from a log of 0 (a probability that underflowed) or an exp that overflowed, NaN from inf - inf
    or inf / inf, most often after an exp overflowed. Where the expected result is not finite
    itself, nothing reads the values."""
    if not bool(torch.isfinite(e).all()):
        return NOTHING
    if bool(torch.isfinite(g).all()):
        return None
    if bool(torch.isnan(g).any()):
        return Diagnosis(
            "stability",
            "your result has NaN where the expected is finite: an inf - inf, inf / inf, 0 / 0 "
            "or 0 * inf on the way (after an exp of a large number overflowed to inf, or a "
            "division by 0); use a stable form (subtract the max before exp, log-sum-exp, "
            "exp(-|x|), log1p, a guarded branch)",
        )
    return Diagnosis(
        "stability",
        "your result is infinite where the expected is finite: a division by 0, a log of a "
        "number that underflowed to 0 (the log of a softmax or of a sigmoid, whose "
        "probabilities reach 0 for large inputs: compute log-probabilities directly, "
        "x - max - log(sum(exp(x - max))) or a softplus), or an exp of a large number that "
        "overflowed",
    )


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
                f"clip at {floor:g}, or {floor:g} added), the log of a softmax or a sigmoid "
                "whose probability underflowed to 0 (the floor saturates the loss and stops "
                "its gradient); compute log-probabilities directly, x - max - "
                "log(sum(exp(x - max))) or a softplus, with no floor",
                witnessed=True,
            )
    return None


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
