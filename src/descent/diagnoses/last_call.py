"""Generic diagnosis that re-runs the reference with the last call of an activation left out.

A network applies its activation after every layer; a classic slip treats the last layer as an
output layer and leaves it linear. :func:`last_call_fits` runs the reference's exercise
functions once with ``torch`` replaced, in a copy of each function's globals, by a proxy that
counts the calls of ``torch.sigmoid``, ``torch.tanh`` and ``torch.relu`` made in the function's
own code (:func:`descent.diagnoses.draw_order.with_torch`); for an activation called at least
twice in a call, it runs them again with the last of those calls handing its input back
unchanged, and names the slip when that gives the student's result.

Only the function's own calls are seen (an activation reached through a helper of the module,
or through ``torch.nn.functional``, is not).
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from typing import Any

import torch

from ..calls.timelimit import cut_short
from .base import Case
from .draw_order import gives, run_with, torch_functions, with_torch
from .values import Diagnosis

_ACTIVATIONS = ("sigmoid", "tanh", "relu")
_BUDGET_S = 2.0  # the re-runs together; a slower recipe (training a network) is not re-run


class _Counting:
    """Calls torch's function and counts the calls, by name."""

    def __init__(self, counts: list[Counter]) -> None:
        counts.append(Counter())
        self.counts = counts[-1]

    def __call__(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self.counts[name] += 1
        return getattr(torch, name)(*args, **kwargs)


class _SkippingLast:
    """Hands its input back at the last call of ``name`` (``last[i]`` calls in the ``i``-th
    call of the function, as recorded); calls torch's function otherwise."""

    def __init__(self, name: str, last: list[int]) -> None:
        self.name, self.calls = name, 0
        self.last = last.pop(0) if last else -1

    def __call__(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == self.name:
            self.calls += 1
            if self.calls == self.last:
                return args[0]
        return getattr(torch, name)(*args, **kwargs)


def last_call_fits(case: Case) -> list[Diagnosis]:
    """The diagnoses of every activation whose last call, left out, makes the recipe run on
    ``reference`` give ``got`` (and no longer ``expected``); ``[]`` for an unknown exercise or
    once the time budget is spent."""
    recipe, got, expected, reference = case.recipe, case.got, case.expected, case.reference
    start = time.perf_counter()
    fits: list[Diagnosis] = []
    for module, function, fn in torch_functions(case):
        counts: list[Counter] = []
        counting = with_torch(fn, functools.partial(_Counting, counts), _ACTIVATIONS)
        if run_with(recipe, reference, module, function, counting) is None:
            continue
        for name in _ACTIVATIONS:
            if not counts or min(c[name] for c in counts) < 2:
                continue
            if time.perf_counter() - start > _BUDGET_S:
                cut_short()
                continue
            skipping = functools.partial(_SkippingLast, name, [c[name] for c in counts])
            theirs = run_with(
                recipe, reference, module, function, with_torch(fn, skipping, _ACTIVATIONS)
            )
            if gives(theirs, got, expected):
                fits.append(
                    Diagnosis(
                        "edge",
                        f"your result is what the reference gives when its last call of "
                        f"torch.{name} is left out (its input passed on unchanged): the "
                        "activation skipped at the last step, as if the last layer were an "
                        "output layer; apply it wherever the docstring does, the last step "
                        "included",
                    )
                )
    return fits
