"""Generic diagnosis that re-runs the reference with its random draws made in another order.

An exercise function that draws several tensors from one generator (an input batch, then one
weight matrix per layer) gets every number from the order of its draws: the same draws made in
another order give other values everywhere. :func:`draw_order_fits` runs the reference's
exercise functions once with ``torch`` replaced, in a copy of each function's globals, by a
proxy that records the draws (``torch.randn``, ``rand``, ``randint``, ``randperm``, ``normal``)
made with a ``generator``; then, for the first draw made last and the last draw made first, it
runs them again with the proxy making every draw in that order from the call's generator at the
first draw and handing each one out where the reference asks for it. A fit names the order.

Only draws made in the function's own code are seen (a helper of the module that draws is not
replayed), and only when every draw names one generator: the global random state is another
mistake (:mod:`descent.diagnoses.check`).

The re-run tools live here and serve :mod:`descent.diagnoses.reuse` and
:mod:`descent.diagnoses.last_call` too: :func:`exercise_functions` (the exercise's functions in
the reference), :func:`with_globals` and :func:`with_torch` (a copy of a function with names of
its globals, or ``torch``'s functions, replaced), :func:`run_with` (the recipe with one function
replaced) and :func:`gives` (a re-run that gives the student's result).
"""

from __future__ import annotations

import functools
import inspect
import time
import types
from collections.abc import Callable, Iterator
from typing import Any

import torch

from .. import registry
from ..calls.impl import Implementation, PatchedImplementation
from ..calls.timelimit import cut_short
from .base import Case
from .values import Diagnosis, _deep_equal

_DRAWS = ("randn", "rand", "randint", "randperm", "normal")
_BUDGET_S = 2.0  # the re-runs together; a slower recipe (training a network) is not re-run


class _Torch:
    """``torch`` for one run of a function: the functions in ``names`` (the draws) go through
    ``intercept(name, *args, **kwargs)``, everything else is torch's own."""

    def __init__(self, intercept: Callable[..., Any], names: tuple[str, ...]):
        self._intercept, self._names = intercept, names

    def __getattr__(self, name: str) -> Any:
        if name in self._names:
            return functools.partial(self._intercept, name)
        return getattr(torch, name)


class _Recorder:
    """Makes every draw as asked and records ``(name, args, kwargs)`` of those with a generator
    (``ok`` turns False on a draw without one)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []
        self.ok = True

    def __call__(self, name: str, *args, **kwargs) -> torch.Tensor:
        if kwargs.get("generator") is None:
            self.ok = False
        else:
            self.calls.append((name, args, kwargs))
        return getattr(torch, name)(*args, **kwargs)


class _Replayer:
    """At the first draw, makes the recorded draws in ``order`` from that call's generator;
    hands out the ``k``-th of them at the ``k``-th draw."""

    def __init__(self, calls: list[tuple[str, tuple, dict]], order: list[int]):
        self.calls, self.order, self.next = calls, order, 0
        self.made: dict[int, torch.Tensor] = {}

    def __call__(self, name: str, *args, **kwargs) -> torch.Tensor:
        k, self.next = self.next, self.next + 1
        if k >= len(self.calls) or self.calls[k][0] != name or self.calls[k][1] != args:
            raise LookupError("the draws differ from the recorded ones")
        if not self.made:
            generator = kwargs["generator"]
            for i in self.order:
                n, a, kw = self.calls[i]
                self.made[i] = getattr(torch, n)(*a, **{**kw, "generator": generator})
        return self.made[k]


def _new_recorder(recorders: list[_Recorder]) -> _Recorder:
    recorders.append(_Recorder())
    return recorders[-1]


def with_globals(fn: Callable, **names: Any) -> Callable:
    """A copy of ``fn`` whose globals give ``names`` their new values (the module untouched)."""
    clone = types.FunctionType(
        fn.__code__, {**fn.__globals__, **names}, fn.__name__, fn.__defaults__, fn.__closure__
    )
    clone.__kwdefaults__ = fn.__kwdefaults__
    return clone


def with_torch(
    fn: Callable, make: Callable[[], Callable], names: tuple[str, ...] = _DRAWS
) -> Callable:
    """``fn`` run with ``torch`` in its globals replaced by a proxy whose functions ``names``
    go through ``make()`` (one interceptor per call of ``fn``)."""

    @functools.wraps(fn)
    def proxied(*args, **kwargs):
        return with_globals(fn, torch=_Torch(make(), names))(*args, **kwargs)

    return proxied


def _orders(n: int) -> list[tuple[list[int], str]]:
    return [
        (list(range(1, n)) + [0], "the first draw made last, after the others"),
        ([n - 1] + list(range(n - 1)), "the last draw made first, before the others"),
    ]


def draw_order_fits(case: Case) -> list[Diagnosis]:
    """The diagnoses of every other order of the reference's draws (first made last, last made
    first) under which the recipe run on ``reference`` gives ``got`` and no longer ``expected``;
    ``[]`` for an unknown exercise, functions that draw less than twice or from no generator."""
    recipe, got, expected, reference = case.recipe, case.got, case.expected, case.reference
    start = time.perf_counter()
    fits: list[Diagnosis] = []
    for module, function, fn in torch_functions(case):
        recorders: list[_Recorder] = []
        record = with_torch(fn, functools.partial(_new_recorder, recorders))
        if run_with(recipe, reference, module, function, record) is None:
            continue
        if len(recorders) != 1 or not recorders[0].ok or len(recorders[0].calls) < 2:
            continue  # called several times, or drawing from the global state: not replayed
        calls = recorders[0].calls
        for order, how in _orders(len(calls)):
            if time.perf_counter() - start > _BUDGET_S:
                cut_short()
                return fits
            replay = with_torch(fn, functools.partial(_Replayer, calls, order))
            theirs = run_with(recipe, reference, module, function, replay)
            if gives(theirs, got, expected):
                fits.append(
                    Diagnosis(
                        "order",
                        f"your result is what the reference gives with its random draws in "
                        f"another order ({how}): the same draws in another order give other "
                        "numbers everywhere; draw in the order the docstring gives",
                    )
                )
    return fits


def exercise_functions(
    reference: Implementation, exercise: str | None
) -> Iterator[tuple[str, str, Callable]]:
    """``(module, name, function)`` for each plain function of ``exercise`` in ``reference``
    (none for an exercise the kit does not know): what the re-runs change a copy of."""
    if exercise is None or exercise not in registry.EXERCISES:
        return
    module = registry.get(exercise).module
    for name in registry.get(exercise).functions:
        try:
            fn = getattr(reference.module(module), name)
        except Exception:  # noqa: BLE001 - a reference without it: nothing to re-run
            continue
        if inspect.isfunction(fn):
            yield module, name, fn


def torch_functions(case: Case) -> Iterator[tuple[str, str, Callable]]:
    """The :func:`exercise_functions` of ``case`` that use torch: those whose calls of torch
    :func:`with_torch` can replace."""
    for module, name, fn in exercise_functions(case.reference, case.exercise):
        if "torch" in fn.__globals__:
            yield module, name, fn


def gives(theirs: Any, got: Any, expected: Any) -> bool:
    """A re-run's result (``None``: it raised) is the student's and no longer the expected."""
    return theirs is not None and _deep_equal(theirs, got) and not _deep_equal(theirs, expected)


def run_with(recipe: Callable, reference: Implementation, module: str, function: str, fn: Callable):
    """The recipe's result with ``function`` replaced by ``fn``; ``None`` if it raised."""
    try:
        return recipe(PatchedImplementation(reference, "draw order", {(module, function): fn}))
    except Exception:  # noqa: BLE001 - the reference cannot run that way: no explanation
        return None
