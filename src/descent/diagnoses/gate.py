"""A generic diagnosis of a gradient gated on the wrong region of its input.

A backward that passes the upstream gradient through a gate (ReLU's ``x > 0``, a clamp's
``|x| <= c``) can be right everywhere except on a band of the input: gated on ``out > 1`` where
``x > 0`` belongs, it is wrong exactly where the input lies between 0 and 1. :func:`gated_on_wrong_region` is a
value hypothesis (tier 2 of :mod:`descent.diagnoses.values`): the wrong entries are exactly those where
a tensor argument of the result's shape lies strictly between two of the landmarks -1, 0 and 1
(or between 0 and a number of the call), the others right, and on the wrong entries the result
is 0 or the upstream-sized value the right region gets (the gate open or closed there).
:func:`descent.diagnoses.placement.wrong_branch` reads a half-line (``x < 0``); this one an interval.
"""

from __future__ import annotations

import itertools

import torch

from .base import Diagnosis, patterned, wrong_entries

_LANDMARKS = (-1.0, 0.0, 1.0)


def gated_on_wrong_region(e: torch.Tensor, g: torch.Tensor, inputs) -> Diagnosis | None:
    """The wrong entries are exactly where an argument ``x`` of the result's shape has
    ``a < x < b`` (or ``a <= x <= b``) for two landmarks ``a < b``, at least two on each side,
    and there the result is 0 (a gate closed) while the expected is not."""
    wrong = wrong_entries(e, g)
    if wrong is None or not patterned(wrong):
        return None
    landmarks = sorted(set(_LANDMARKS) | {abs(v) for _, v in inputs.numbers if 0 < abs(v) < 1e3})
    for name, x in inputs.tensors:
        if x.shape != e.shape or not x.is_floating_point():
            continue
        for a, b in itertools.combinations(landmarks, 2):
            for inside, how in (((x > a) & (x < b), "between"), ((x >= a) & (x <= b), "from")):
                if not torch.equal(wrong, inside):
                    continue
                closed = bool((g[wrong] == 0).all())
                span = f"between {a:g} and {b:g}" if how == "between" else f"from {a:g} to {b:g}"
                if not (closed or _passed_through(g, wrong, inputs)):
                    return Diagnosis(  # neither 0 nor an argument handed on: no gate
                        "branch",
                        f"your result is wrong exactly where `{name}` is {span} and right "
                        "elsewhere: your formula differs there alone (a case of a piecewise "
                        "formula, or a factor that is 1 everywhere else, such as min(1, x))",
                    )
                return Diagnosis(
                    "gate",
                    f"your result is {'zero' if closed else 'wrong'} exactly where `{name}` is "
                    f"{span} and right elsewhere: a gradient passed through a gate on the wrong "
                    "region (a test such as out > 1 where x > 0 belongs, or on the output where "
                    "the input decides)",
                )
    return None


def _passed_through(g: torch.Tensor, wrong: torch.Tensor, inputs) -> bool:
    """On the wrong entries the result is an argument of its shape as it was given (the
    upstream gradient let through a gate that should be closed there)."""
    return any(
        t.shape == g.shape and torch.equal(g[wrong], t[wrong].to(g.dtype))
        for _, t in inputs.tensors
    )
