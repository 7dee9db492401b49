"""A verified repair of the student's own code: the line and the kind of change that makes every
check of an exercise pass.

For each exercise a submission fails (:mod:`descent.diagnoses.verified` asks), the search writes
small edits into the student's own module (:mod:`descent.diagnoses.edits`: into the exercise's
functions, the module's functions and class methods they reach, also through a second name) and
runs every comparison of the exercise (its :class:`~.ledger.Ledger`) again on the edited code,
where the student's code runs (in the worker for a submission, through
:meth:`Implementation.edited`). An edit is kept only when every failing comparison now gives what
its check accepts and every passing one still does: the student's result is explained by that
one change on every check, whatever course the code was written for. Where none does, second
edits are tried on top of the best partial repairs (:data:`PARTIALS`, :data:`PAIR_TRIALS`). The
code is first run unedited the same way: where that passes, no edit is told from no change and
nothing is kept. Verification shows a repair as the cause where nothing else names one, and as
where the named cause is otherwise. Its words name the line and the kind of change, never the code
of the fix.

The search is bounded by counts, so that the same code gets the same feedback on a busy machine
and however a grading shares its files between processes (:data:`TRIALS` edits per exercise,
:data:`MODULE_TRIALS` per module of an implementation: a module's exercises are graded in one
process, whatever the split; wall-time bounds, :data:`SECONDS` and :data:`TOTAL_SECONDS`, only as
a safety net for code slow on every call), and runs only for a submission's failures (a catalogued variant is the kit's own code),
under the time limits of a diagnosis's re-runs (a call that runs out of time there is not
remembered as hung). A correct submission has no failures and never reaches it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from .. import registry
from ..calls import timelimit
from .edit_context import aliases, bases, functions, reached
from .edits import Edit, after, by_kind, unedited
from .ledger import Ledger, Record

TRIALS = 250  # edits one exercise's search tries at most: the same feedback on any machine
MODULE_TRIALS = 1000  # and all the searches of one module of one implementation together
PARTIALS = 2  # partial repairs a second edit is searched on top of, the best first
PAIR_TRIALS = 100  # second edits tried on top of each
MISSES = 3  # failing comparisons an edit fails before it is given up, where it repairs none
SECONDS = 8.0  # a safety bound on one search's wall time, far above what its trials take
TOTAL_SECONDS = 30.0  # and on all of one implementation's (code slow on every call)
_TRIED: dict[tuple, int] = {}  # (id(implementation), module) -> edits its searches tried so far
_SPENT: dict[int, float] = {}  # id(implementation) -> wall seconds its searches took so far


def search(book: Ledger, impl: Any) -> Edit | None:
    """The first edit of ``impl``'s own code (see the module's docstring) with which every
    comparison in ``book`` passes, or ``None``."""
    exercise = registry.EXERCISES.get(book.exercise or "")
    failing = [r for r in book.records if r.failed]
    if exercise is None or impl is None or not failing or not all(map(_weighable, failing)):
        return None
    source = impl.source(exercise.module)
    if not source:
        return None
    defs = functions(source)
    names = tuple(f for f in exercise.functions if f in defs)
    if not names:
        return None
    passing = [r for r in book.records if not r.failed and _weighable(r)]
    tried = (id(impl), exercise.module)
    trials = min(TRIALS, MODULE_TRIALS - _TRIED.get(tried, 0))
    if trials <= 0:
        return None  # the module's searches have tried all they may
    start = time.monotonic()
    deadline = start + min(SECONDS, TOTAL_SECONDS - _SPENT.get(id(impl), 0.0))
    reach = tuple(reached(defs, names, aliases(source), bases(source)))
    trial = _Trial(impl, exercise.module, names, failing, passing, deadline, tried)
    try:
        with timelimit.exploring():
            # the code re-run as the edits run it, unchanged, must fail as graded: where it
            # passes (a failure of an argument edited in place, say), any edit would "repair" it
            if _repairs(impl, exercise.module, names, unedited(source), trial, deadline):
                return None
            found = trial.first(by_kind(source, reach), trials)
            for partial in sorted(trial.partials, key=lambda e: -trial.partials[e])[:PARTIALS]:
                if found is not None:
                    break
                pairs = min(PAIR_TRIALS, MODULE_TRIALS - _TRIED.get(tried, 0))
                found = trial.first(after(source, reach, partial), pairs, partials=False)
        return found
    finally:
        _SPENT[id(impl)] = _SPENT.get(id(impl), 0.0) + time.monotonic() - start


class _Trial:
    """Edits tried on one exercise's comparisons: the first that repairs them all, and the
    partial repairs met on the way (an edit with which some failing comparisons pass, by how
    many), where a second edit may finish the repair."""

    def __init__(self, impl, module, names, failing, passing, deadline, tried):
        self.impl, self.module, self.names, self.tried = impl, module, names, tried
        self.failing, self.passing, self.deadline = failing, passing, deadline
        self.partials: dict[Edit, int] = {}

    def first(self, edits: Iterator[Edit], trials: int, partials: bool = True) -> Edit | None:
        for tried, edit in enumerate(edits):
            if tried >= trials or time.monotonic() > self.deadline:
                return None
            _TRIED[self.tried] = _TRIED.get(self.tried, 0) + 1
            fixed = _repairs(self.impl, self.module, self.names, edit, self, self.deadline)
            if fixed == len(self.failing) + len(self.passing):
                return edit
            if partials and 0 < fixed < len(self.failing):
                self.partials.setdefault(edit, fixed)
        return None


def _weighable(record: Record) -> bool:
    """A comparison a repair can be run on and judged by: a recipe, and an expected value or
    the check's own test of a result."""
    return (
        record.recipe is not None
        and not record.witness
        and (record.accepts is not None or record.expected is not None)
    )


def _repairs(
    impl: Any, module: str, names: tuple[str, ...], edit: Edit, trial: _Trial, deadline: float
) -> int:
    """How many of the trial's failing comparisons pass with ``edit`` in place and, where all
    of them do, how many of its passing ones still pass before one does not (none judged past
    ``deadline``). The failing ones are all run once one passes, so that an edit that repairs
    one mistake of two is seen wherever its comparison stands (a partial repair); an edit that
    repairs none is given up after :data:`MISSES` of them."""
    with impl.edited(module, names, edit.source) as edited:
        if edited is None:
            return 0
        fixed = missed = 0
        for record in trial.failing:
            if time.monotonic() > deadline or not fixed and missed >= MISSES:
                return fixed
            if _passes(record, edited):
                fixed += 1
            else:
                missed += 1
        if missed:
            return fixed
        for record in trial.passing:
            if time.monotonic() > deadline or not _passes(record, edited):
                break
            fixed += 1
        return fixed


def _passes(record: Record, trial: Any) -> bool:
    """``record``'s recipe run on ``trial`` gives what its check accepts."""
    theirs = record.run_on(trial)
    return theirs is not None and record.accepted(theirs)
