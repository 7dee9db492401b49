"""Generic diagnoses that run the reference again with a tensor argument of the check changed.

:mod:`descent.diagnoses.argument` and :mod:`descent.diagnoses.rerun` change the numbers a
check's recipe closes over; some slips are in how a tensor argument's values are read:

- **a boundary on the other side**: the entries of a float tensor that sit exactly on a boundary
  (0, or a number of the call such as a threshold) moved one float up or down. When the reference
  then gives the student's result, the student's code puts those values on the other side of the
  boundary: a strict comparison (``< 0``) where an inclusive one belongs (``<= 0``), or the
  reverse (kind ``branch``). Only tensors that hold such entries beside others are tried.
- **soft values read as hard labels**: a tensor of probabilities (entries in [0, 1], some
  strictly between) with every entry other than exactly 1 set to 0, or every entry other than
  exactly 0 set to 1: the student's code branches on ``y == 1`` (``y == 0``) or casts the
  targets to integers, and a soft target loses its value (kind ``branch``).
- **an argument scaled**: a float tensor doubled or halved. The reference then giving the
  student's result means the argument enters the formula off by a factor of 2 (``f(x / 2)``
  where ``f(x)`` belongs: an identity that needs ``2x`` used with ``x``), kind ``argument``. Not
  where the student's result is a constant multiple of the expected one: a homogeneous formula
  (a power of its argument) turns any factor on the result into one on the argument, and the
  factor is then the plainer reading, which :func:`descent.diagnoses.linear.constant_factor` gives or not.

Two more readings run the student's code again rather than the reference:

- **an error of first order in a small argument**: with a small float argument of the call
  (``0 < eps <= 0.1``, a step or an epsilon) halved, the student's error (its result minus the
  expected) halves too, and the expected does not move: the result carries a term proportional
  to that argument where none belongs, as a one-sided difference does against a central one
  (kind ``term``). Only results with at least four wrong entries are read (a single number
  that moves with an argument shows any linear dependence on it). :func:`first_order` reads
  it, a stage of its own, when nothing before names the mistake.
- **right in float64**: a float32 result that nothing names (or that only NaN guesses at),
  right once the float32 tensors of the call are widened to float64: the formula is right and
  unstable in float32 (kind ``stability``, a fact). :func:`right_in_float64` is the last stage.

The tensors are those the recipe closes over directly or one level inside a tuple, list or dict
(the positional arguments of a battery's case); each is replaced in its cell by a new tensor and
put back, never edited in place. :func:`input_fits` lists every fit;
:func:`descent.diagnoses.parameter.rerun_slip` weighs them with the other re-runs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import torch

from ..calls.timelimit import cut_short
from ..comparison import compare
from .argument import _arguments, _discrete, closure
from .base import LOG_PROBABILITIES, OWN_MAXIMUM, Case, leaves, map_leaves, same
from .item import zero_everywhere
from .values import Diagnosis, _as_tensor, _deep_equal

# Re-runs stop once they have taken this long together (seconds), and after this many.
_BUDGET_S = 1.0
_MAX_RUNS = 16
# Entries an error of first order must show (each halving with the argument) to be read.
_FEWEST_WRONG = 4


def input_fits(case: Case) -> list[Diagnosis]:
    """Every change of a tensor argument (a boundary moved, the tensor scaled) under which the
    reference (``case.again()``, the recipe run on it) gives ``got`` and no longer ``expected``."""
    recipe, got, rerun, expected = case.recipe, case.got, case.again, case.expected
    if _discrete(got) and _discrete(expected):
        return []  # counts and labels: many changes land on the same few values
    fits, runs, deadline = [], 0, time.monotonic() + _BUDGET_S
    for new, how, kind, put in _changes(recipe, got, expected):
        if runs >= _MAX_RUNS:
            break
        if time.monotonic() > deadline:
            cut_short()  # on a faster machine a later change might have fitted
            break
        runs += 1
        try:
            with put(new):
                theirs = rerun()
        except Exception:  # noqa: BLE001 - the reference refuses that input: no explanation
            continue
        if _deep_equal(theirs, got) and not _deep_equal(theirs, expected):
            fits.append(Diagnosis(kind, "your result is what the expected becomes with " + how))
    return fits


def _changes(recipe: Callable, got: Any, expected: Any) -> Iterator[tuple]:
    """``(new tensor, how it reads, kind, put)`` for each change tried, boundaries first."""
    tensors = list(_tensors(recipe))
    bounds = [0.0] + [float(v) for _, _, _, v in _arguments(recipe) if float(v) != 0.0]
    for name, t, put in tensors:
        for b in bounds:
            on = t == b
            if not bool(on.any()) or bool(on.all()):
                continue
            for up, side in ((True, "above"), (False, "below")):
                yield (
                    _nudged(t, on, b, up),
                    f"the entries of `{name}` that are exactly {b:g} moved just {side} it: your "
                    f"code puts a value exactly on the boundary {b:g} on the other side (a strict "
                    "comparison, < or >, where an inclusive one belongs, <= or >=, or the "
                    "reverse)",
                    "branch",
                    put,
                )
    if not all(zero_everywhere(v) for v in leaves(got)):  # zeros are read as such: no branch
        for name, t, put in tensors:
            yield from _hardened(name, t, put)
    if _proportional(got, expected):
        return
    for name, t, put in tensors:
        if t.numel() < 4:
            continue
        for factor, what, wrong in ((2.0, "doubled", "f(2x)"), (0.5, "halved", "f(x / 2)")):
            yield (
                t * factor,
                f"`{name}` {what}: the argument enters the formula off by a factor of 2 "
                f"({wrong} computed where f(x) belongs: an identity or a scale inside the "
                "function that needs 2x used with x, or the reverse)",
                "argument",
                put,
            )


def _hardened(name: str, t: torch.Tensor, put: Callable) -> Iterator[tuple]:
    """A tensor of probabilities (every entry in [0, 1], some strictly between) read as hard
    labels: the entries other than exactly 1 as 0, and the entries other than exactly 0 as 1
    (a branch or a mask on ``y == 1`` or ``y == 0``, a cast to an integer)."""
    soft = (t > 0) & (t < 1)
    if not bool(soft.any()) or bool(((t < 0) | (t > 1)).any()):
        return
    for hard, other, value in ((t == 1, 1, 0), (t != 0, 0, 1)):
        yield (
            hard.to(t.dtype),
            f"every entry of `{name}` other than exactly {other} read as {value}: your code "
            f"branches on (or masks with) `{name} == {other}`, or casts it to an integer, where "
            "a value strictly between 0 and 1 belongs in the formula as it is",
            "branch",
            put,
        )


def _nudged(t: torch.Tensor, on: torch.Tensor, b: float, up: bool) -> torch.Tensor:
    """``t`` with its entries equal to ``b`` moved to the next float above (or below) ``b``."""
    edge = torch.tensor(b, dtype=t.dtype, device=t.device)
    toward = torch.tensor(float("inf") if up else float("-inf"), dtype=t.dtype, device=t.device)
    return torch.where(on, torch.nextafter(edge, toward), t)


def _proportional(got: Any, expected: Any) -> bool:
    """``got`` is a constant multiple of ``expected`` (as one tensor), or cannot be read so."""
    e, g = _as_tensor(expected), _as_tensor(got)
    if e is None or g is None or e.shape != g.shape:
        return True
    big = e.abs() > 1e-12
    if int(big.sum()) < 2:
        return True
    ratio = g[big] / e[big]
    return same(g, e * ratio[0])


def _tensors(recipe: Callable) -> Iterator[tuple[str, torch.Tensor, Callable]]:
    """``(name, tensor, put)`` for each float tensor the recipe closes over, directly or one
    level inside a tuple, list or dict; ``put(new)`` is a context in which the recipe sees
    ``new`` in its place."""
    for name, cell, value in closure(recipe):
        if _float_tensor(value):
            yield name, value, _Put(cell, None)
        elif isinstance(value, (list, tuple, dict)):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if _float_tensor(item):
                    label = f"{name}[{key!r}]" if isinstance(value, dict) else f"{name}[{key}]"
                    yield label, item, _Put(cell, key)


def _float_tensor(value: Any) -> bool:
    return (
        isinstance(value, torch.Tensor)
        and value.is_floating_point()
        and not value.is_meta
        and value.numel() > 1
    )


class _Put:
    """A context that puts ``new`` in a closure cell (at ``key`` of the container it holds),
    and the original back on leaving."""

    def __init__(self, cell, key):
        self.cell, self.key = cell, key

    def __call__(self, new: torch.Tensor) -> _Put:
        self.new = new
        return self

    def __enter__(self) -> None:
        self.original = value = self.cell.cell_contents
        if self.key is None:
            self.cell.cell_contents = self.new
        elif isinstance(value, dict):
            self.cell.cell_contents = {**value, self.key: self.new}
        else:
            items = list(value)
            items[self.key] = self.new
            self.cell.cell_contents = type(value)(items) if isinstance(value, tuple) else items

    def __exit__(self, *exc: object) -> None:
        self.cell.cell_contents = self.original


def first_order(case: Case) -> Diagnosis | None:
    """The one small float argument (``0 < value <= 0.1``) of the recipe that, halved, halves
    the student's error (``case.impl``, the implementation under test, is run again with it;
    the argument is put back); ``None`` when none or several do, or the error is no tensor of
    the expected's shape."""
    recipe, got, expected, impl = case.recipe, case.got, case.expected, case.impl
    e, g = _as_tensor(expected), _as_tensor(got)
    if e is None or g is None or e.shape != g.shape:
        return None
    if int((~torch.isclose(g, e, rtol=1e-6, atol=1e-12)).sum()) < _FEWEST_WRONG:
        return None  # one number that moves with an argument is any linear dependence on it
    fits, deadline = [], time.monotonic() + _BUDGET_S
    for name, cell, key, value in _arguments(recipe):
        if not (isinstance(value, float) and 0 < value <= 0.1):
            continue
        if time.monotonic() > deadline:
            cut_short()
            break  # the student's code is slow (a training run): a diagnosis is a bonus
        original = cell.cell_contents
        cell.cell_contents = value / 2 if key is None else {**original, key: value / 2}
        try:
            half = _as_tensor(recipe(impl))
        except Exception:  # noqa: BLE001 - code that refuses the value names nothing here
            continue
        finally:
            cell.cell_contents = original
        if half is not None and half.shape == e.shape and same(half - e, (g - e) / 2):
            fits.append(name)
    if len(fits) != 1:
        return None
    return Diagnosis(
        "term",
        f"your error (your result minus the expected) halves when `{fits[0]}` is halved: your "
        f"result carries a term proportional to `{fits[0]}` where none belongs (a first-order "
        f"approximation such as a one-sided difference (f(x + h) - f(x)) / h where the central "
        f"one belongs, or `{fits[0]}` added to a quantity it should not touch)",
    )


def right_in_float64(case: Case) -> Diagnosis | None:
    """The last stage: the student's code run again with the float32 tensors the recipe closes
    over widened to float64 (``case.pristine``, put back after) gives the expected values, cast
    up, where in float32 it did not: the formula is right and unstable in float32. A fact the
    student's own code showed (``witnessed``). Not when the result's dtypes already differ from
    the expected ones (the comparison's message says so) or no input is float32."""
    pristine = case.pristine
    if pristine is None or _dtypes(case.got) != _dtypes(case.expected) or not pristine.widen():
        return None
    try:
        wide = case.recipe(case.impl)
    finally:
        pristine.restore()
    if compare(wide, _double(case.expected), rtol=1e-5, atol=1e-6, check_dtype=False) is not None:
        return None
    return Diagnosis(
        "stability",
        "your result is right when the inputs are float64 and wrong "
        "in float32: the formula overflows, underflows or cancels in float32 "
        "(exp of a large number, log of an underflowed 0, a difference of two "
        "large values); use a stable form (subtract the max, log-sum-exp, log1p)",
        witnessed=True,  # the student's own code, run again, showed it
    )


def _double(value: Any) -> Any:
    """``value`` with every float32 tensor in it (nested in tuples, lists, dicts) as float64."""
    return map_leaves(
        lambda v: v.double() if isinstance(v, torch.Tensor) and v.dtype == torch.float32 else v,
        value,
    )


def _dtypes(value: Any) -> list:
    """The dtypes of the tensors in ``value``, in order (nested tuples, lists, dicts)."""
    return [v.dtype for v in leaves(value) if isinstance(v, torch.Tensor)]


# -- NaN or inf where the expected is finite, read by moving the inputs --------------------------
# How far apart values may be within a row before exp of their difference underflows: kept well
# inside float32's range (exp(-20) is about 2e-9) so that a correct formula stays finite.
_NARROW = 20.0


def centred(case: Case) -> Diagnosis | None:
    """A result with NaN or inf where the expected is finite, from a function the reference
    does not change when each row of a float argument is shifted by a constant (softmax,
    log-softmax, cross-entropy): the student's code is run again on that argument moved so that
    each row's largest value is 0, with each row narrowed too, with the narrowed rows at heights
    far apart, and with every row's largest value the same large number. What the code does
    there tells the usual causes apart, however its formula is phrased:

    * finite with each row's largest value 0 and with the same large largest value everywhere:
      one maximum subtracted for the whole batch where each row needs its own;
    * finite with each row's largest value 0, not with a large one: no maximum subtracted, an
      exp of a large number overflows;
    * not finite with each row's largest value 0, finite once the rows are narrow: the spread
      breaks it, a probability that underflows to 0 reaches a log (or a division); and not
      finite with narrow rows at heights far apart: one maximum for the whole batch too.

    A fact the student's own code showed (``witnessed``); ``None`` when no argument is such that
    the reference ignores its rows' shifts, or the runs read none of these."""
    if not _breaks(case):
        return None
    for name, t, put, dim in _shift_invariant(case):
        found = _centred(case, name, t, put, dim)
        if found is not None:
            zero = t - t.amax(dim=dim, keepdim=True)
            spread = max(float(zero.abs().amax()), _NARROW)
            narrow = zero * (_NARROW / spread)
            moves = (zero, zero + _large(t), narrow, narrow + _heights(zero, dim, _large(t)))
            return replace(found, probe=_Probe.of(case, put, moves))
    return None


def _centred(case: Case, name: str, t: torch.Tensor, put: Callable, dim: int) -> Diagnosis | None:
    """:func:`centred` on the argument ``name`` (``t``), whose rows along ``dim`` the reference
    ignores shifts of."""
    zero = t - t.amax(dim=dim, keepdim=True)
    finite = _finite_with(case, put, zero)
    if finite is None:
        return None
    where = f"each row of `{name}` along dimension {dim}"
    if finite:
        if _finite_with(case, put, zero + _large(t)):
            return _shifted(_one_maximum(name, where, dim, "is finite once"))
        return _shifted(
            f"your result is finite once {where} is shifted so that its largest value is 0 "
            "(which does not change the expected), and not when the values are large: your "
            "code does not subtract each row's maximum before exp, and an exp of a large "
            f"number overflows; compute with x - x.max(dim={dim}, keepdim=True)"
        )
    spread = float(zero.abs().amax())
    narrow = zero * (_NARROW / spread) if spread > _NARROW else None
    if narrow is None or not _finite_with(case, put, narrow):
        return None
    underflow = (
        f"your result is still NaN or infinite when {where} is shifted so that its largest "
        "value is 0 (which does not change the expected), and finite once the values of a "
        "row lie close together: a probability that underflows to 0 for values far apart "
        "reaches a log or a division (the log of a softmax, or of exp(x) / sum(exp(x))); "
        f"{LOG_PROBABILITIES}: x - max - log(sum(exp(x - max)))"
    )
    if _finite_with(case, put, narrow + _heights(zero, dim, _large(t))):
        return _shifted(underflow)
    if _finite_with(case, put, narrow + _large(t)):
        return _shifted(underflow + "; and " + _one_maximum(name, where, dim, ""))
    return _shifted(
        underflow + "; and it is not finite either when the rows lie close together with the "
        "same large largest value: your code subtracts no maximum at all, and an exp of a large "
        f"number overflows; compute with x - x.max(dim={dim}, keepdim=True)"
    )


def _one_maximum(name: str, where: str, dim: int, finite: str) -> str:
    """The reading of a code right when every row's largest value is the same, and broken when
    rows lie at heights far apart."""
    seen = (
        f"your result {finite} {where} is shifted so that its largest value is 0, and still "
        "when every row's largest value is the same large number (neither changes the "
        "expected): "
        if finite
        else f"it is not finite when {where} lies close together but the rows lie at heights "
        "far apart: "
    )
    return (
        seen + "your code subtracts one maximum for the whole of "
        f"`{name}` where each row {OWN_MAXIMUM}{dim}, keepdim=True), not x.max()): "
        "a row far below the largest value of all underflows to 0 and a 0 / 0 or a log(0) "
        "follows"
    )


def _heights(zero: torch.Tensor, dim: int, step: float) -> torch.Tensor:
    """A shift per row (constant along ``dim``) that puts consecutive rows ``step`` apart."""
    shape = list(zero.shape)
    shape[dim] = 1
    count = torch.arange(math.prod(shape), dtype=zero.dtype, device=zero.device)
    return (count * step).reshape(shape)


def overflow_bound(case: Case) -> Diagnosis | None:
    """A result with NaN or inf where the expected is finite, of an argument read entry by entry
    (the result has its shape): the student's code run again on that argument rescaled so that
    its entries span up to four times the largest number exp takes in the argument's dtype
    (88.72 in float32, 709.78 in float64; or half of it, for exp(2x)) is NaN or infinite at
    exactly the entries beyond that bound and finite elsewhere: an exp of the input overflows in
    the student's formula. A fact the student's own code showed (``witnessed``)."""
    if not _breaks(case):
        return None
    g = _as_tensor(case.got)
    for name, t, put in _tensors(case.recipe):
        if g is None or t.shape != g.shape or not bool((t != 0).any()):
            continue
        for dtype in dict.fromkeys((t.dtype, torch.float32, torch.float64)):
            bound = torch.finfo(dtype).max
            limit = float(torch.log(torch.tensor(bound, dtype=torch.float64)))
            wide = t * (4 * limit / float(t.abs().amax()))
            bad = _non_finite_entries(case, put, wide)
            if bad is None or not bool(bad.any()) or bool(bad.all()):
                continue
            w = wide.detach().cpu()  # where ``bad`` is (a GPU argument's result is read there)
            for k in (1, 2):
                for side, beyond in (
                    ("above", w > limit / k),
                    ("below", w < -limit / k),
                    ("beyond", w.abs() > limit / k),
                ):
                    near = (w.abs() - limit / k).abs() < 0.01 * limit / k
                    if bool(((bad != beyond) & ~near).any()):
                        continue
                    where = {"above": f"above {limit / k:.5g}", "below": f"below -{limit / k:.5g}"}
                    return _shifted(
                        probe=_Probe.of(case, put, (wide,)),
                        text=f"your result is NaN or infinite exactly where `{name}` is "
                        f"{where.get(side, f'beyond +-{limit / k:.5g}')} and finite elsewhere: an "
                        f"exp of {'2 times ' if k == 2 else ''}the input overflows there "
                        f"({limit:.5g} is the log of the largest {dtype}); write the formula so "
                        "that only a number <= 0 is exponentiated (exp(-|x|) and a branch on the "
                        "sign, or the library's tanh identity)",
                    )
    return None


def _shifted(text: str, probe: _Probe | None = None) -> Diagnosis:
    return Diagnosis("stability", text, origin="input", witnessed=True, probe=probe)


@dataclass(frozen=True)
class _Probe:
    """The moved inputs a reading of NaN or inf ran the student's code on, and where its result
    was not finite on each: another code (a catalogued bug, a slip) reproduces the check only if
    it does the same there; NaN where the expected is finite, alone, is no evidence of how."""

    put: Callable
    moves: tuple[torch.Tensor, ...]
    seen: tuple = ()

    @classmethod
    def of(cls, case: Case, put: Callable, moves: tuple[torch.Tensor, ...]) -> _Probe:
        probe = cls(put, moves)
        return replace(probe, seen=probe.where_not_finite(lambda: case.recipe(case.impl)))

    def where_not_finite(self, run: Callable[[], Any]) -> tuple:
        out: list[Any] = []
        for new in self.moves:
            try:
                with self.put(new):
                    result = _as_tensor(run())
            except Exception:  # noqa: BLE001 - code that refuses the input: that is what it does
                out.append("refused")
                continue
            out.append(
                None if result is None else tuple((~torch.isfinite(result)).flatten().tolist())
            )
        return tuple(out)

    def agrees(self, run: Callable[[], Any]) -> bool:
        """Code run by ``run`` is non-finite where the student's was, on every moved input."""
        return self.where_not_finite(run) == self.seen


def _breaks(case: Case) -> bool:
    """The student's result has NaN or inf where the expected is all finite."""
    g, e = _as_tensor(case.got), _as_tensor(case.expected)
    return (
        g is not None
        and e is not None
        and bool(torch.isfinite(e).all())
        and not bool(torch.isfinite(g).all())
    )


def _shift_invariant(case: Case) -> Iterator[tuple[str, torch.Tensor, Callable, int]]:
    """``(name, tensor, put, dim)`` for each float argument of at least two dimensions whose
    rows along ``dim`` the reference ignores a shift of (and not a change of scale): its result
    with each row's largest value moved to 0 is the expected one."""
    for name, t, put in _tensors(case.recipe):
        if t.dim() < 2:
            continue
        for dim in range(t.dim() - 1, -1, -1):
            zero = t - t.amax(dim=dim, keepdim=True)
            if _reference_gives(case, put, zero) and not _reference_gives(case, put, zero / 2):
                yield name, t, put, dim
                break


def _reference_gives(case: Case, put: Callable, new: torch.Tensor) -> bool:
    try:
        with put(new):
            theirs = case.again()
    except Exception:  # noqa: BLE001 - the reference refuses that input: no such argument
        return False
    return compare(theirs, case.expected, rtol=1e-4, atol=1e-5, check_dtype=False) is None


def _finite_with(case: Case, put: Callable, new: torch.Tensor) -> bool | None:
    """Whether the student's code gives a finite result with ``new`` in the argument's place
    (``None`` when it raises)."""
    bad = _non_finite_entries(case, put, new)
    return None if bad is None else not bool(bad.any())


def _non_finite_entries(case: Case, put: Callable, new: torch.Tensor) -> torch.Tensor | None:
    try:
        with put(new):
            theirs = _as_tensor(case.recipe(case.impl))
    except Exception:  # noqa: BLE001 - code that refuses the input names nothing here
        return None
    return None if theirs is None else ~torch.isfinite(theirs)


def _large(t: torch.Tensor) -> float:
    """A shift that overflows exp in ``t``'s dtype, as large as ``t``'s own values at least."""
    limit = float(torch.log(torch.tensor(torch.finfo(t.dtype).max, dtype=torch.float64)))
    return max(float(t.abs().amax()), 2 * limit)
