"""Generic diagnosis that re-runs the reference with a random helper's first result reused.

An exercise function that draws through a helper of its own module at every pass (a training
loop calling ``minibatches(n, batch_size, generator)`` once per epoch) goes wrong in a classic
way: the helper is called once, before the loop, and its result reused at every pass (one
shuffle for every epoch). :func:`reused_helper_fits` runs the reference again with each such
helper (a function of the module, called by the exercise function, that takes a ``generator``)
answering every call after the first with the first call's result, and names the helper when
that turns the expected result into the student's. The helper is replaced only inside a copy of
the exercise function (its globals), so nothing of the reference module changes; each call of
the exercise function starts with no result kept.

Only draws count: a helper without a ``generator`` parameter computes the same thing every time
it gets the same arguments, and reusing it explains nothing.
"""

from __future__ import annotations

import functools
import inspect
import time
import types
from collections.abc import Callable, Iterator
from typing import Any

from ..calls.timelimit import cut_short
from .base import Case
from .draw_order import exercise_functions, gives, run_with, with_globals
from .values import Diagnosis

_BUDGET_S = 2.0  # the re-runs together; a slower recipe (training a network) is not re-run


def _helpers(fn: Callable) -> Iterator[tuple[str, Callable]]:
    """The functions of ``fn``'s own module that ``fn`` calls by name and that take a
    ``generator`` parameter (they draw)."""
    for name in dict.fromkeys(_names(fn.__code__)):
        other = fn.__globals__.get(name)
        if (
            inspect.isfunction(other)
            and other is not fn
            and other.__module__ == fn.__module__
            and "generator" in inspect.signature(other).parameters
        ):
            yield name, other


def _names(code: types.CodeType) -> Iterator[str]:
    """The global names ``code`` reads, those of its nested code (comprehensions) included."""
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _names(const)


def _reusing(fn: Callable, name: str, helper: Callable) -> Callable:
    """``fn`` with its calls of ``helper`` (by ``name``) answered, after the first call of each
    run, by the first call's result (an iterator's items kept as a list)."""

    @functools.wraps(fn)
    def reusing(*args: Any, **kwargs: Any) -> Any:
        kept: list = []

        def once(*a, **k):
            if not kept:
                result = helper(*a, **k)
                kept.append(list(result) if isinstance(result, Iterator) else result)
            return kept[0]

        return with_globals(fn, **{name: once})(*args, **kwargs)

    return reusing


def reused_helper_fits(case: Case) -> list[Diagnosis]:
    """The diagnoses of every random helper of ``exercise``'s functions whose first result,
    reused at every later call, makes the recipe run on ``reference`` give ``got`` (and no longer
    ``expected``); ``[]`` for an unknown exercise or once the time budget is spent."""
    recipe, got, expected = case.recipe, case.got, case.expected
    reference, exercise = case.reference, case.exercise
    start = time.perf_counter()
    fits: list[Diagnosis] = []
    for module, function, fn in exercise_functions(reference, exercise):
        for name, helper in _helpers(fn):
            if time.perf_counter() - start > _BUDGET_S:
                cut_short()
                return fits
            theirs = run_with(recipe, reference, module, function, _reusing(fn, name, helper))
            if gives(theirs, got, expected):
                fits.append(
                    Diagnosis(
                        "random",
                        f"your result is what the reference gives when `{function}` calls "
                        f"`{name}` once and reuses its result at every later call: a random "
                        "draw made once (before the loop) where each pass needs a fresh one; "
                        f"call `{name}` anew at every pass",
                    )
                )
    return fits
