"""Generic diagnoses for normalizations and running statistics, read through an affine step or a
moving average that hides them (hypotheses of the third tier of :mod:`descent.diagnoses.values`).

A normalization's output is ``z * gamma + beta`` with ``z`` standardized along some dimension;
the affine step hides what ``z`` was. :func:`standardized` undoes it with per-feature tensors of
the call (a scale, and a shift or none: tensors with fewer dimensions than the result that
broadcast to it) and compares how the expected's ``z`` and the result's are normalized:

- both standardized (mean 0, variance 1) along different dimensions: the statistics were taken
  over another dimension (kind ``reduction``);
- the expected's ``z`` only has its root mean square scaled to 1 (not centred) while the
  result's is also centred, or the reverse: a mean subtracted that does not belong, or one left
  out (kind ``term``).

A moving average ``(1 - m) * r + m * s`` keeps part of an argument ``r`` with a number ``m`` of
the call (a momentum); :func:`blend_factor` takes the kept part off both results and reads the
new parts: one a power of ``n / (n - 1)`` times the other, for ``n`` a size of the call, is a
variance divided by ``n`` where ``n - 1`` belongs, or the reverse (kind ``factor``).

A result that is the expected with its scale and shift taken off (``(expected - beta) /
gamma`` for per-feature tensors of the call) is the normalized input returned as it is: the
affine step left out (:func:`affine_left_out`, kind ``omitted``).

Texts name dimensions by index and size and arguments by their recipe names, never values.
"""

from __future__ import annotations

from typing import Any

import torch

from .base import Diagnosis, same
from .slice import _bessel

_TOL = 1e-3  # an eps under the square root moves a variance of about 1 by far less than this
_MIN = 3  # a slice needs a few entries for its mean and spread to say anything


def _affine(e: torch.Tensor, inputs: Any) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Candidate (scale, shift) pairs: per-feature floating tensors of the call (fewer
    dimensions than the result, broadcasting to it), the scale non-zero everywhere; the shift may
    be none. The identity pair first."""
    params = []
    for _, x in inputs.tensors:
        if not x.is_floating_point() or x.numel() < 2 or x.dim() >= e.dim():
            continue
        try:
            params.append(x.to(torch.float64).expand(e.shape))
        except RuntimeError:
            continue
    zero, one = torch.zeros_like(e), torch.ones_like(e)
    pairs = [(one, zero)]
    for a in params:
        if bool((a != 0).all()):
            pairs += [(a, zero)] + [(a, b) for b in params if b is not a]
    return pairs


def _normalization(z: torch.Tensor, k: int) -> str | None:
    """How ``z`` is normalized along dimension ``k``: ``"standardized"`` (every slice of mean 0
    and variance 1), ``"rms"`` (root mean square 1, means not all 0), or ``None``."""
    if z.shape[k] < _MIN:
        return None
    mean, square = z.mean(k), (z * z).mean(k)
    if not bool(((square - 1).abs() <= _TOL).all()):
        return None
    if bool((mean.abs() <= _TOL).all()):
        return "standardized"
    return "rms" if bool((mean.abs() > 10 * _TOL).any()) else None


def _profile(z: torch.Tensor) -> dict[int, str]:
    return {k: n for k in range(z.dim()) if (n := _normalization(z, k)) is not None}


def standardized(e: torch.Tensor, g: torch.Tensor, inputs: Any) -> Diagnosis | None:
    """With the affine step undone by the same per-feature tensors, the expected and the result
    are normalized along different dimensions, or one centred and the other not (see the
    module's docstring)."""
    if e.dim() < 1:
        return None
    for a, b in _affine(e, inputs):
        want, have = _profile((e - b) / a), _profile((g - b) / a)
        if not want or not have or want == have:
            continue
        moved = [k for k in have if k not in want and have[k] == "standardized"]
        if set(want.values()) == {"standardized"} and moved and not set(want) & set(have):
            return Diagnosis(
                "reduction",
                f"your result (its scale and shift taken off) is standardized along dimension "
                f"{moved[0]} (size {e.shape[moved[0]]}) where the expected is standardized along "
                f"dimension {sorted(want)[0]}: the mean and variance were taken over the wrong "
                "dimension",
            )
        same_dims = [k for k in want if k in have]
        if len(same_dims) == len(want) == len(have) and len(set(want.values())) == 1:
            k = same_dims[0]
            if want[k] == "rms" and have[k] == "standardized":
                return Diagnosis(
                    "term",
                    f"your result (its scale taken off) is centred and scaled along dimension {k}"
                    " (mean 0, variance 1) where the expected is only scaled (root mean square "
                    "1, its mean kept): a mean is subtracted that does not belong",
                )
            if want[k] == "standardized" and have[k] == "rms":
                return Diagnosis(
                    "term",
                    f"your result (its scale taken off) has root mean square 1 along dimension "
                    f"{k} but is not centred, where the expected is (mean 0, variance 1): the "
                    "mean is not subtracted",
                )
    return None


def blend_factor(e: torch.Tensor, g: torch.Tensor, inputs: Any) -> Diagnosis | None:
    """``got - (1 - m) * r`` is ``expected - (1 - m) * r`` times a power of ``n / (n - 1)``, for
    an argument ``r`` of the result's shape, a number ``m`` of the call in (0, 1) and ``n`` a
    size of the call: the new part of a moving average is a variance divided by the wrong
    count."""
    sizes = [n for n, _ in inputs.sizes(e.shape)]
    for r_name, r in inputs.tensors:
        if r.shape != e.shape or not r.is_floating_point():
            continue
        for m_name, m in inputs.numbers:
            if not 0 < m < 1:
                continue
            kept = (1 - m) * r.to(torch.float64)
            u, v = e - kept, g - kept
            if bool((u == 0).all()) or same(u, v):
                continue
            c = float((u * v).sum() / (u * u).sum())
            if not same(v, c * u):
                continue
            why = _bessel(torch.tensor([c]), sizes)
            if why is not None:
                return Diagnosis(
                    "factor",
                    f"your result less (1 - `{m_name}`) times `{r_name}` (the part a moving "
                    f"average keeps) is the expected's new part times one factor: {why}",
                )
    return None


def affine_left_out(e: torch.Tensor, g: torch.Tensor, inputs: Any) -> Diagnosis | None:
    """``got`` is ``(expected - b) / a`` (or ``expected / a``) for per-feature tensors ``a``
    and ``b`` of the call, ``a`` no constant: the normalized values returned without the
    scale and shift applied to them."""
    if e.dim() < 1 or same(e, g):
        return None
    params = [
        (name, x.to(torch.float64).expand(e.shape))
        for name, x in inputs.tensors
        if x.is_floating_point() and 2 <= x.numel() and x.dim() < e.dim() and _broadcasts(x, e)
    ]
    for a_name, a in params:
        if not bool((a != 0).all()) or bool((a == a.flatten()[0]).all()):
            continue
        for b_name, b in [(None, torch.zeros_like(e))] + [p for p in params if p[0] != a_name]:
            if same(g, (e - b) / a):
                what = f"`{a_name}`" + (f" and `{b_name}`" if b_name else "")
                return Diagnosis(
                    "omitted",
                    f"your result is the expected with {what} taken off: the normalized values "
                    "returned without the scale and shift applied to them (the affine step left "
                    "out)",
                )
    return None


def _broadcasts(x: torch.Tensor, e: torch.Tensor) -> bool:
    try:
        x.expand(e.shape)
    except RuntimeError:
        return False
    return True
