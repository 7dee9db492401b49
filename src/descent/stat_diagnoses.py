"""Generic diagnoses of random draws: an estimate against its expected value, and the shape of
the randomness itself (draws reused, shared, or of the wrong dtype).

A random result is graded by a statistic of it (a spread, a rate, a scale), never by its values,
so the value hypotheses of :mod:`descent.diagnoses` cannot read it. Here an *estimate* (a number
measured on the draws, with its standard error) is compared with the number it should be:

* :func:`scaled`: the ratio of the estimate to the expected value is, within the sampling error,
  a constant that says where it comes from: a quantity the grader names (``gain``, ``fan_in``,
  ``noise_std``, ``p``) to the power +-1/2 or +-1, the ratio of two of them (``fan_out`` used
  where ``fan_in`` belongs), ``1 - p`` or its inverse, sqrt(3) (a uniform's bound over its std),
  sqrt(2), pi/180 (degrees for radians); or the estimate is the reciprocal of the expected (a
  multiplication where a division belongs), ``1 - p`` for a rate that must be ``p`` (an argument
  read as its complement), or Phi(p) for it (a normal draw compared with a threshold where a
  uniform one belongs). A fit must lie within :data:`Z` standard errors of the candidate and the
  candidate well away from 1; two candidates that both fit are offered together (``either``).

The others read the draws themselves, for the checks that watch independence:

* :func:`repeated`: the draws of separate calls are equal (drawn once and reused), or every call
  draws one value for its whole batch;
* :func:`shared`: the columns (or rows) of one call's draws are equal: one draw shared by the
  coordinates of a point, or one mask for every example;
* :func:`family`: draws that should be uniform have a normal's kurtosis, or the reverse;
* :func:`duplicated`: indices that must form a permutation repeat (drawn with replacement);
* :func:`float64_draws`: a float32 input handed back as float64 (draws made in the default
  float64 of a NumPy or a Python float, or of a dtype never passed on).

Each is a small function of numbers or tensors the grader measured; texts never print the
expected value beyond what the check's own message shows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch

from .diagnoses import either, mistyped
from .diagnosis_base import Diagnosis

#: How many standard errors an estimate may lie from a candidate and still fit it.
Z = 3.0

# Constants that a scale slip multiplies by, with where each comes from.
_CONSTANTS: tuple[tuple[float, str], ...] = (
    (math.sqrt(3.0), "sqrt(3), the ratio of a uniform's bound to its standard deviation"),
    (math.sqrt(2.0), "sqrt(2) (a variance doubled or halved, or the ReLU gain)"),
    (math.pi / 180, "pi/180, degrees to radians"),
)


def _forms(named: Mapping[str, float], constants: bool) -> list[tuple[float, str]]:
    """Every candidate ratio with the sentence saying where it comes from: the named quantities
    first (a named ``gain`` of sqrt(2) is read as the gain, not as the constant), then (with
    ``constants``) the constants of :data:`_CONSTANTS`."""
    out: list[tuple[float, str]] = []
    items = [(f"`{k}`", float(v)) for k, v in named.items() if math.isfinite(v) and v > 0]
    for n, a in items:
        if a == 1:
            continue
        out += [
            (a, f"{n} times the expected: a factor {n} too many, or a division by {n} left out"),
            (
                1 / a,
                f"the expected divided by {n}: a factor {n} left out, or a division by it too many",
            ),
            (math.sqrt(a), f"sqrt({n}) times the expected: {n} left out under a square root"),
            (
                1 / math.sqrt(a),
                f"the expected divided by sqrt({n}): a division by sqrt({n}) too many, or "
                f"{n} where sqrt({n}) belongs (a variance read as a standard deviation)",
            ),
        ]
        if 0 < a < 1:
            out += [
                (
                    1 - a,
                    f"(1 - {n}) times the expected: a division by (1 - {n}) left out, or a "
                    f"factor (1 - {n}) too many",
                ),
                (
                    1 / (1 - a),
                    f"the expected divided by (1 - {n}): a factor (1 - {n}) left out, or a "
                    f"division by (1 - {n}) too many",
                ),
            ]
    for n, a in items:
        for m, b in items:
            if n != m and a != b:
                out += [
                    (a / b, f"{n}/{m} times the expected: {m} used where {n} belongs"),
                    (
                        math.sqrt(a / b),
                        f"sqrt({n}/{m}) times the expected: {m} used where {n} belongs "
                        "under the square root",
                    ),
                ]
    for c, where in _CONSTANTS if constants else ():
        out += [
            (c, f"{where}, times the expected: a factor too many"),
            (1 / c, f"the expected divided by {where}: a factor left out"),
        ]
    return out


def scaled(
    expected: float,
    got: float,
    error: float,
    named: Mapping[str, float] = {},  # noqa: B006 - read only
    what: str = "your estimate",
    constants: bool = True,
) -> Diagnosis | None:
    """The likely mistake behind an estimate ``got`` (standard error ``error``) that should be
    ``expected``, read from how the two relate; ``named`` maps the quantities the check's call
    depends on (``gain``, ``fan_in``, ``p``) to their values. ``constants=False`` leaves out the
    constants that only a spread can be off by (sqrt(3), sqrt(2), pi/180): a rate or a scale is
    not. ``None`` when nothing fits."""
    if not all(math.isfinite(v) for v in (expected, got, error)) or expected == 0 or got == 0:
        return None
    tol = Z * max(abs(error), 1e-12 * abs(expected))
    fits: list[tuple[float, Diagnosis]] = []
    for name, a in named.items():
        if 0 < a < 1 and a != 0.5 and abs(expected - a) <= 1e-9 and abs(got - (1 - a)) <= tol:
            fits.append((1 - a, _complement(name, what)))
        if abs(expected - a) <= 1e-9 and abs(got - _phi(a)) <= tol and abs(_phi(a) - a) > 2 * tol:
            fits.append((_phi(a), _normal_draw(name, what)))
    rel = tol / abs(expected)
    if abs(expected) != 1 and abs(got * expected - 1) <= rel:
        fits.append((1 / expected, _reciprocal(what)))
    for c, text in _forms(named, constants):
        if abs(math.log(c)) > 2 * rel and abs(got / expected - c) <= rel * c:
            fits.append((c * expected, Diagnosis("factor", f"{what} is {text}")))
    distinct: list[tuple[float, Diagnosis]] = []
    for value, found in fits:  # one value read two ways (gain = sqrt(2)): the first reading
        if all(abs(value - v) > 1e-9 * abs(v) for v, _ in distinct):
            distinct.append((value, found))
    if len(distinct) > 1:
        return either(d for _, d in distinct)
    return distinct[0][1] if distinct else None


def _phi(a: float) -> float:
    return 0.5 * (1 + math.erf(a / math.sqrt(2)))


def _complement(name: str, what: str) -> Diagnosis:
    return Diagnosis(
        "argument",
        f"{what} is 1 - `{name}` where `{name}` is expected: `{name}` is read as its "
        "complement (the probability of keeping for that of dropping)",
    )


def _normal_draw(name: str, what: str) -> Diagnosis:
    return Diagnosis(
        "distribution",
        f"{what} is Phi(`{name}`), the chance that a standard normal draw is below `{name}`: a "
        "normal draw (randn) is compared with the threshold where a uniform one (rand), whose "
        f"chance to be below `{name}` is `{name}` itself, belongs",
    )


def _reciprocal(what: str) -> Diagnosis:
    return Diagnosis(
        "factor",
        f"{what} is the reciprocal of the expected: a multiplication where a division belongs "
        "(x * s for x / s), or the reverse",
    )


def _constant(x: torch.Tensor) -> bool:
    """Nine in ten of the values equal one value (up to rounding)."""
    flat = x.detach().double().flatten()
    if flat.numel() < 3:
        return False
    mid = flat.median()
    return float(torch.isclose(flat, mid, rtol=1e-6, atol=1e-9).double().mean()) >= 0.9


def repeated(draws: Sequence[torch.Tensor], what: str = "draws") -> Diagnosis | None:
    """The ``draws`` of separate calls (one tensor per call, from differently seeded generators)
    are all the same value within each call (one draw for the whole batch), or equal from one
    call to another (drawn once and kept)."""
    if len(draws) < 2:
        return None
    if all(_constant(d) for d in draws):
        return Diagnosis(
            "random",
            f"your {what} take one value for the whole batch in each call: a single draw "
            "(shape () or (1,)) where the docstring asks for one per example; draw a tensor "
            "of one value per example",
        )
    flat = [d.detach().double().flatten() for d in draws]
    if any(
        a.shape == b.shape and bool(torch.allclose(a, b, rtol=1e-6, atol=1e-9))
        for i, a in enumerate(flat)
        for b in flat[i + 1 :]
    ):
        return Diagnosis(
            "random",
            f"your {what} are the same in calls with differently seeded generators: drawn once "
            "and kept (a cache, a default argument, a tensor outside the function); draw them "
            "at every call from `generator`",
        )
    return None


def shared(draws: torch.Tensor, dim: int, what: str = "draws") -> Diagnosis | None:
    """Every slice of ``draws`` along ``dim`` equals the first: one draw shared where each
    slice needs its own (the coordinates of a point, the examples of a batch)."""
    if draws.dim() < 2 or draws.shape[dim] < 2:
        return None
    d = draws.detach().double()
    first = d.narrow(dim, 0, 1)
    if not bool(torch.allclose(d, first.expand_as(d), rtol=1e-6, atol=1e-9)) or _constant(d):
        return None
    return Diagnosis(
        "random",
        f"your {what} are the same along dimension {dim} (size {draws.shape[dim]}): one draw "
        f"of a smaller shape broadcast where every entry needs its own; draw the full shape",
    )


def duplicated(indices: torch.Tensor, what: str = "indices") -> Diagnosis | None:
    """Indices that must form a permutation of ``0 .. n-1`` (``n`` their count) all lie in that
    range and some repeat: drawn independently (with replacement) instead of as a permutation."""
    flat = indices.detach().flatten().long()
    n = flat.numel()
    if n < 2 or bool((flat < 0).any() or (flat >= n).any()) or flat.unique().numel() == n:
        return None
    return Diagnosis(
        "distribution",
        f"your {what} repeat some values and miss others: drawn independently, with "
        "replacement (randint), where a permutation (randperm) is asked for",
    )


def family(samples: torch.Tensor, expected: str, what: str = "values") -> Diagnosis | None:
    """Draws that should be ``"uniform"`` (kurtosis 1.8) or ``"normal"`` (kurtosis 3) have the
    other family's kurtosis (within 0.3; the sample kurtosis of 1000 draws or more is far
    closer): ``rand`` where ``randn`` belongs, or the reverse."""
    x = samples.detach().double().flatten()
    if x.numel() < 1000 or expected not in _KURTOSIS:
        return None
    z = (x - x.mean()) / x.std()
    kurtosis = float((z**4).mean())
    other = "normal" if expected == "uniform" else "uniform"
    if abs(kurtosis - _KURTOSIS[other]) > 0.3:
        return None
    return Diagnosis(
        "distribution",
        f"your {what} are {other}ly distributed where the docstring asks for a {expected} "
        f"distribution (their kurtosis is {kurtosis:.2f}, a {other} one's "
        f"{_KURTOSIS[other]}): drawn with {_SAMPLER[other]} where {_SAMPLER[expected]} belongs",
    )


_KURTOSIS = {"uniform": 1.8, "normal": 3.0}
_SAMPLER = {"uniform": "rand (or uniform_)", "normal": "randn (or normal_)"}


def float64_draws(template: torch.Tensor, got: torch.Tensor) -> Diagnosis | None:
    """A result in float64 for a float32 input (its values not judged): draws made in float64
    and never cast, which promote the result."""
    if got.dtype != torch.float64 or template.dtype != torch.float32:
        return mistyped(template, got)
    found = mistyped(template, got)
    if found is None:
        return None
    return Diagnosis(
        "dtype",
        "the result is torch.float64 for a float32 input: random draws (or weights) made in "
        "float64 (the default of NumPy, of torch.tensor of a Python float, or torch.float64 "
        "hard-coded) promote it; draw with dtype=x.dtype or cast them before they meet x",
    )
