"""Generic diagnoses that run the reference again with one parameter of an exercise function
forced: the argument read nowhere, a string option taken for another, a wrong default, a step
counter one off.

A check's recipe calls the exercise's functions; here the reference's functions are wrapped (a
patched implementation, as a catalogued variant is) so that one parameter behaves differently,
and the recipe is run again. When exactly one such change turns the expected result into the
student's, it names the mistake. The changes, most telling first, are those of :mod:`~.parameter_changes` (a parameter
ignored, another value or default, another exercise's function, a counter one off, the state
never read or started at a constant, eps under the root, a square, a reduction of another
kind).

:func:`estimate_slip` runs these changes on an estimate of random draws (a std), a change
fitting within the check's own band rather than to the last digits.

A fit must reproduce the student's result to float64's last digits (where both are float64), and
results with too little in them are never explained: zeros, a sequence that never moves, fewer
than four whole numbers or labels; a 0 or 1 that fits only because every value beyond it does
the same (a threshold of 1 or more stops every improvement) names nothing, nor does a
number whose value passed, moved a millionth of the way toward the fitted one, fits too (the
input sits on its edge, where a comparison inclusive for strict fits as well).

:func:`rerun_slip` also weighs the derivative readings of :mod:`descent.diagnoses.derivative`
(a backward's local derivative through its forward's input and output, a node class re-run with
one operation's derivative slipped).

Several changes that give the student's result are named together when they are values of one
parameter (``'linear'`` or ``'sigmoid'``: one mistake, the option mistaken), and as "several
explanations fit" otherwise, with the kind they share when they all have one. A first run with
every function only recording what it is passed decides which changes can matter (a parameter
never passed cannot be ignored), so at most :data:`MAX_RERUNS` runs follow; a reference slower
than :data:`MAX_SECONDS` is not re-run.
"""

from __future__ import annotations

import functools
import inspect
import math
import time
import types
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import torch

from .. import registry
from ..calls.impl import Implementation, PatchedImplementation
from ..calls.timelimit import cut_short
from . import order
from .argument import _discrete
from .base import Case, Estimate, leaves, map_leaves, non_finite
from .draw_order import exercise_functions
from .parameter_changes import Calls, Change, changes_of, siblings_of
from .values import Diagnosis, _deep_equal, either

MAX_RERUNS = 32
MAX_SECONDS = 2.0  # one run of the recipe on the reference; slower ones (training) are not re-run


def rerun_slip(case: Case) -> Diagnosis | None:
    """What re-running the reference finds: every re-run of :data:`descent.diagnoses.order.RERUNS`
    (an argument the recipe closes over slipped, a parameter of the exercise's functions misread,
    ...), each judging a changed run to float64's last digits; the one fit, "several
    explanations fit" when they differ, ``None`` when none fits."""
    case = replace(case, reproduces=lambda theirs: _reproduces(theirs, case.got, case.expected))
    return one_diagnosis([fit for rerun in order.resolved(order.RERUNS) for fit in rerun(case)])


def estimate_slip(estimate: Estimate) -> Diagnosis | None:
    """A statistic of random draws (a std) explained by a parameter change of the reference: the
    check's recipe (the statistic of an implementation) run on the changed reference lands within
    ``estimate.band`` (the check's own allowance) of the student's estimate and outside it around
    the expected one, so the changed reference would fail the check as the student's code does.
    Draws of another order or method give another sample, hence the band rather than float64's
    last digits. ``None`` when the check gave no call to re-run."""
    if estimate.case is None:
        return None
    got, expected, band = estimate.got, estimate.expected, estimate.band

    def reproduces(theirs: Any) -> bool:
        return isinstance(theirs, float) and abs(theirs - got) <= band < abs(theirs - expected)

    found = one_diagnosis(parameter_fits(replace(estimate.case, reproduces=reproduces)))
    if found is None:
        return None
    what = estimate.what
    text = found.text.replace("your result is what", f"{what} is, within the check's band, what")
    return Diagnosis(found.kind, text)


def parameter_fits(case: Case) -> list[Diagnosis]:
    """The diagnoses of every parameter change of ``exercise``'s functions under which the recipe
    run on ``reference`` gives ``got`` (and no longer ``expected``), fits of one parameter merged
    into one; ``[]`` when the exercise is unknown or the reference too slow to re-run.
    ``case.reproduces(theirs)`` decides a fit (default: to float64's last digits)."""
    recipe, got, expected = case.recipe, case.got, case.expected
    reference, exercise = case.reference, case.exercise
    reproduces = case.reproduces or (lambda theirs: _reproduces(theirs, got, expected))
    setting = (
        None if _inert(got) or _scant(got, expected) else recorded(recipe, reference, exercise)
    )
    if setting is None or exercise is None:
        return []
    module, functions, record = setting
    fits: dict[tuple[str, str], list[Change]] = {}
    changes = [c for n, f in functions.items() for c in changes_of(n, f, record[n], reference)]
    changes += [
        c for n, f in functions.items() for c in siblings_of(n, f, record[n], reference, exercise)
    ]
    for change in changes[:MAX_RERUNS]:
        fn = functions[change.function]
        if reproduces(_run(recipe, reference, module, change.function, change.wrap(fn))):
            if any(
                reproduces(_run(recipe, reference, module, change.function, control(fn)))
                for control in change.controls
            ):
                continue
            fits.setdefault((change.function, change.name), []).append(change)
    return [
        replace(_merged(group), rerun=slip(module, group[0].function, group[0].wrap))
        for group in fits.values()
    ]


def slip(module: str, function: str, wrap: Callable[[Callable], Callable]) -> Callable:
    """The re-run of a slip in one function: ``rerun(recipe, reference)`` runs any recipe on
    ``reference`` with ``module.function`` replaced by ``wrap`` of it (what
    :mod:`descent.diagnoses.verified` runs on the exercise's other checks)."""

    def rerun(recipe: Callable, reference: Implementation) -> Any:
        fn = getattr(reference.module(module), function)
        return recipe(_patched(reference, module, {function: wrap(fn)}))

    return rerun


def recorded(
    recipe: Callable, reference: Implementation, exercise: str | None
) -> tuple[str, dict[str, Callable], dict[str, Calls]] | None:
    """The exercise's module, its reference functions by name, and what each received in one
    run of the recipe on the reference; ``None`` when the exercise is unknown, the run fails, or
    it takes longer than :data:`MAX_SECONDS` (too slow to re-run)."""
    code = getattr(recipe, "__code__", None)
    if exercise is None or exercise not in registry.EXERCISES or code in _SLOW:
        return None
    module = registry.get(exercise).module
    functions = {name: fn for _, name, fn in exercise_functions(reference, exercise)}
    record = {name: Calls() for name in functions}
    start = time.perf_counter()
    try:
        recipe(
            _patched(reference, module, {n: _recording(f, record[n]) for n, f in functions.items()})
        )
    except Exception:  # noqa: BLE001 - a recipe the reference cannot run here names nothing
        return None
    took = time.perf_counter() - start
    if took > MAX_SECONDS:
        if took <= 5 * MAX_SECONDS:
            cut_short()  # near the limit: a busy machine's verdict, not the recipe's
        elif code is not None:
            _SLOW.add(code)  # a training run: not recorded again (a busy machine is not that slow)
        return None
    return module, functions, record


_SLOW: set[types.CodeType] = set()  # recipes found too slow to re-run, not recorded again


def _run(recipe: Callable, reference: Implementation, module: str, function: str, fn: Callable):
    """The recipe's result on ``reference`` with ``function`` replaced by ``fn``; a division by
    zero is a result (:data:`_DIVIDED_BY_ZERO`), any other refusal is ``_REFUSED``."""
    try:
        return recipe(_patched(reference, module, {function: fn}))
    except ZeroDivisionError:
        return _DIVIDED_BY_ZERO
    except Exception:  # noqa: BLE001 - the reference refuses that value: no explanation
        return _REFUSED


def _patched(reference: Implementation, module: str, fns: dict[str, Callable]) -> Implementation:
    return PatchedImplementation(reference, "argument", {(module, n): f for n, f in fns.items()})


def _recording(fn: Callable, calls: Calls) -> Callable:
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def recorded(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        calls.calls += 1
        for name, value in bound.arguments.items():
            calls.passed.setdefault(name, []).append(value)
            if isinstance(value, dict):
                calls.keys.update(k for k in value if isinstance(k, str))
        calls.left_out.update(n for n in signature.parameters if n not in bound.arguments)
        return fn(*args, **kwargs)

    return recorded


_DIVIDED_BY_ZERO = object()  # the changed reference divided by zero (a Python float)

_REFUSED = object()  # the changed reference raised anything else


def _reproduces(theirs: Any, got: Any, expected: Any) -> bool:
    """``theirs`` (a changed reference's result) is ``got`` and not ``expected``; NaN where NaN.
    A reference that divided by zero reproduces a result with NaN or infinities where the
    expected has none (a tensor formula divides by zero silently)."""
    if theirs is _REFUSED:
        return False
    if theirs is _DIVIDED_BY_ZERO:
        return non_finite(got) and not non_finite(expected)
    return _exactly(_marked(theirs), _marked(got)) and not _deep_equal(
        _marked(theirs), _marked(expected)
    )


def _exactly(theirs: Any, got: Any) -> bool:
    """Equal to float64 rounding where both are float64 (Python floats included), else to the
    hypotheses' tolerance: the same formula with one argument changed is reproduced to the last
    digits, where a near coincidence (an update normalized to about +-lr either way) is not."""
    if isinstance(theirs, (list, tuple)) and isinstance(got, (list, tuple)):
        return len(theirs) == len(got) and all(_exactly(a, b) for a, b in zip(theirs, got))
    if isinstance(theirs, dict) and isinstance(got, dict):
        return set(theirs) == set(got) and all(_exactly(theirs[k], got[k]) for k in theirs)
    wide = [
        isinstance(v, float) or isinstance(v, torch.Tensor) and v.dtype == torch.float64
        for v in (theirs, got)
    ]
    if not all(wide):
        return _deep_equal(theirs, got)
    a, b = (torch.as_tensor(v, dtype=torch.float64).detach().cpu() for v in (theirs, got))
    return a.shape == b.shape and bool(torch.allclose(a, b, rtol=1e-10, atol=1e-300))


_NAN = -123456.789  # where NaN stands, so that NaN at the same places compares equal


def _marked(value: Any) -> Any:
    """``value`` with every NaN replaced by :data:`_NAN`, so that two NaNs compare equal."""
    return map_leaves(_marked_leaf, value)


def _marked_leaf(value: Any) -> Any:
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        return torch.where(torch.isnan(value), torch.full_like(value, _NAN), value)
    return _NAN if isinstance(value, float) and math.isnan(value) else value


def _inert(value: Any) -> bool:
    """All zeros, or a sequence that never moves (every item equal: a schedule that never
    changes the rate): too many changes give it for one of them to be named."""
    if isinstance(value, (list, tuple)) and len(value) > 1 and not non_finite(value):
        first = value[0]
        return all(_deep_equal(first, item) for item in value[1:]) or _zeros(value)
    return _zeros(value)


def _scant(got: Any, expected: Any) -> bool:
    """Whole numbers, flags and labels too few to tell one change from another (an epoch and a
    best epoch: many misreadings land on the same pair)."""
    return _discrete(got) and _discrete(expected) and _leaves(got) < _FEWEST


_FEWEST = 4  # whole numbers or labels a discrete result needs before a re-run may explain it


def _leaves(value: Any) -> int:
    return sum(v.numel() if isinstance(v, torch.Tensor) else 1 for v in leaves(value))


def _zeros(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return bool(value) and all(_zeros(v) for v in value)
    if isinstance(value, torch.Tensor):
        return value.numel() > 0 and not bool(value.any())
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0


def _merged(changes: list[Change]) -> Diagnosis:
    """One diagnosis for the changes of one parameter that fit: those of the first way it is
    misread (held at its default before taken as another value), their values listed."""
    changes = [c for c in changes if c.text == changes[0].text]
    values = [repr(c.value) for c in changes]
    shown = " or ".join(values[:3]) + (" (or another of its values)" if len(values) > 3 else "")
    text = changes[0].text.replace("{values}", shown)
    return Diagnosis(changes[0].kind, "your result is what the reference gives " + text)


def one_diagnosis(fits: list[Diagnosis]) -> Diagnosis | None:
    """The one fit, every fit as "several explanations fit" when they differ, or ``None``. Fits
    that all have one kind (``nonlinearity`` taken as 'relu', or the slope left at 0: both an
    argument misread) keep that kind, as same-kind fits of one tier do: the mistake's kind is
    certain, only which argument is not, and the text lists each."""
    distinct = list({d.text: d for d in fits}.values())
    if not distinct:
        return None
    if len(distinct) == 1:
        return distinct[0]
    kinds = {d.kind for d in distinct}
    merged = either(distinct)
    # one kind: its first slip is the one the other checks are asked to reproduce
    if len(kinds) > 1:
        return merged
    return Diagnosis(kinds.pop(), merged.text, distinct[0].rerun, fits=merged.fits)
