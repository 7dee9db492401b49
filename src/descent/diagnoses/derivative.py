"""Generic diagnoses of a derivative's formula: a backward whose local derivative is misread.

A backward of an elementwise forward ``y = f(x)`` returns ``dout * f'(x)``; dividing the
expected and the student's gradients by the upstream gradient gives the two *local*
derivatives. :func:`local_slip` relates them through the forward's input ``x`` and output ``y``:

- **the product rule half applied**: the student's local derivative is ``y / x``: for a forward
  ``x * g(x)`` that is ``g(x)``, the derivative with the ``x * g'(x)`` term left out (kind
  ``term``);
- **a formula in the output**: when the expected local derivative is a polynomial of degree 1
  to 3 in ``y`` (``y * (1 - y)``, ``1 - y^2``, ``y``), read from the values themselves, the
  student's is that polynomial evaluated at the input ``x`` (kind ``argument``), with one of its
  terms left out, or with one term's power of ``y`` one too low (``y`` where ``y^2`` belongs)
  (kind ``term``);
- **a derivative handed the output**: the student's local derivative is the expected one
  evaluated at the output ``y`` where the input ``x`` belongs (``1 / cosh(y)^2`` for tanh's
  ``1 / cosh(x)^2``): a formula in the input, called with the activation (kind ``argument``).
  The reference's own pair is run once more with ``y`` as the forward's input to read it.

:func:`pair_fits` finds ``x``, ``y`` and the upstream gradient by running the check's recipe once
on the reference with the exercise's ``*_forward``/``*_backward`` functions recording what they
receive and return (one forward call, one backward call; the derivative taken with respect to a
forward argument of the result's shape); :func:`descent.diagnoses.parameter.rerun_slip` weighs
its fits with the re-runs.

:func:`node_fits` reads the same slips on a class of scalar nodes (the exercise's one function,
``Value``) whose operations record ``(input, local derivative)`` pairs: each unary operation whose
local derivative, sampled on a few numbers, is a polynomial in its output is patched in turn on
the reference's class (put back after) with its derivative slipped, and the recipe re-run.

:func:`log_argument` is a value hypothesis (tier 2 of :mod:`descent.diagnoses.values`): a gradient that
is the expected divided (or multiplied) entry by entry by ``exp(x)`` for an argument ``x`` of
log-probabilities (every entry at most 0): the
derivative with respect to ``exp(x)`` where the one with respect to ``x``, a logarithm, is asked.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch

from .. import registry
from ..calls.impl import PatchedImplementation
from .base import Case, Diagnosis, same
from .values import _deep_equal

_DEGREES = (1, 2, 3)
_FEWEST = 6  # distinct output values a polynomial fit needs before it is evidence


def local_slip(
    x: torch.Tensor, y: torch.Tensor, local_e: torch.Tensor, local_g: torch.Tensor
) -> list[Diagnosis]:
    """Every reading of the student's local derivative ``local_g`` against the expected
    ``local_e`` through the forward's input ``x`` and output ``y`` (float64, one shape)."""
    if same(local_g, local_e) or not bool(torch.isfinite(local_g).all()):
        return []
    fits = _product_rule(x, y, local_g)
    poly = _polynomial(y, local_e)
    if poly is not None:
        fits += _polynomial_slips(x, y, poly, local_g)
    return fits


def _product_rule(x: torch.Tensor, y: torch.Tensor, local_g: torch.Tensor) -> list[Diagnosis]:
    """``local_g == y / x`` wherever ``x`` is not 0 (at least 4 such entries), and ``y / x`` is
    not a constant (a linear forward's derivative is exactly that)."""
    nonzero = x.abs() > 1e-12
    if int(nonzero.sum()) < 4:
        return []
    ratio = y[nonzero] / x[nonzero]
    if same(ratio, ratio[0].expand_as(ratio)) or not same(local_g[nonzero], ratio):
        return []
    return [
        Diagnosis(
            "term",
            "your local derivative (your gradient divided by the upstream gradient) is the "
            "forward's output divided by its input, y / x: for a forward x * g(x) that is g(x) "
            "alone, the product rule's second term x * g'(x) left out",
        )
    ]


def _polynomial(y: torch.Tensor, local: torch.Tensor) -> list[float] | None:
    """The coefficients ``c[0] + c[1]*y + ...`` of the lowest-degree polynomial (1 to 3) in ``y``
    that gives ``local`` everywhere, tiny coefficients set to 0; ``None`` when none does or ``y``
    holds too few distinct values to tell."""
    flat, target = y.flatten(), local.flatten()
    if len(torch.unique(flat)) < _FEWEST or not bool(torch.isfinite(flat).all()):
        return None
    for degree in _DEGREES:
        powers = torch.stack([flat**k for k in range(degree + 1)], dim=1)
        coef = torch.linalg.lstsq(powers, target.unsqueeze(1)).solution.flatten()
        scale = float(coef.abs().max())
        coef = torch.where(coef.abs() < 1e-9 * scale, torch.zeros_like(coef), coef)
        if same(powers @ coef, target) and bool(coef[1:].ne(0).any()):
            return [round(float(c), 12) for c in coef]
    return None


def _evaluate(coef: list[float], at: Any) -> Any:
    """The polynomial ``coef`` at ``at`` (a tensor or a number)."""
    return sum((c * at**k for k, c in enumerate(coef) if c != 0), 0.0 * at)


def _term(k: int) -> str:
    return "the constant term" if k == 0 else "the term in y" + ("" if k == 1 else f"^{k}")


def _at_input(coef: list[float], x: Any, y: Any) -> Any:
    return _evaluate(coef, x)


def _at_output(coef: list[float], x: Any, y: Any) -> Any:
    return _evaluate(coef, y)


# A slip of a derivative written in the output: (kind, what it reads as, local(x, y)).
Slip = tuple[str, str, Callable[[Any, Any], Any]]


def _slips(coef: list[float]) -> list[Slip]:
    """The slips of the polynomial ``coef`` in the output ``y``: evaluated at the input ``x``,
    one of its terms left out (when it has several), one term's power of ``y`` one lower."""
    found: list[Slip] = [
        (
            "argument",
            "evaluated at the input x instead of the output y: the derivative is a formula in "
            "the output y = f(x), so use the output (the cache's y, the node's own value), not "
            "the input",
            functools.partial(_at_input, coef),
        )
    ]
    terms = [k for k, c in enumerate(coef) if c != 0]
    for k in terms if len(terms) > 1 else ():
        left = [0.0 if i == k else c for i, c in enumerate(coef)]
        found.append(
            (
                "term",
                f"with {_term(k)} left out: a term of the formula missing",
                functools.partial(_at_output, left),
            )
        )
    for k in (k for k in terms if k >= 2):
        lowered = list(coef)
        lowered[k - 1], lowered[k] = lowered[k - 1] + coef[k], 0.0
        if any(lowered):
            found.append(
                (
                    "term",
                    f"with {_term(k)} written with y^{k - 1}: a power of y missing (y^{k - 1} "
                    f"where y^{k} belongs)".replace("y^1", "y"),
                    functools.partial(_at_output, lowered),
                )
            )
    return found


def _polynomial_slips(
    x: torch.Tensor, y: torch.Tensor, coef: list[float], local_g: torch.Tensor
) -> list[Diagnosis]:
    """The slips of the polynomial ``coef`` in ``y`` (the expected local derivative) that give
    ``local_g`` (the input for the output only where the two differ)."""
    lead = (
        "your local derivative (your gradient divided by the upstream gradient) is the "
        "expected one, written in the forward's output y, "
    )
    return [
        Diagnosis(kind, lead + text)
        for kind, text, local in _slips(coef)
        if not (kind == "argument" and same(x, y)) and same(local_g, local(x, y))
    ]


# -- the pair, recorded ------------------------------------------------------------------------
def pair_fits(case: Case) -> list[Diagnosis]:
    """:func:`local_slip` on a backward check of a forward/backward pair: the recipe run once on
    ``reference`` with the pair recording its calls; ``[]`` for anything else (several calls, a
    forward whose output is not elementwise, results that are not tensors)."""
    recipe, got, expected = case.recipe, case.got, case.expected
    reference, exercise = case.reference, case.exercise
    if exercise not in registry.EXERCISES or not isinstance(got, torch.Tensor):
        return []
    module, functions = registry.get(exercise).module, registry.get(exercise).functions
    forward = [f for f in functions if f.endswith("_forward")]
    backward = [f for f in functions if f.endswith("_backward")]
    if len(forward) != 1 or len(backward) != 1 or not isinstance(expected, torch.Tensor):
        return []
    calls: dict[str, list[tuple[tuple, dict, Any]]] = {forward[0]: [], backward[0]: []}
    try:
        fns = {name: getattr(reference.module(module), name) for name in calls}
        recipe(
            PatchedImplementation(
                reference,
                "recording",
                {(module, n): _recorded(f, calls[n]) for n, f in fns.items()},
            )
        )
    except Exception:  # noqa: BLE001 - a recipe the reference cannot run here names nothing
        return []
    if any(len(c) != 1 for c in calls.values()):
        return []
    (f_args, f_kwargs, f_result), (b_args, _, _) = calls[forward[0]][0], calls[backward[0]][0]
    e, g = _wide(expected), _wide(got)
    y = _wide(f_result[0]) if isinstance(f_result, (tuple, list)) and f_result else None
    xs = [_wide(a) for a in f_args if isinstance(a, torch.Tensor) and a.shape == e.shape]
    dout = _wide(b_args[0]) if b_args and isinstance(b_args[0], torch.Tensor) else None
    if y is None or len(xs) != 1 or dout is None or not e.shape == g.shape == y.shape:
        return []
    try:
        dout = dout.expand(e.shape)
    except RuntimeError:
        return []
    if bool((dout == 0).any()) or not bool(torch.isfinite(e).all()):
        return []
    fits = local_slip(xs[0], y, e / dout, g / dout)
    at_y = _local_at(fns[forward[0]], fns[backward[0]], (f_args, f_kwargs), b_args, f_result[0])
    if not fits and at_y is not None and not same(xs[0], y) and same(g / dout, at_y):
        fits.append(Diagnosis("argument", AT_OUTPUT))
    return fits


AT_OUTPUT = (
    "your local derivative (your gradient divided by the upstream gradient) is the expected "
    "one evaluated at the forward's output y = f(x) instead of at its input x: a derivative "
    "written in the input, handed the output (the cache's y, the activation) where the input "
    "belongs"
)


def _local_at(forward: Callable, backward: Callable, called: tuple, b_args: tuple, y: Any):
    """The reference's local derivative at ``y`` in place of the forward's input (the one
    tensor argument of ``y``'s shape), as float64; ``None`` where the pair does not run so
    (a forward that returns no cache, a backward with more arguments than the upstream
    gradient and the cache). ``called``: the forward's recorded arguments and keywords."""
    f_args, f_kwargs = called
    if not isinstance(y, torch.Tensor) or len(b_args) != 2:
        return None
    args = [y.detach().clone() if _shaped(a, y) else a for a in f_args]
    if sum(_shaped(a, y) for a in f_args) != 1:
        return None
    try:
        out = forward(*args, **f_kwargs)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            return None
        local = backward(torch.ones_like(y), out[1])
    except Exception:  # noqa: BLE001 - an input the reference refuses (outside its domain)
        return None
    return _wide(local) if isinstance(local, torch.Tensor) and local.shape == y.shape else None


def _shaped(a: Any, like: torch.Tensor) -> bool:
    return isinstance(a, torch.Tensor) and a.shape == like.shape


def _recorded(fn: Callable, into: list) -> Callable:
    @functools.wraps(fn)
    def recording(*args, **kwargs):
        result = fn(*args, **kwargs)
        into.append((args, kwargs, result))
        return result

    return recording


def _wide(t: Any) -> torch.Tensor:
    return t.detach().to("cpu", torch.float64) if isinstance(t, torch.Tensor) else t


# -- a value hypothesis --------------------------------------------------------------------------
def log_argument(e: torch.Tensor, g: torch.Tensor, inputs: Any) -> Diagnosis | None:
    """``got == expected / exp(x)`` or ``got == expected * exp(x)``, entry by entry, for one
    argument ``x`` of the result's shape whose values are not all equal and at most 0 (the log of
    probabilities): the gradient taken with respect to ``exp(x)`` where ``x`` (a logarithm) is the
    argument, or the reverse."""
    if int((e != 0).sum()) < 2:
        return None
    fits = []
    for name, x in inputs.tensors:
        if x.shape != e.shape or not x.is_floating_point() or not bool(torch.isfinite(x).all()):
            continue
        if bool((x > 0).any()):
            continue  # not the log of a probability: exp(-x) is too common a factor elsewhere
            # (sigmoid(-x) is sigmoid(x) / exp(x))
        if same(x, x.flatten()[0].expand_as(x)):
            continue  # a constant argument: the factor hypothesis covers it
        q = torch.exp(x)
        if same(g, e / q):
            fits.append(
                Diagnosis(
                    "factor",
                    f"your result is the expected divided by exp(`{name}`), entry by entry: a "
                    f"derivative with respect to exp(`{name}`) where the one with respect to "
                    f"`{name}` itself, a logarithm, is asked (d/d log q = q * d/dq: the chain "
                    "rule through the log left out)",
                )
            )
        elif same(g, e * q):
            fits.append(
                Diagnosis(
                    "factor",
                    f"your result is the expected times exp(`{name}`), entry by entry: a "
                    f"derivative with respect to `{name}`, a logarithm, where the one with "
                    f"respect to exp(`{name}`) is asked (a chain rule through a log applied "
                    "where none belongs)",
                )
            )
    return fits[0] if len(fits) == 1 else None


# -- a node class that records its local derivatives -------------------------------------------
_SAMPLES = (-2.3, -1.7, -1.1, -0.6, -0.2, 0.3, 0.7, 1.2, 1.9, 2.6)


def node_fits(case: Case) -> list[Diagnosis]:
    """For an exercise whose one function is a class of scalar nodes (``Value``): each unary
    operation of the reference's class whose local derivative is a polynomial in its output
    (read from the operation run on a few numbers), re-run with that derivative slipped
    (:func:`_slips`); a slip under whose result ``case.reproduces`` holds (the student's
    result, to the last digits; by default the student's result within the hypotheses'
    tolerance and not the expected) names the mistake."""
    recipe, reference, exercise = case.recipe, case.reference, case.exercise
    reproduces = case.reproduces or (
        lambda theirs: _deep_equal(theirs, case.got) and not _deep_equal(theirs, case.expected)
    )
    if exercise not in registry.EXERCISES or len(registry.get(exercise).functions) != 1:
        return []
    module, (name,) = registry.get(exercise).module, registry.get(exercise).functions
    try:
        cls = getattr(reference.module(module), name)
    except Exception:  # noqa: BLE001 - a reference without it: nothing to re-run
        return []
    if not isinstance(cls, type):
        return []
    fits = []
    for method, coef in _unary_derivatives(cls):
        for kind, text, local in _slips(coef):
            original = vars(cls)[method]
            setattr(cls, method, _slipped(original, local))
            try:
                # a fresh implementation each time: a recipe may keep results by implementation
                theirs = recipe(PatchedImplementation(reference, "slipped", {}))
            except Exception:  # noqa: BLE001 - the slipped reference fails here: no explanation
                continue
            finally:
                setattr(cls, method, original)
            if reproduces(theirs):
                fits.append(
                    Diagnosis(
                        kind,
                        "your result is what the reference gives with the local derivative of "
                        f"`{method}` (a formula in the operation's output y) {text}",
                    )
                )
    return fits


def _record(node: Any, parent: Any) -> str | None:
    """The name of the attribute of ``node`` holding ``(input, local derivative)`` pairs, the
    first of them ``(parent, number)``."""
    for attr, value in vars(node).items():
        if (
            isinstance(value, (tuple, list))
            and value
            and isinstance(value[0], tuple)
            and len(value[0]) == 2
            and value[0][0] is parent
            and isinstance(value[0][1], float)
        ):
            return attr
    return None


def _unary_derivatives(cls: type) -> list[tuple[str, list[float]]]:
    """``(method, polynomial)`` for each method of ``cls`` taking only the node whose local
    derivative, sampled at :data:`_SAMPLES`, is a polynomial in the method's output."""
    found = []
    for method, fn in vars(cls).items():
        if not callable(fn) or method.startswith("_") or isinstance(fn, (staticmethod, type)):
            continue
        xs, ys, locals_ = [], [], []
        for t in _SAMPLES:
            try:
                leaf = cls(t)
                node = fn(leaf)
            except Exception:  # noqa: BLE001 - outside the operation's domain (log of -1)
                continue
            attr = _record(node, leaf) if isinstance(node, cls) else None
            if attr is None:
                break
            xs.append(t)
            ys.append(float(node.data))
            locals_.append(getattr(node, attr)[0][1])
        else:
            coef = _polynomial(
                torch.tensor(ys, dtype=torch.float64), torch.tensor(locals_, dtype=torch.float64)
            )
            if coef is not None and len(xs) >= _FEWEST:
                found.append((method, coef))
    return found


def _slipped(method: Callable, local: Callable[[Any, Any], Any]) -> Callable:
    """``method`` with the local derivative its node records replaced by ``local(x, y)``."""

    @functools.wraps(method)
    def slipped(self, *args, **kwargs):
        node = method(self, *args, **kwargs)
        attr = _record(node, self)
        if attr is not None:
            pairs = getattr(node, attr)
            setattr(node, attr, type(pairs)((p, local(p.data, node.data)) for p, _ in pairs))
        return node

    return slipped
