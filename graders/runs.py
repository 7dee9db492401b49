"""Runs of several calls that a grader reads as a whole, named by what they compute.

Each helper takes a function (or the ``Value`` class) of one implementation, so a recipe
``lambda m: schedule_values(m.schedules.cosine_lr, range(10), 0.1, 10)`` runs the same calls on
the student, the reference and every catalogued bug. In-process the calls are a plain loop; for
a submission graded in a worker the whole run is one request instead of one round trip per
call (:mod:`descent.calls.impl` does the batching). Either way the student's code sees the same calls
in the same order. Edits a call makes to its arguments are not copied back from a worker, so a
grader must not read arguments it has handed over again (``fresh=True`` hands each call its
own copy). A backward fed the cache of its forward is :meth:`battery.PairSpec.backward_of_forward`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from descent.calls.callables import make
from descent.calls.impl import call_chain, call_each, run_graph


def independent_calls(
    fn: Callable,
    arg_lists: Sequence[Sequence[Any]],
    kwargs: Mapping[str, Any] | None = None,
    *,
    pick: int | None = None,
    fresh: bool = False,
    stack: bool = False,
) -> list:
    """``[fn(*args, **kwargs) for args in arg_lists]``: calls that do not depend on each other
    (draws with several seeds, one call per fold), in order; the first exception ends the run.

    ``pick=i`` keeps ``result[i]`` of each call (the output of an ``(output, cache)`` pair; the
    cache then stays in the worker). ``fresh=True`` gives each call its own copy of its
    argument list, so the lists may share tensors (which then cross to a worker once).
    ``stack=True``: results with one nesting of lists and tuples around tensors of one shape
    per position may come back from a worker as views of one tensor per position, which cross
    at once (hundreds of draws of k folds): read them, do not resize them.
    """
    return call_each(fn, arg_lists, kwargs, pick=pick, fresh=fresh, stack=stack)


def schedule_values(schedule: Callable, steps: Iterable[int], *hyperparameters) -> list:
    """``[schedule(t, *hyperparameters) for t in steps]``: a learning-rate schedule over steps."""
    return independent_calls(schedule, [(t, *hyperparameters) for t in steps])


def trajectory(
    fn: Callable,
    advance: Callable,
    steps: int,
    start: Any = None,
    *,
    pick: int | None = None,
    stack: bool = False,
) -> list[tuple[Any, bool]]:
    """``steps`` calls of ``fn``, each fed from the previous result (an optimizer's steps,
    successive epochs drawn from one generator).

    Call k gets ``args, kwargs = advance(k, previous)``, ``previous`` being call k - 1's result
    (``start`` for the first). ``advance`` must be a described callable
    (:func:`descent.calls.callables.make`) so that a worker can rebuild it. Returns ``[(result,
    edited), ...]``, ``edited`` telling whether the call changed its arguments in place. With
    ``pick=i`` every entry but the last holds ``result[i]`` (the last stays whole: it holds the
    final state); a result that is not a tuple or list long enough stays whole. ``stack`` is
    :func:`independent_calls`'s (thousands of epochs of a shuffle).
    """
    return call_chain(fn, advance, steps, start, pick=pick, stack=stack)


def values_with_state(
    fn: Callable,
    heads: Sequence[Sequence[Any]],
    start: Any,
    kwargs: Mapping[str, Any] | None = None,
) -> list:
    """The values of ``value, state = fn(*head, state, **kwargs)`` for each ``head`` in turn, the
    state passed on from call to call (``start`` for the first): a learning-rate scheduler fed
    one metric per epoch. A result that is not a ``(value, state)`` pair fails as that loop
    would. The arguments must be data (numbers, tensors, dicts of them)."""
    steps = trajectory(
        fn, make("fed_state", [list(h) for h in heads], start, dict(kwargs or {})), len(heads)
    )
    values = []
    for result, _ in steps:
        value, _state = result
        values.append(value)
    return values


def differentiate_graph(
    value_cls: Callable, build: Callable, leaves: Sequence[float]
) -> tuple[list, list]:
    """``([n.data ...], [n.grad ...])`` of every node in ``nodes = build(*[value_cls(v) for v in
    leaves])`` after ``nodes[-1].backward()``.

    ``build`` returns a list of nodes and may run twice, so it must have no side effects. A
    worker gets the whole graph in one request when ``build`` is straight-line code (operators,
    and method calls on nodes with node or number arguments); one that branches on a node's
    value still works, at one request per operation.
    """
    return run_graph(value_cls, build, leaves)
