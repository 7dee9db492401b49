"""The results document of a grading run (:mod:`descent.results`'s schema), built from the
plugin's records once the tests have run: each test's message settled, a composite charged once,
a partial selection left unscored, the points assigned, and the run's environment recorded.
"""

from __future__ import annotations

import platform
import sys
import time
from typing import Any

from .. import registry, results
from ..testwriting import declared as written_tests
from . import plugin_workers
from .run_state import GradingState


def build_results(state: GradingState) -> dict[str, Any]:
    # start-up: this module may not import torch (see its imports)
    import torch

    # start-up: this module may not import torch (see its imports); that one does
    from ..diagnoses.verified import settle

    settle(
        state.ledgers, state.reference, state.impls
    )  # the causes verified on every check; observations
    for t in state.tests:
        if t.nodeid not in state.finished:
            t.message = "interrupted before it finished (Ctrl-C or a crash): not counted as passed"
        elif t.outcome != results.PASSED and not t.message:
            t.message = (
                "the test itself crashed (a kit defect, not your code): run again "
                "with -v for the traceback"
            )
    _charge_once(state)
    _unscorable_selection(state)
    # the write-the-tests exercises (descent.testwriting) are graded like the others
    titles = {ex.id: ex.title for ex in registry.EXERCISES.values()} | written_tests.titles()
    results.assign_points(
        state.tests,
        {ex.id: ex.points for ex in registry.EXERCISES.values()} | written_tests.points(),
        supporting=state.supporting,
        ordinary=state.ordinary,
    )
    graded = state.impls if state.tests else []
    plugin_workers.apply_flags(state.tests, graded)
    impl_names = list(dict.fromkeys(t.implementation for t in state.tests))
    impls = {impl.name: impl for impl in (state.impls if state.tests else [])}
    suite = sorted({t.nodeid.split("/", 1)[0].split("::", 1)[0] for t in state.tests})
    doc = results.build(
        state.tests,
        implementations=[
            {"name": n, "kind": getattr(impls.get(n), "kind", "folder")} for n in impl_names
        ],
        titles=titles,
        suite=", ".join(suite),
        started_at=state.started_at,
        duration_s=time.time() - state.started,
        devices=state.devices,
        supporting=set(state.supporting),
        environment={
            "python": platform.python_version(),
            "torch": torch.__version__,
            "cuda": bool(torch.cuda.is_available()),
            "platform": sys.platform,
            "test_processes": state.test_processes,
            "input_seed": state.draws.recorded(),
            **plugin_workers.environment(graded),
        },
    )
    plugin_workers.decorate(doc, graded)
    doc["interrupted"] = state.interrupted
    return doc


def _unscorable_selection(state: GradingState) -> None:
    """An exercise is scored only on all of its tests: when a selection (``-k relu``, ``-k
    gradcheck``) ran some of them and left the others out, the ones that ran are reported but
    not counted, so a selection never shows a score that the whole exercise would not get."""
    ran: dict[tuple[str, str], int] = {}
    for t in state.tests:
        ran[t.implementation, t.exercise] = ran.get((t.implementation, t.exercise), 0) + 1
    for t in state.tests:
        key = (t.implementation, t.exercise)
        left_out = state.deselected.get(key, 0)
        if left_out:
            t.counted = False
            outcome = "passed" if t.outcome == results.PASSED else t.message or t.outcome
            t.message = (
                f"partial run: not scored (this selection ran {ran[key]} of the "
                f"{ran[key] + left_out} tests of {t.exercise}; select the exercise by its name, "
                f"-k {t.exercise.split('.', 1)[-1]}, to score it): {outcome}"
            )


def _at_fault(t: Any, part: str, lost: set, through: dict, seen: tuple = ()) -> list[str]:
    """The exercises that lost points for ``part``, called by ``t``'s composite: the part itself,
    or the parts of its own its failures were traced to, however deep."""
    if (t.implementation, part) in lost:
        return [part]
    out: list[str] = []
    for inner in sorted(through.get((t.implementation, part), ())):
        if inner not in seen and inner != part:
            out += _at_fault(t, inner, lost, through, (*seen, part))
    return out


def _charge_once(state: GradingState) -> None:
    """One mistake, one charge: a composite's check that failed only through the parts it calls
    (:mod:`descent.grading.composite`) passes when one of those exercises lost points in this
    run, itself or through a part of its own (the capstone through the MLP through the linear
    layer); it stays failed when they kept all their points, or when none of them was graded in
    it (a part of an earlier assignment: what it lost there is no evidence this run can weigh,
    and excusing it there let a composite that spots the kit's parts keep points it never
    earned)."""
    lost: set = set()
    graded: set = set()
    through: dict[tuple, set[str]] = {}
    for t in state.tests:
        key = (t.implementation, t.exercise)
        graded.add(key)
        if t.counted and t.outcome != results.PASSED:
            if t.nodeid in state.charged_to:
                through.setdefault(key, set()).update(state.charged_to[t.nodeid])
            else:
                lost.add(key)
    for t in state.tests:
        parts = state.charged_to.get(t.nodeid, ())
        if not parts:
            continue
        at_fault = list(dict.fromkeys(f for p in parts for f in _at_fault(t, p, lost, through)))
        named = " and ".join(parts)
        if at_fault:
            t.outcome, t.misconception, t.diagnosis = results.PASSED, None, None
            inner = [f for f in at_fault if f not in parts]
            via = f" (through {named})" if inner else ""
            t.message = (
                f"not charged here: it passes with the kit's own {named} in place of yours; "
                f"{' and '.join(at_fault)}{via} lose{'s' if len(at_fault) == 1 else ''} points "
                f"for it ({t.message.splitlines()[0]})"
            )
        elif not any((t.implementation, p) in graded for p in parts):
            t.message += (
                f"\nit passes with the kit's own {named} in place of yours: the mistake is in "
                f"{named}, which is not graded in this run, so this check keeps the charge"
            )
        else:
            t.message += (
                f"\n{' and '.join(parts)} passed all of its own checks: this is the check that "
                f"caught it"
            )
