"""How a graded test runs, around pytest's own running of it: a test-wide time limit for what
runs outside a timed call, the record of a first attempt dropped when a time-out earns it a second,
a composite's failed test run once more with the kit's stand-ins for its parts, and the worker of
an implementation stopped after its last test.
"""

from __future__ import annotations

import contextlib

import pytest

from ..calls import timelimit
from ..calls.impl import Implementation, refuse_hard_exit
from . import plugin_workers
from .outcomes import grading_the_reference
from .run_state import RESULT, STATE, GradingState, exercise_of, impl_of


def count_worker_items(session: pytest.Session) -> None:
    """How many items use each implementation that runs in a worker (see
    :func:`retire_when_done`)."""
    state: GradingState = session.config.stash[STATE]
    for item in session.items:
        impl = impl_of(item)
        if exercise_of(item) is not None and getattr(impl, "isolated", False):
            state.left[impl.name] = state.left.get(impl.name, 0) + 1


def retire_when_done(item: pytest.Item) -> None:
    """Once the last item of an implementation graded in a worker has run, its worker is
    stopped at once (its ledgers settled first: :func:`plugin_workers.retire`), not at the end
    of the run: a grading of many folders otherwise kept the idle workers of those already
    graded alive until then. An item counts once it has run here; where two processes share
    the tests (:mod:`descent.grading.split`), neither runs them all, and each stops its workers
    at its end, as before."""
    state: GradingState = item.config.stash[STATE]
    if not state.left:  # no worker in this run, or none left to stop
        return
    impl = impl_of(item)
    left = state.left.get(impl.name)
    if left is not None:
        state.left[impl.name] = left - 1
        if left == 1:
            del state.left[impl.name]
            plugin_workers.retire(impl, state.ledgers, state.reference)


def forget_attempt(item: pytest.Item) -> None:
    """Drop the record of a test's first attempt: its second is the one scored."""
    state: GradingState = item.config.stash[STATE]
    first = item.stash.get(RESULT, None)
    if first is not None:
        state.tests.remove(first)
        state.finished.discard(first.nodeid)


def whole_test(item: pytest.Item, impl: Implementation) -> contextlib.ExitStack:
    """In-process code is timed call by call (descent.calls.timelimit.Guarded); this test-wide
    limit catches what runs outside a timed call, such as the methods of a student's class."""
    guarded = getattr(impl, "guarded", None)
    limits = contextlib.ExitStack()
    if guarded is not None:
        limits.enter_context(
            timelimit.guard(
                None,
                timelimit.limit_for(exercise_of(item), None, guarded.seconds)
                * timelimit.BATCH_FACTOR,
            )
        )
        # os._exit in student code would end the run silently (status 0, no results).
        limits.enter_context(refuse_hard_exit())
    return limits


def charge_elsewhere(item: pytest.Item, impl: Implementation, error: BaseException):
    """One mistake, one charge: the failed test of a composite run once more with the kit's
    stand-ins for the parts it may call (descent.grading.composite); the charge to name, or
    None. The run again gets a quiet check (no ledger, no catalogue) and fresh input builders
    on the same seed, the test's other arguments as they were."""
    # start-up: the plugin loads this module before torch (see its imports); these import it
    from .checker import Checker
    from .composite import again_with_parts

    if grading_the_reference(item) or not isinstance(item, pytest.Function):
        return None
    state: GradingState = item.config.stash[STATE]
    exercise = exercise_of(item)

    def run() -> None:
        args = {name: item.funcargs[name] for name in item._fixtureinfo.argnames}
        if "check" in args:
            args["check"] = Checker(impl, state.reference, exercise)
        if "inputs" in args:
            device = item.funcargs.get("device", "cpu")
            args["inputs"] = state.inputs_for(item, device)
        with whole_test(item, impl):
            item.obj(**args)

    return again_with_parts(impl, exercise, error, run)
