"""The one comparison of a result with the expected one: values, shapes, dtypes and devices.

``compare(got, expected)`` walks nested tuples, lists and dicts of tensors and numbers and
returns ``None`` when everything matches, else a :class:`Mismatch` that says where the first
difference is and how large it is: the shape, the worst index, expected and got at that index
and the max absolute and relative error, never whole tensors (hidden inputs stay hidden).
:func:`tolerance` is the rounding a float32 comparison allows; :func:`structure` compares the
raw structure alone (nesting, shapes, dtypes, devices). Every check compares through here: the
grading helpers (:mod:`descent.grading.compare` raises a failure from a :class:`Mismatch`) and
the diagnoses that weigh a cause on the exercise's other checks alike, so it stands beneath both
and imports nothing of the kit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Number
from typing import Any

import torch


@dataclass
class Mismatch:
    path: str
    reason: str
    hint: str | None = None
    # A guess from the kind of value alone (NaN, inf). A stability check's own hint says which
    # formula overflows, so it comes first there; elsewhere the check's hint is about values
    # and the guess is the better lead. Shape, dtype and device hints always win.
    guessed: bool = False

    def describe(self, what: str) -> str:
        where = f"{what}{self.path}" if self.path else what
        return f"{where}: {self.reason}"

    def hint_over(self, check_hint: str | None, check: str) -> str | None:
        """The hint to show, given the kind of ``check`` and the hint it states itself."""
        if self.guessed and check == "stability":
            return check_hint or self.hint
        return self.hint or check_hint


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _pair(expected: float, got: float) -> str:
    """``expected E, got G`` with as many digits as it takes to tell them apart (6 to 17)."""
    for digits in (6, 9, 12, 17):
        e, g = f"{expected:.{digits}g}", f"{got:.{digits}g}"
        if e != g:
            break
    return f"expected {e}, got {g}"


# A float64 result that agrees with the expected one only to float32's precision (about 7
# digits) went through a float32 intermediate: within a few float32 roundings (16 eps, 1.9e-6
# relative) of it, not merely close (a 1e-4 ridge moves a least-squares solution by 5e-6,
# which is no rounding).
_FLOAT32_LIKE = 16 * torch.finfo(torch.float32).eps
# ... and further off than float64's own roundings: a difference in the last digits is the same
# value computed in another order (`w - (w - d)` for `d`), which no float32 intermediate explains
_FLOAT64_LIKE = 64 * torch.finfo(torch.float64).eps
_FLOAT64_HINT = (
    "the values differ only in float64's last digits: the same value computed in another "
    "order (a difference of nearly equal numbers, a sum in another order); compute it directly"
)
_FLOAT32_HINT = (
    "the values agree to about 7 significant digits, float32's precision: if an "
    "intermediate (a one-hot, class weights, a constant tensor) is made in float32, "
    "build it in the input's dtype (x.new_zeros, torch.zeros_like, "
    "weight.to(x.dtype))"
)


# The rounding a correct computation in a low-precision dtype may show, in units of that dtype's
# eps (float32: 1.19e-7): a value check in such a dtype is never held tighter than ROUNDING_ULPS
# eps relative to each value, nor than ROUNDING_ULPS eps of the largest value of the tensor in
# absolute terms (a small value next to large ones, as in gelu's negative tail or a cancelling
# sum, carries the rounding of its larger neighbours). Measured against a float64 reference cast
# down, with ATEN_CPU_CAPABILITY=default and =avx2 alike: on the battery's everyday inputs cast to
# float32 (tests/test_float32_rounding.py), the solutions and every catalogued alternative (the
# docstrings' formulas typed literally, a reciprocal multiply, erfc, ndtr, a float64 detour cast
# back, loops) stay within 7.2 eps of the largest value (batch norm's backward in eval mode with a
# tiny running variance; all others within 4.7); on the float32 checks of graders/ and
# exercises/ within 1.6. 32 leaves room for other vector widths and orders of summation, and is
# still far below any catalogued mistake.
ROUNDING_ULPS = 32


def tolerance(got: Any, expected: torch.Tensor, rtol: float, atol: float) -> tuple[float, float]:
    """The ``(rtol, atol)`` a comparison of ``got`` with ``expected`` uses: the ones asked for,
    raised to the rounding of the coarser floating dtype of the two when that is float32 or
    narrower (:data:`ROUNDING_ULPS`); float64 values keep what was asked."""
    dtypes = [t.dtype for t in (got, expected) if isinstance(t, torch.Tensor)]
    floating = [d for d in dtypes if d.is_floating_point]
    if not floating:
        return rtol, atol
    eps = max(torch.finfo(d).eps for d in floating)
    if eps <= torch.finfo(torch.float64).eps:
        return rtol, atol
    floor = ROUNDING_ULPS * eps
    finite = expected.detach()[torch.isfinite(expected.detach())]
    scale = float(finite.abs().max()) if finite.numel() else 0.0
    return max(rtol, floor), max(atol, floor * scale)


def _is_number(x: Any) -> bool:
    return isinstance(x, Number) and not isinstance(x, bool)


def compare(
    got: Any,
    expected: Any,
    *,
    rtol: float = 1e-7,
    atol: float = 1e-9,
    check_dtype: bool = True,
    path: str = "",
) -> Mismatch | None:
    """First difference between ``got`` and ``expected`` or ``None``.

    Tensors must agree in shape, dtype (when ``check_dtype``) and device, then elementwise within
    ``|got - expected| <= atol + rtol * |expected|``, with NaN and infinities required in the same
    places; in float32 (or narrower) the tolerance is no tighter than that dtype's rounding
    (:func:`tolerance`), so compare such results with a float64 reference cast down. Python numbers are compared with the same rule; ``expected`` float means ``got`` may be a
    float or an int but not a tensor.
    """
    if isinstance(expected, torch.Tensor):
        return _compare_tensor(got, expected, rtol, atol, check_dtype, path)
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        if type(got) is not type(expected) or got != expected:
            return Mismatch(path, f"expected {expected!r}, got {_short(got)}")
        return None
    if _is_number(expected):
        if isinstance(got, torch.Tensor):
            return Mismatch(
                path,
                f"expected a Python number, got a tensor of shape "
                f"{tuple(got.shape)} (use .item() for a float result)",
            )
        if not _is_number(got):
            return Mismatch(path, f"expected a number, got {_short(got)}")
        return _compare_scalar(float(got), float(expected), rtol, atol, path)
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return Mismatch(
                path,
                f"expected a {type(expected).__name__} of {len(expected)} items, got {_short(got)}",
            )
        if len(got) != len(expected):
            return Mismatch(path, f"expected {len(expected)} items, got {len(got)}")
        for i, (g, e) in enumerate(zip(got, expected)):
            found = compare(
                g, e, rtol=rtol, atol=atol, check_dtype=check_dtype, path=f"{path}[{i}]"
            )
            if found:
                return found
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return Mismatch(
                path, f"expected a dict with keys {sorted(expected)}, got {_short(got)}"
            )
        if set(got) != set(expected):
            return Mismatch(
                path, f"expected keys {sorted(map(str, expected))}, got {sorted(map(str, got))}"
            )
        for key in expected:
            found = compare(
                got[key],
                expected[key],
                rtol=rtol,
                atol=atol,
                check_dtype=check_dtype,
                path=f"{path}[{key!r}]",
            )
            if found:
                return found
        return None
    raise TypeError(f"compare() cannot compare values of type {type(expected).__name__}")


def _short(x: Any) -> str:
    """What a value is, never its contents (values computed from hidden inputs stay hidden)."""
    if isinstance(x, torch.Tensor):
        return f"a tensor of shape {tuple(x.shape)}"
    if isinstance(x, (tuple, list)):
        inner = ", ".join(_short(v) for v in x[:3]) + (", ..." if len(x) > 3 else "")
        return f"a {type(x).__name__} of {len(x)} items ({inner})"
    if isinstance(x, dict):
        return f"a dict with keys {sorted(map(str, x))[:6]}"
    if x is None or isinstance(x, (bool, int, float, str)):
        return f"{type(x).__name__} {repr(x)[:40]}"
    # An object kept in an isolated worker names its own class there (see isolation.remote).
    name = x.descent_type_name if hasattr(type(x), "descent_type_name") else type(x).__name__
    return f"an object of type {name}"


def _compare_scalar(
    got: float, expected: float, rtol: float, atol: float, path: str
) -> Mismatch | None:
    if math.isnan(expected) or math.isnan(got) or math.isinf(expected) or math.isinf(got):
        if (math.isnan(expected) and math.isnan(got)) or got == expected:
            return None
        return Mismatch(path, f"expected {_fmt(expected)}, got {_fmt(got)}")
    if abs(got - expected) <= atol + rtol * abs(expected):
        return None
    return Mismatch(path, f"{_pair(expected, got)} (abs error {_fmt(abs(got - expected))})")


def _swapped_dimensions(got: tuple, expected: tuple) -> tuple[int, int] | None:
    """The two dimensions whose sizes ``got`` has in each other's place, all else as
    ``expected``; ``None`` for any other difference."""
    if len(got) != len(expected):
        return None
    differ = [k for k, (a, b) in enumerate(zip(got, expected)) if a != b]
    if len(differ) != 2:
        return None
    i, j = differ
    return (i, j) if got[i] == expected[j] and got[j] == expected[i] else None


def _meta_mismatch(
    got: Any, expected: torch.Tensor, check_dtype: bool, path: str
) -> Mismatch | None:
    """Type, shape, dtype and device of one tensor: the raw checks that autograd would hide."""
    if not isinstance(got, torch.Tensor):
        return Mismatch(
            path, f"expected a tensor of shape {tuple(expected.shape)}, got {_short(got)}"
        )
    if type(got) is not torch.Tensor:
        return Mismatch(path, f"expected a plain torch.Tensor, got {type(got).__name__}")
    if got.shape != expected.shape:
        hint = None
        swapped = _swapped_dimensions(tuple(got.shape), tuple(expected.shape))
        if got.dim() == expected.dim() == 2 and tuple(got.shape) == tuple(expected.shape)[::-1]:
            hint = "the shape is transposed: check the (out_features, in_features) layout"
        elif swapped is not None:
            i, j = swapped
            kernel = " (a kernel laid out as (in, out, ...) where (out, in, ...) belongs?)"
            hint = (
                f"the expected sizes in another order: dimensions {i} and {j} are swapped"
                f"{kernel if (i, j) == (0, 1) else ''}: a transpose or permute missing or extra"
            )
        elif got.numel() == expected.numel():
            hint = (
                "same number of elements, different shape: a missing or extra reshape, "
                "keepdim, or a loss that is not a 0-dim tensor"
            )
        elif expected.dim() < got.dim():
            hint = (
                "a gradient must have its parameter's shape: sum over the broadcast "
                "(batch) dimensions"
            )
        return Mismatch(
            path, f"expected shape {tuple(expected.shape)}, got {tuple(got.shape)}", hint
        )
    if check_dtype and got.dtype != expected.dtype:
        return Mismatch(
            path,
            f"expected dtype {expected.dtype}, got {got.dtype}",
            "results keep the input's dtype: build tensors with *_like or "
            "x.new_*, never a hard-coded dtype",
        )
    if got.device != expected.device:
        return Mismatch(
            path,
            f"expected device {expected.device}, got {got.device}",
            "results live on the input's device: avoid torch.zeros(shape) "
            "without device=, .cpu() and .cuda()",
        )
    return None


def _compare_tensor(
    got: Any, expected: torch.Tensor, rtol: float, atol: float, check_dtype: bool, path: str
) -> Mismatch | None:
    found = _meta_mismatch(got, expected, check_dtype, path)
    if found:
        return found
    if not (got.is_floating_point() or expected.is_floating_point()):
        if torch.equal(got, expected):
            return None
        at = tuple((got != expected).nonzero()[0].tolist())
        return Mismatch(
            path,
            f"differs at index {at}: expected {expected[at].item()!r}, got {got[at].item()!r}",
        )
    rtol, atol = tolerance(got, expected, rtol, atol)
    g = got.detach().to(torch.float64).cpu()
    e = expected.detach().to(torch.float64).cpu()
    # The common case first, in a few operations: every expected value finite, and every value
    # within the tolerance (then got's are finite too). Anything else takes the steps below.
    if bool(((g - e).abs() <= atol + rtol * e.abs()).all()) and bool(e.isfinite().all()):
        return None
    got_nan = torch.isnan(g) & ~torch.isnan(e)
    if got_nan.any():
        return Mismatch(
            path,
            _at(got_nan.nonzero()[0], e, g, e.shape),
            "NaN comes from 0/0, inf - inf, or the root or log of a negative number: look for "
            "an unstable formula or a quantity that went below 0",
            guessed=True,
        )
    finite = torch.isfinite(e) & torch.isfinite(g)
    # Non-finite expected values (or a finite value where NaN/inf was expected) must match exactly.
    special = ~finite & ~(torch.isnan(e) & torch.isnan(g)) & (g != e)
    if special.any():
        return Mismatch(
            path,
            _at(special.nonzero()[0], e, g, e.shape),
            "an infinite value appeared: an exp() overflowed or a log() got 0",
            guessed=True,
        )
    diff = torch.where(finite, (g - e).abs(), torch.zeros_like(g))
    allowed = atol + rtol * e.abs()
    bad = finite & (diff > allowed)
    if not bad.any():
        return None
    excess = torch.where(bad, diff / allowed.clamp_min(1e-300), torch.zeros_like(g))
    idx = torch.tensor(_unravel(int(excess.argmax()), tuple(e.shape)))
    nonzero = bad & (e != 0)
    worst_rel = float((diff / e.abs())[nonzero].max()) if nonzero.any() else None
    rel = f", max rel error {_fmt(worst_rel)}" if worst_rel is not None else ""
    hint = None
    if expected.dtype == torch.float64 and worst_rel is not None:
        if bool((diff[bad] <= _FLOAT64_LIKE * e.abs()[bad]).all()):
            hint = _FLOAT64_HINT
        elif worst_rel < _FLOAT32_LIKE and bool((diff[bad] <= _FLOAT32_LIKE * e.abs()[bad]).all()):
            hint = _FLOAT32_HINT
    if e.dim() == 0:
        return Mismatch(
            path,
            f"{_pair(float(e), float(g))} (abs error "
            f"{_fmt(float(diff))}{rel.replace('max ', '')}) "
            f"(allowed: atol={atol:g}, rtol={rtol:g})",
            hint,
            guessed=True,
        )
    return Mismatch(
        path,
        f"{int(bad.sum())} of {e.numel()} values differ; worst {_at(idx, e, g, e.shape)}; "
        f"max abs error {_fmt(float(diff.max()))}{rel} (allowed: atol={atol:g}, rtol={rtol:g})",
        hint,
        guessed=True,
    )


def _unravel(flat: int, shape: tuple[int, ...]) -> list[int]:
    out = []
    for size in reversed(shape):
        out.append(flat % size)
        flat //= size
    return list(reversed(out))


def _at(idx: torch.Tensor, e: torch.Tensor, g: torch.Tensor, shape) -> str:
    index = tuple(int(i) for i in idx.tolist())
    where = f"at index {index} of shape {tuple(shape)}" if index else "value"
    return f"{where}: {_pair(float(e[index]), float(g[index]))}"


def structure(got: Any, template: Any, path: str = "") -> Mismatch | None:
    """The first difference in raw structure between ``got`` and ``template`` (same nesting of
    tuples and lists, and each tensor's type, shape, dtype and device; values free), or
    ``None``."""
    if isinstance(template, torch.Tensor):
        return _meta_mismatch(got, template, True, path)
    if isinstance(template, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(template):
            return Mismatch(path, f"expected {len(template)} items, got {_short(got)}")
        for i, (g, t) in enumerate(zip(got, template)):
            found = structure(g, t, f"{path}[{i}]")
            if found:
                return found
    return None
