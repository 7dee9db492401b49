"""A verified repair of the student's own code: the line and the kind of change that makes every
check of an exercise pass.

When no cause is verified for an exercise's failures (:mod:`descent.diagnoses.verified`), the
search writes small edits into the student's own module (:mod:`descent.diagnoses.edits`: into
the exercise's functions and the module's functions they call) and runs every comparison of the
exercise (its :class:`~.ledger.Ledger`) again on the edited code, where the student's code runs
(in the worker for a submission, through :meth:`Implementation.edited`). An edit is kept only
when every failing comparison now gives what its check accepts and every passing one still does:
the student's result is explained by that one change on every check, whatever course the code
was written for. Its words name the line and the kind of change, never the code of the fix.

The search is bounded (:data:`SECONDS` per exercise, :data:`TOTAL_SECONDS` per implementation
graded, :data:`~.edits.MAX_EDITS` edits per function) and runs only for a submission's failures (a catalogued variant is the kit's own code),
under the time limits of a diagnosis's re-runs (a call that runs out of time there is not
remembered as hung). A correct submission has no failures and never reaches it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from .. import registry
from ..calls import timelimit
from .edits import Edit, by_kind, functions, reached
from .ledger import Ledger, Record

SECONDS = 4.0  # wall time one exercise's search may take at most
TOTAL_SECONDS = 15.0  # and all the searches of one implementation's grading together
_SPENT: dict[int, float] = {}  # id(implementation) -> seconds its searches took so far


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
    start = time.monotonic()
    left = min(SECONDS, TOTAL_SECONDS - _SPENT.get(id(impl), 0.0))
    try:
        with timelimit.exploring():
            for edit in _candidates(source, defs, names):
                if time.monotonic() - start > left:
                    return None
                if _repairs(impl, exercise.module, names, edit, failing + passing):
                    return edit
        return None
    finally:
        _SPENT[id(impl)] = _SPENT.get(id(impl), 0.0) + time.monotonic() - start


def _candidates(source: str, defs: dict, names: tuple[str, ...]) -> Iterator[Edit]:
    return by_kind(source, tuple(reached(defs, names)))


def _weighable(record: Record) -> bool:
    """A comparison a repair can be run on and judged by: a recipe, and an expected value or
    the check's own test of a result."""
    return (
        record.recipe is not None
        and not record.witness
        and (record.accepts is not None or record.expected is not None)
    )


def _repairs(impl: Any, module: str, names: tuple[str, ...], edit: Edit, records: list) -> bool:
    with impl.edited(module, names, edit.source) as trial:
        if trial is None:
            return False
        return all(_passes(record, trial) for record in records)


def _passes(record: Record, trial: Any) -> bool:
    """``record``'s recipe run on ``trial`` gives what its check accepts."""
    record.restore()
    try:
        theirs = record.recipe(trial)  # type: ignore[misc]
    except (Exception, timelimit.CallTimeout):  # noqa: BLE001 - the edit breaks it: no repair
        return False
    finally:
        record.restore()
    try:
        if record.accepts is not None:
            return bool(record.accepts(theirs))
        return bool(record.agrees(theirs, record.expected))
    except Exception:  # noqa: BLE001 - a result of another structure: not accepted
        return False
