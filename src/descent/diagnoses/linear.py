"""Value hypotheses that read the result as a linear function of the expected one: zero, a
constant times it, a factor entry by entry, a complement, a term or a constant added.

Each is ``(e, g, inputs) -> Diagnosis | None`` on two float64 CPU tensors of one shape and the
call's :class:`~.values.Inputs` (a value hypothesis of :data:`~.order.TIERS`):

- :func:`all_zero`: zero everywhere (a term that never reaches the result);
- :func:`constant_factor`: ``got == c * expected``, ``c`` read as the sign, a dimension's size or
  its inverse (a sum for a mean), a product of a shape's sizes, 2 or 1/2, or an argument ``a``
  of the call as ``a``, ``1/a``, ``1 - a`` or ``1/(1 - a)``; any other constant is said as it
  is, for a result of several non-zero values;
- :func:`factor_entry_by_entry`: ``got * x == expected`` or ``got == expected * x`` for an
  argument ``x`` (the upstream gradient, a mask, a weight);
- :func:`complement_of_expected`: ``got == c - expected`` or ``x - expected``;
- :func:`extra_or_missing_term`: ``got - expected == a * x`` for an argument ``x``;
- :func:`constant_offset`: ``got - expected`` one constant everywhere (a last resort).

A result of whole numbers (counts, indices) gets fewer readings: a count twice another, or two
swapped counts, is no evidence.
"""

from __future__ import annotations

import math

import torch

from .base import Diagnosis, same, whole
from .values import Inputs, either


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
    if nonzero == 1 and whole(e) and whole(g) and abs(ratio - round(ratio)) > 1e-9:
        return None  # one count for another (epoch 4 for 3): any ratio of two small numbers
    named: dict[str, Diagnosis] = {}
    count = e.numel() == 1 and float(e) == round(float(e))
    for diagnosis in factor_readings(c, e, inputs, count, rtol=1e-6):
        named.setdefault(diagnosis.kind, diagnosis)
    if len(named) > 1:  # 1/lam is also a dimension's size, say: both readings are offered
        return either(named.values())
    if named:
        return next(iter(named.values()))
    if nonzero < 2 or abs(c - 1) < 1e-3:  # a single number, or a rounding-sized factor
        return None
    return Diagnosis(
        "factor",
        f"{UNNAMED_FACTOR} ({c:.4g}): the "
        "formula is right up to a scale factor (a missing or extra "
        "coefficient, a wrong normalization)",
    )


UNNAMED_FACTOR = "your result is the expected times a constant"


def factor_readings(
    c: float, e: torch.Tensor, inputs: Inputs, count: bool = False, rtol: float = 1e-4
) -> list[Diagnosis]:
    """The readings of a result ``c`` times ``e`` (``count``: a single whole number, which gets
    fewer), to ``rtol``: :func:`constant_factor`'s, and whether a reading weighed on other checks
    holds on one whose values are too coarse (float32) to weigh it."""
    return [
        diagnosis
        for value, diagnosis in _factor_candidates(e.shape, inputs, count)
        # (1 - eps) for eps = 1e-8: any small error looks like it
        if abs(value - 1) >= 1e-3 and abs(c - value) <= rtol * max(1.0, abs(value))
    ]


def multiple_of_an_input(e: torch.Tensor, inputs: Inputs) -> bool:
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
                "your result is the expected with its sign flipped: a minus sign left "
                "out (a loss's leading minus) or one too many, or a subtraction the wrong "
                "way round (target - pred for pred - target, ascent for descent)",
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
    out += _halved_mean(inputs.sizes(shape))
    out += _shape_factors(inputs, {n for n, _ in inputs.sizes(shape)})
    if e_is_count:  # a count twice another, or `patience` times another, is no evidence
        return out + _argument_factors(inputs, whole_numbers=False)
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
                "that counts twice) or a factor 1/2 too many (a 0.5 "
                "written in, as some courses write a squared error)",
            ),
        )
    )
    return out + _argument_factors(inputs) + _sum_and_argument(inputs.sizes(shape), inputs)


def _sum_and_argument(
    sizes: list[tuple[int, str]], inputs: Inputs
) -> list[tuple[float, Diagnosis]]:
    """``n / a`` for a size ``n`` and an argument ``a`` that is no whole number: two factors
    missing at once, the division by the count of a mean and the argument, as a backward that
    neither divides by the batch size nor multiplies by the upstream gradient it is handed
    (``softmax - onehot`` for ``dloss * (softmax - onehot) / N``: a held-out learner of
    *Grokking Deep Learning*)."""
    return [
        (
            n / a,
            Diagnosis(
                "factor",
                f"your result is the expected times {n} and divided by `{name}` ({n} is "
                f"{where}): two factors are missing, the division by {n} of a mean and the "
                f"factor `{name}` (check where `{name}` enters the formula)",
            ),
        )
        for n, where in sizes
        for name, a in inputs.numbers
        if a != 0 and math.isfinite(a) and a != round(a) and n > 1
    ]


def _halved_mean(sizes: list[tuple[int, str]]) -> list[tuple[float, Diagnosis]]:
    """Half a count of the call: the gradient of a squared error that a course writes halved
    (``0.5 * (y_hat - y) ** 2``, whose derivative drops the 2) and leaves undivided by the count
    its mean divides by. Not where half a count is itself a size of the call, or 2, nor for a
    count under 5: 3/2 is a ratio a slip of any kind gives too often (a gradient clip that
    rescales norms below the threshold gave it on one check of two)."""
    known = {n for n, _ in sizes} | {2}
    return [
        (
            n / 2,
            Diagnosis(
                "sum-mean",
                f"your result is {n}/2 times the expected, and {n} is {where}: no division by "
                "it, and a factor 2 left out (the derivative of a squared error halved, 0.5 * "
                "(y_hat - y)^2, taken without its mean)",
            ),
        )
        for n, where in sizes
        if n >= 5 and n / 2 not in known
    ]


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


def _argument_factors(inputs: Inputs, whole_numbers: bool = True) -> list[tuple[float, Diagnosis]]:
    """Factors made of the call's numeric arguments (``whole_numbers=False``: only those that
    are not whole numbers)."""
    out = []
    for name, a in inputs.numbers:
        if a in (0.0, 1.0) or not math.isfinite(a) or (not whole_numbers and a == round(a)):
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


def complement_of_expected(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """``got + expected`` is one non-zero constant ``c`` everywhere, or an argument ``x`` of
    the result's shape: ``got`` is ``c - expected`` (``1 - p`` for ``p``), or ``x - expected``
    (``x * (1 - s)`` for ``x * s``): a sign slipped inside the formula, or two branches swapped."""
    if e.numel() < 3 or same(e, e.flatten()[0].expand_as(e)) or whole(e) and whole(g):
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


def extra_or_missing_term(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """``got - expected == a * x`` for an argument ``x`` of the result's shape (or one that
    broadcasts to it): a missing or extra term proportional to ``x`` (weight decay, the skip
    path, a bias). ``a`` is fitted, so it takes two entries where ``x`` is not 0 to test it:
    on one (``x = [0, 1]``) any difference at all fits some ``a``, and proves nothing."""
    d = g - e
    fits = []
    for name, x in inputs.tensors:
        if not x.is_floating_point() or x.numel() < 2 or x.dim() > e.dim():
            continue
        try:
            xb = x.to(torch.float64).expand(e.shape)
        except RuntimeError:
            continue
        if int((xb != 0).sum()) < 2 or same(xb, xb.flatten()[0].expand(e.shape)):
            continue  # a constant argument (the constant offset covers it), or one entry
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


def constant_offset(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """``got - expected`` is one constant everywhere (several entries): a missing or extra
    constant term."""
    if e.numel() < 2 or e.numel() < 3 and whole(e) and whole(g):
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
