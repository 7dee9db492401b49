"""Generic diagnoses for a result that is wrong slice by slice, or only on a telling set of
entries (a few signs, past a threshold, under a clamp); the last tier of
:mod:`descent.diagnoses.values`.

A *slice along dimension k* is the set of entries that differ only in their index ``k`` (a row
of a matrix for ``k = 1``, a column for ``k = 0``). Normalizations, softmax and their gradients
are built from statistics of such slices (a mean, a variance, a sum, a norm), and the usual
mistakes in them leave a mark that one tensor-wide hypothesis cannot see:

- :func:`slice_factor`: each slice is the expected times a factor of its own (apart, possibly,
  from an added argument such as a shift ``beta``): the slice's normalizer is computed wrongly
  (``sqrt(var) + eps`` for ``sqrt(var + eps)``, a variance divided by ``n - 1`` instead of ``n``);
- :func:`slice_term`: the result differs from the expected, in each slice, by ``a + b * x`` for
  an argument ``x``, with coefficients that change from slice to slice: a term through the
  slice's statistic (in a backward pass, the path through its mean or variance) is missing;
- :func:`slice_sums`: every slice of the expected sums to zero (the function does not change
  when a constant is added to a whole slice, as softmax and normalizations do not) and the
  result's slices do not, each entry carrying the sign of the upstream gradient's: the Jacobian
  is cut to its diagonal; or the result's slices sum to zero along another dimension: the
  statistic was taken over that dimension;
- :func:`signs_flipped`: the result is right except for some entries whose sign is flipped: one
  operand's gradient with the wrong sign;
- :func:`wrong_past_threshold`: the result is wrong exactly where a magnitude passes a threshold (a clamp,
  the linear branch of a Huber loss);
- :func:`clamped_difference`: the result is the larger (or smaller) of the expected and an argument or 0:
  a ReLU or a clamp where none belongs;
- :func:`counts_for_values`: the result is a dimension's size everywhere: entries counted where their
  values (the upstream gradient) belong in a sum.

Two hypotheses read structures rather than tensors (:func:`descent.diagnoses.values.diagnose` calls
them): :func:`items_for_their_count`, a list of ``n`` items where the count ``n`` is asked for, and
:func:`none_for_zero`, ``None`` where the expected holds 0.

Each hypothesis is a function ``(expected, got, inputs) -> Diagnosis | None`` over float64 CPU
tensors of one shape, like those of :mod:`descent.diagnoses.values`, whose :data:`TIER` runs after all
its own (a tensor-wide explanation comes first); texts never print a value of the inputs or of
the expected result.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import torch

from .base import Diagnosis, same, whole


class Inputs(Protocol):
    """What :class:`descent.diagnoses.values.Inputs` offers these hypotheses (that module imports
    this one for its tier, so this one cannot import it)."""

    tensors: list[tuple[str, torch.Tensor]]
    numbers: list[tuple[str, float]]

    def sizes(self, shape: Any) -> list[tuple[int, str]]: ...


# A slice needs more entries than the coefficients fitted to it, or any two values fit.
_MIN_SLICE = 4


def _slices(t: torch.Tensor, k: int) -> torch.Tensor:
    """``t`` as a matrix with one slice along dimension ``k`` per row."""
    return t.movedim(k, -1).reshape(-1, t.shape[k])


def _dims(e: torch.Tensor) -> list[int]:
    """The dimensions whose slices are long enough to fit, and that have at least 2 slices."""
    return [k for k in range(e.dim()) if e.shape[k] >= _MIN_SLICE and e.numel() // e.shape[k] >= 2]


def _arguments(e: torch.Tensor, inputs: Inputs) -> list[tuple[str, torch.Tensor]]:
    """The floating tensors of the call that broadcast to the result's shape and are not one
    constant, as float64 of that shape."""
    found = []
    for name, x in inputs.tensors:
        if not x.is_floating_point() or x.numel() < 2 or x.dim() > e.dim():
            continue
        try:
            xb = x.to(torch.float64).expand(e.shape)
        except RuntimeError:
            continue
        if not same(xb, xb.flatten()[0].expand(e.shape)):
            found.append((name, xb))
    return found


def _tensor_wide(basis: list[torch.Tensor], target: torch.Tensor) -> bool:
    """One set of coefficients fits ``target`` in ``basis`` over the whole tensor: the pattern
    is not one of slices."""
    a = torch.stack([b.flatten() for b in basis], dim=-1)
    c = torch.linalg.lstsq(a, target.flatten().unsqueeze(-1)).solution
    return same(target, (a @ c).reshape(target.shape))


def _fit(basis: list[torch.Tensor], target: torch.Tensor, k: int):
    """Least-squares coefficients, slice by slice along ``k``, of ``target`` in ``basis`` (one
    row of coefficients per slice) and the fitted tensor, or ``None`` when the fit is not exact."""
    a = torch.stack([_slices(b, k) for b in basis], dim=-1)  # (slices, n, m)
    b = _slices(target, k).unsqueeze(-1)
    c = torch.linalg.lstsq(a, b).solution  # (slices, m, 1)
    fitted = (a @ c).squeeze(-1)
    shape = target.movedim(k, -1).shape
    fitted = fitted.reshape(shape).movedim(-1, k)
    return (c.squeeze(-1), fitted) if same(target, fitted) else None


def _explains(e: torch.Tensor, g: torch.Tensor, predicted: torch.Tensor) -> bool:
    """``predicted`` is ``got`` to the hypotheses' tolerance and accounts for the difference
    from the expected, not only for values that dwarf it (an input of 1e4 added to both)."""
    return same(g, predicted) and bool((predicted - g).abs().max() <= 1e-3 * (g - e).abs().max())


def _where(k: int, e: torch.Tensor) -> str:
    return (
        f"dimension {k} (size {e.shape[k]}; a slice is the entries that differ only in index {k})"
    )


def slice_factor(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """Each slice along a dimension of ``got`` (less an argument ``x`` that broadcasts to it,
    or nothing) is the same slice of ``expected - x`` times a factor of its own, and no one
    factor fits the whole result: the slice's normalizer (a standard deviation, a norm) is not
    the expected one. One same factor with an argument added to both is named too (the factor
    hypothesis of :mod:`descent.diagnoses.values` sees no added argument). Factors that all sit near
    ``sqrt((n - 1) / n)`` or its inverse (or their squares) for ``n`` the size of a dimension
    are named as ``n - 1`` where ``n`` belongs."""
    shifts = [("", torch.zeros_like(e))] + _arguments(e, inputs)
    scales = [a for _, a in shifts[1:]] + ([e[:1].expand_as(e)] if e.dim() > 1 else [])
    for name, x in shifts:
        u, v = e - x, g - x
        c = float((u * v).sum() / (u * u).sum())
        if _explains(e, g, x + c * u):
            if name and _bessel(torch.tensor([c]), e.shape):  # else any rescaled update fits
                return _one_factor(name, torch.tensor([c]), e.shape, inputs)
            continue  # one factor and nothing added: the factor hypothesis's case
        fits = {}
        for k in _dims(e):
            if bool((_slices(u, k).abs().sum(-1) == 0).any()):
                continue  # a slice with nothing to scale
            if any(_fit([a], u, k) is not None for a in scales):
                continue  # each slice a multiple of an argument or of the start: any
                # rescaled update of a sequence fits
            fit = _fit([u], v, k)
            if fit is not None and bool((fit[0] != 0).all()) and _explains(e, g, x + fit[1]):
                fits[k] = fit[0].flatten()
        if len(fits) > 1:  # the factors hardly depend on the slice: one factor, nearly
            return _one_factor(name, torch.cat(list(fits.values())), e.shape, inputs)
        for k, factors in fits.items():
            apart = f" (apart from `{name}`, added to both)" if name else ""
            told = _normalizer_read(factors, k, e, inputs) or _normalizer(factors, e.shape, inputs)
            return Diagnosis(
                "factor",
                f"each slice of your result along {_where(k, e)} is the expected's slice"
                f"{apart} times a factor of its own: " + told,
            )
    return None


def _one_factor(name: str, factors: torch.Tensor, sizes, inputs: Inputs) -> Diagnosis:
    less = f" less `{name}`" if name else ""
    return Diagnosis(
        "factor",
        f"your result{less} is the expected{less} times one factor (or nearly): "
        + _normalizer(factors, sizes, inputs),
    )


def _bessel(c: torch.Tensor, sizes) -> str | None:
    """What factors ``c`` that all sit near a power of ``n / (n - 1)``, for ``n`` one of
    ``sizes``, say: a variance divided by ``n - 1`` where ``n`` belongs (or the reverse)."""
    for n in sizes:
        if n < 3:
            continue
        ratio = n / (n - 1)
        for value, text in (
            (math.sqrt(ratio), "a standard deviation from a variance divided by n - 1"),
            (1 / math.sqrt(ratio), "a standard deviation from a variance divided by n - 1"),
            (ratio, "a variance divided by n - 1"),
            (1 / ratio, "a variance divided by n - 1"),
        ):
            if bool(((c - value).abs() <= 1e-3 * value).all()):
                return (
                    f"the factors are all close to a power of {n}/{n - 1} (n = {n}, the size of "
                    f"a dimension): {text} (unbiased, torch.var's default) where the division "
                    "by n (biased) belongs, or the reverse"
                )
    return None


# How close a normalizer solved from the factors must come to a form, relative to its size: the
# forms differ by eps / var (1e-6 and more on the graders' inputs), the fit by rounding (1e-14).
_FORM_RTOL = 1e-9


def _normalizer_read(c: torch.Tensor, k: int, e: torch.Tensor, inputs: Inputs) -> str | None:
    """Which wrong normalizer the per-slice factors ``c`` are, when the expected normalizes each
    slice of an argument ``x`` (of the result's shape) by ``sqrt(stat + eps)``, ``stat`` its
    biased variance or its mean square along dimension ``k`` and ``eps`` a number of the call:
    the student's normalizer is then ``sqrt(stat + eps) / c``, and it is read as one form only
    when exactly one form (of one statistic and one eps) gives it on every slice, to
    ``_FORM_RTOL``: eps left out, eps added after the square root, or the slice's sum of
    squares where its mean belongs."""
    n = e.shape[k]
    eps_values = [v for name, v in inputs.numbers if "eps" in name.lower() and 0 < v < 1]
    found = set()
    for _, x in inputs.tensors:
        if x.shape != e.shape or not x.is_floating_point():
            continue
        rows = _slices(x.to(torch.float64), k)
        stats = (
            ("var", "the variance", rows.var(-1, unbiased=False)),
            ("mean(x**2)", "the mean square", (rows * rows).mean(-1)),
        )
        for short, long, stat in stats:
            for eps in eps_values or [1e-5]:
                s2 = (stat + eps) / (c * c)
                forms = (
                    (stat, f"eps left out: sqrt({short}) where sqrt({short} + eps) belongs"),
                    (
                        (stat.sqrt() + eps) ** 2,
                        f"eps added after the square root: sqrt({short}) + eps where "
                        f"sqrt({short} + eps) belongs",
                    ),
                    (
                        n * stat + eps,
                        f"the slice's sum of squares where its mean belongs ({n} times "
                        f"{long}, n = {n} the size of the slice): the division by n left out",
                    ),
                )
                for form, text in forms:
                    if _near(s2, form) and not _near(stat + eps, form):
                        found.add(text)
    if len(found) != 1:
        return None
    return (
        "each slice's normalizer differs from the expected one by what its factor shows: "
        + found.pop()
    )


def _near(a: torch.Tensor, b: torch.Tensor) -> bool:
    return bool(((a - b).abs() <= _FORM_RTOL * b.abs()).all())


def _normalizer(c: torch.Tensor, sizes, inputs: Inputs) -> str:
    """What factors ``c``, one per slice, say about the slices' normalizer: a standard
    deviation's slips where the call passes an eps (a normalization), else only that something
    computed once per slice differs (a cross-entropy with a floor in its log scales each row by
    a factor of its own, and has no standard deviation to blame)."""
    if not any("eps" in name.lower() for name, _ in inputs.numbers):
        return _bessel(c, sizes) or (
            "something your code computes once per slice (a sum, a maximum, a count or a "
            "normalizer over it, or a constant added to one) differs from the expected one"
        )
    return _bessel(c, sizes) or (
        "each slice's normalizer (its standard deviation, root mean square or norm) differs "
        "from the expected one: an eps added outside the square root instead of inside it, or "
        "of another value; a variance divided by n - 1 instead of n; or the statistic taken "
        "over other entries"
    )


def slice_term(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """``got - expected`` is, slice by slice along one dimension, ``a + b * x`` for an argument
    ``x`` of the call (or a constant ``a`` alone), with coefficients that differ between slices:
    a term that goes through a statistic of each slice (its mean, variance or norm) is missing or
    extra. An expected that is itself of that form says nothing (any slip fits it)."""
    d = g - e
    ones = torch.ones_like(e)
    candidates = [("", [ones])] + [(n, [ones, x]) for n, x in _arguments(e, inputs)]
    for k in _dims(e):
        fits = []
        for name, basis in candidates:
            if len(basis) + 1 >= e.shape[k] or _fit(basis, e, k) is not None:
                continue
            fit = _fit(basis, d, k)
            if fit is not None and not _tensor_wide(basis, d) and _explains(e, g, e + fit[1]):
                fits.append(name)
        if "" in fits:  # a constant alone: every argument's fit holds too
            what = "a constant"
        elif len(fits) == 1:
            what = f"a constant plus a multiple of `{fits[0]}`"
        else:
            continue  # none, or several arguments explain it: say nothing
        scaled = _paths_scaled(e, g, k, inputs)
        return Diagnosis(
            "term",
            f"your result differs from the expected, in each slice along {_where(k, e)}, by "
            f"{what}, with other coefficients in each slice: "
            + (
                scaled
                or "a term that goes through a statistic of the slice (its mean, variance or "
                "norm) is missing or extra: in a backward pass, the path through that "
                "statistic (which depends on every entry of the slice) left out, or kept "
                "where the statistic is a constant (running statistics in eval mode)"
            ),
        )
    return None


def _paths_scaled(e: torch.Tensor, g: torch.Tensor, k: int, inputs: Inputs) -> str | None:
    """The expected is, slice by slice, ``r * u + m + b * xc`` (:func:`_statistic_paths`: ``r``
    the slice's factor, ``m`` the path through its mean, ``b * xc`` the path through its
    variance), and ``got`` is the expected with those paths scaled: both by one ``q`` for every
    slice (named as the ratio of two sizes of the call when it is one: a mean over one count
    where another belongs), or one path alone by a factor per slice that is a power of ``r``
    (a multiplication by the slice's std where the division belongs, a power of the std one
    off)."""
    d = g - e
    both, alone = set(), set()
    for r, m, v in _statistic_paths(e, k, inputs):
        terms = m + v
        size = float((terms * terms).sum())
        if size <= 1e-12 * float((e * e).sum()):
            continue  # no statistic terms to scale
        c = float((d * terms).sum()) / size
        if _explains(e, g, e + c * terms):
            both.add(round(1 + c, 9))
            continue
        for name, path in (("mean", m), ("variance", v)):
            told = _path_power(e, g, k, r, name, path)
            if told:
                alone.add(told)
        if not alone:
            alone |= _paths_apart(e, g, k, r, m, v)
    if len(both) == 1:
        return _paths_by(both.pop(), e, k, inputs)
    return alone.pop() if len(alone) == 1 and not both else None


def _statistic_paths(e: torch.Tensor, k: int, inputs: Inputs):
    """Each way to write the expected exactly, slice by slice along ``k``, as ``r * u + m + b *
    xc``: ``u`` an argument ``dy`` of the result's shape (times an argument that broadcasts to
    it, or not), ``xc`` another argument of that shape less its slice's mean; yields ``(r, m, b
    * xc)`` with each slice's coefficients spread over its entries. Within a slice the paths of
    a normalization's gradient through its mean (a constant) and its variance (a multiple of
    ``x - mean``) have that form."""
    ones = torch.ones_like(e)
    shapes = {n: t.shape for n, t in inputs.tensors}
    full = [(n, t) for n, t in _arguments(e, inputs) if shapes[n] == e.shape]
    weights = [ones] + [t for n, t in _arguments(e, inputs) if shapes[n] != e.shape]
    if 4 >= e.shape[k]:
        return
    for dn, dy in full:
        for w in weights:
            for xn, x in full:
                if xn == dn:
                    continue
                xc = x - x.mean(k, keepdim=True)
                fit = _fit([dy * w, ones, xc], e, k)
                if fit is not None:
                    r, a, b = (_spread(fit[0][:, i], e, k) for i in range(3))
                    yield r, a, b * xc


def _spread(c: torch.Tensor, e: torch.Tensor, k: int) -> torch.Tensor:
    """One coefficient per slice along ``k`` over the entries of its slice, in ``e``'s shape."""
    return c[:, None].expand(-1, e.shape[k]).reshape(e.movedim(k, -1).shape).movedim(-1, k)


_POWERS = (
    (-2, "multiplied by the slice's std where it is divided by it (a factor std**2 too many)"),
    (2, "divided by the slice's std where it is multiplied by it (a factor 1/std**2 too many)"),
    (-1, "with a division by the slice's std left out (a factor std too many)"),
    (1, "divided by the slice's std once more (a factor 1/std too many)"),
)


def _path_power(
    e: torch.Tensor, g: torch.Tensor, k: int, r: torch.Tensor, name: str, path: torch.Tensor
) -> str | None:
    """``got`` is the expected with one path ``q`` times its size, ``q`` a power of the slice's
    ``r`` (``1 / std``) on every slice: the text says which power."""
    if float((path * path).sum()) <= 1e-12 * float((e * e).sum()):
        return None
    size = (path * path).sum(k, keepdim=True)
    if bool((size == 0).any()):
        return None
    q = 1 + ((g - e) * path).sum(k, keepdim=True) / size
    if not _explains(e, g, e + (q - 1) * path):
        return None
    rk = r.mean(k, keepdim=True)
    for power, words in _POWERS:
        if _near(q, rk**power) and not _near(rk**power, torch.ones_like(rk)):
            return f"the path through the slice's {name} is {words}"
    return None


def _paths_apart(
    e: torch.Tensor, g: torch.Tensor, k: int, r: torch.Tensor, m: torch.Tensor, v: torch.Tensor
) -> set[str]:
    """Both paths scaled, each by a factor of its own per slice (``got - e = (qm - 1) * m +
    (qv - 1) * v`` exactly): a path whose factor is a power of ``r`` is named, the other one
    said to be off too (a second, smaller slip: an eps left out of one power of the variance,
    say). Nothing when neither factor is a power."""
    if min(float((m * m).sum()), float((v * v).sum())) <= 1e-12 * float((e * e).sum()):
        return set()
    fit = _fit([m, v], g - e, k)
    if fit is None or not _explains(e, g, e + fit[1]):
        return set()
    rk = r.mean(k, keepdim=True)
    shape = rk.shape
    qs = {"mean": 1 + fit[0][:, 0].reshape(shape), "variance": 1 + fit[0][:, 1].reshape(shape)}
    named = []
    for name, q in qs.items():
        for power, words in _POWERS:
            if _near(q, rk**power) and not _near(rk**power, torch.ones_like(rk)):
                named.append((name, words))
    if len(named) != 1:
        return set()
    name, words = named[0]
    other = "variance" if name == "mean" else "mean"
    return {
        f"the path through the slice's {name} is {words}; the path through its {other} is "
        "off as well, by a factor of its own in each slice (a second, smaller slip in it)"
    }


def _paths_by(q: float, e: torch.Tensor, k: int, inputs: Inputs) -> str:
    text = (
        f"the terms through the slice's statistics (the paths through its mean and variance) "
        f"are {q:.6g} times the expected's"
    )
    sizes = inputs.sizes(e.shape)
    for n1, where1 in sizes:
        for n2, where2 in sizes:
            if n1 == e.shape[k] and n1 != n2 and abs(q - n1 / n2) <= 1e-6 * q:
                return (
                    f"{text}, {n1}/{n2}: an average over the slice divided by {n2} ({where2}) "
                    f"where {n1} ({where1}, the entries of the slice) belongs, or a count of "
                    "the wrong dimension in the gradient of the mean or the variance"
                )
    return f"{text}: a coefficient of the mean's or the variance's path is wrong"


def slice_sums(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """Every slice of the expected along one dimension sums to zero (the gradient of a function
    that does not change when a constant is added to a whole slice, as softmax and
    normalizations do not), while ``got``'s slices do not, and every entry of ``got`` has the
    sign of the same entry of an argument ``dy`` of the result's shape (or every entry the
    opposite sign): each entry was computed from its own upstream gradient alone, keeping only
    the diagonal of the Jacobian, and the terms through the slice's shared sum are missing.
    When ``got``'s slices sum to zero along another dimension, the statistic was taken over that
    dimension instead."""
    want, have = _zero_sums(e, 1e-9), _zero_sums(g, 1e-9)
    if not want or any(k in have for k in want):
        return None
    k = want[0]
    if have:
        return Diagnosis(
            "reduction",
            f"every slice of the expected along {_where(k, e)} sums to zero, and yours sum "
            f"to zero along dimension {have[0]} instead: the statistic (a mean, a variance, "
            f"a softmax's sum) is taken over dimension {have[0]} where dimension {k} belongs "
            "(the `dim` argument ignored, or -1 hard-coded)",
        )
    signed = [
        name
        for name, x in inputs.tensors
        if x.shape == e.shape
        and x.is_floating_point()
        and (bool((g * x > 0).all()) or bool((g * x < 0).all()))
    ]
    if len(signed) != 1:
        return None
    given = dict(inputs.tensors)[signed[0]]
    if given.dtype == g.dtype and torch.equal(given, g):  # a backward that hands `dy` back
        return Diagnosis(
            "term",
            f"your result is `{signed[0]}` as it was given, unchanged: the forward's local "
            "derivative is never applied to it (every slice of the expected along "
            f"{_where(k, e)} sums to zero, yours does not), as if the layer were the identity; "
            "a backward returns the upstream gradient times its own Jacobian",
        )
    return Diagnosis(
        "term",
        f"every slice of the expected along {_where(k, e)} sums to zero (adding one constant "
        "to a whole slice of the input changes nothing, as for softmax or a normalization), "
        f"yours does not, and each of your entries has the sign of the same entry of "
        f"`{signed[0]}` as if it depended on that entry alone: only the diagonal of the "
        "Jacobian is kept, and the terms through the slice's shared sum or normalizer (which "
        "every entry of the slice feeds) are missing",
    )


def _zero_sums(t: torch.Tensor, tol: float) -> list[int]:
    """The dimensions (of size 3 or more, with 2 slices or more) along which every slice of
    ``t`` sums to zero, to ``tol`` times the slice's absolute sum, and is not all zero."""
    found = []
    for k in range(t.dim()):
        if t.shape[k] < 3 or t.numel() // t.shape[k] < 2:
            continue
        slices = _slices(t, k)
        size = slices.abs().sum(-1)
        if bool((size > 0).all()) and bool((slices.sum(-1).abs() <= tol * size).all()):
            found.append(k)
    return found


def signs_flipped(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """Some non-zero entries of ``got`` are the expected's with the sign flipped, every other
    entry is right, and some of those right entries are non-zero: one gradient (one operand, one
    branch) has the wrong sign."""
    if e.numel() < 2:
        return None
    right = torch.isclose(g, e, rtol=1e-6, atol=1e-9)
    wrong = ~right & (e != 0) & torch.isclose(g, -e, rtol=1e-6, atol=1e-9)
    if not bool(wrong.any()) or not bool((right | wrong).all()) or not bool((e[right] != 0).any()):
        return None
    return Diagnosis(
        "sign",
        f"your result is right except at {int(wrong.sum())} of {e.numel()} entries, where it "
        "has the sign flipped: the gradient of one operand with the wrong sign (d(a - b)/db is "
        "-1, d(a / b)/db is -a/b^2), or one subtraction the wrong way round",
    )


def wrong_past_threshold(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """The wrong entries of a result of 2 dimensions or more (a 1-D result is often a sequence,
    whose large values gather around one step) are exactly those where the magnitude of an
    argument of the result's shape (or of the expected result) lies above some threshold, with right entries close
    below it (the largest right magnitude at least a tenth of the smallest wrong one) and at
    least 2 right entries that are not zero: the branch of a piecewise formula past a threshold
    (a clamp, the linear part of a Huber loss, a cut-off) is wrong. An error that only vanishes
    where the values vanish, a sequence wrong from some step on, and counts are no branch; the
    sign of a value is :func:`descent.diagnoses.placement.wrong_branch`'s case, which runs first."""
    right = torch.isclose(g, e, rtol=1e-6, atol=1e-9)
    wrong = ~right
    if e.dim() < 2 or e.numel() < 6 or int(wrong.sum()) < 2 or whole(e) and whole(g):
        return None  # a sequence (a schedule) or counts (fold sizes): no threshold on values
    if int((right & (e.abs() > 1e-6 * float(e.abs().max()))).sum()) < 2 or _from_a_step(wrong):
        return None
    candidates = [(f"`{n}`", x) for n, x in inputs.tensors if x.shape == e.shape]
    for name, x in candidates + [("the expected result", e)]:
        if not x.is_floating_point():
            continue
        v = x.abs()
        below, above = float(v[right].max()), float(v[wrong].min())
        if below < above and below >= 0.1 * above:
            return Diagnosis(
                "branch",
                f"your result is right on every entry except where |{name}| is large (above "
                "some threshold): the branch of the formula past a threshold is wrong (a clamp "
                "or a cut-off, the linear part of a piecewise formula, the threshold itself)",
            )
    return None


def counts_for_values(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """``got`` is one whole number ``n`` everywhere, ``n`` is the size of a dimension (of the
    result or of an argument), and the expected varies and is not whole numbers itself: entries
    counted where their values belong in a sum (``ones`` for the upstream gradient)."""
    if e.numel() < 2 or same(e, e.flatten()[0].expand_as(e)) or whole(e):
        return None  # counts (fold sizes) equal to a size are a coincidence, not a sum
    n = float(g.flatten()[0])
    if n != round(n) or not bool((g == n).all()):
        return None
    where = dict(inputs.sizes(e.shape)).get(int(n))
    if where is None:
        return None
    return Diagnosis(
        "factor",
        f"your result is {int(n)} everywhere, and {int(n)} is {where}, where the expected "
        "varies: a count where a sum of values belongs (each value, such as the upstream "
        "gradient, taken as 1: a factor left out of the sum)",
    )


def _from_a_step(wrong: torch.Tensor) -> bool:
    """The wrong entries are whole slices at the start or the end of dimension 0: a sequence
    that goes wrong from some step on (or is right only from some step on), whose values may
    grow or shrink with the steps: no threshold on a value."""
    rows = wrong.reshape(wrong.shape[0], -1)
    if not bool((rows.all(-1) | ~rows.any(-1)).all()):
        return False
    bad = [i for i, row in enumerate(rows.all(-1).tolist()) if row]
    contiguous = bad == list(range(bad[0], bad[-1] + 1))
    return contiguous and (bad[0] == 0 or bad[-1] == len(rows) - 1)


def clamped_difference(e: torch.Tensor, g: torch.Tensor, inputs: Inputs) -> Diagnosis | None:
    """``got`` is ``max(expected, x)`` or ``min(expected, x)`` entry by entry, for an argument
    ``x`` that broadcasts to the result (or for 0), and differs from the expected: a ReLU, a max
    or a clamp applied to the difference between the two (``x + relu(branch)`` for
    ``x + branch``). Two entries or more must be clamped: one entry at the bound is as much a
    gradient that never arrived (a 0 where -1 belongs) as a clamp."""
    for name, x in [("0", torch.zeros_like(e))] + _arguments(e, inputs):
        for op, word in ((torch.maximum, "larger"), (torch.minimum, "smaller")):
            acts = op(e, x) != e  # where the clamp changes something
            idle = ~acts & (e != x)
            if same(g, op(e, x)) and int(acts.sum()) >= 2 and int(idle.sum()) >= 2:
                other = "0" if name == "0" else f"`{name}`"
                return Diagnosis(
                    "branch",
                    f"your result is the {word} of the expected and {other}, entry by entry: "
                    "a ReLU, a max or a clamp where none belongs (applied to a part that is "
                    f"then added to {other}, say, or to the result itself)",
                )
    return None


def none_for_zero(expected: Any, got: Any) -> Diagnosis | None:
    """A list or tuple that holds ``None`` exactly where the expected holds 0 (and is right
    elsewhere): values (gradients) left unset where they must start at zero."""
    if not (
        isinstance(expected, (list, tuple))
        and isinstance(got, (list, tuple))
        and len(expected) == len(got)
        and any(v is None for v in got)
    ):
        return None
    for e_item, g_item in zip(expected, got):
        if g_item is None and not (isinstance(e_item, (int, float)) and e_item == 0):
            return None
        if g_item is not None and not (isinstance(e_item, (int, float)) and e_item == g_item):
            return None
    return Diagnosis(
        "structure",
        "your result holds None where the expected holds 0: a value (a gradient) left unset "
        "until something is written to it, where it must start at zero",
    )


def items_for_their_count(expected: Any, got: Any) -> Diagnosis | None:
    """A list or tuple of ``n`` items where the whole number ``n`` is expected: the items were
    returned where their count is asked for."""
    if (
        isinstance(got, (list, tuple))
        and isinstance(expected, int)
        and not isinstance(expected, bool)
        and expected == len(got)
    ):
        return Diagnosis(
            "structure",
            f"your result is a {type(got).__name__} of {len(got)} items where a number is "
            "asked for, and that number is their count: return len(...) of what you built, "
            "not the items themselves (the docstring's return convention)",
        )
    return None
