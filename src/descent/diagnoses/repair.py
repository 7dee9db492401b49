"""A verified repair of the student's own code: the line and the kind of change that makes every
check of an exercise pass.

For each exercise a submission fails (:mod:`descent.diagnoses.verified` asks), the search writes
small edits into the student's own module (:mod:`descent.diagnoses.edits`: into the exercise's
functions, the module's functions and class methods they reach, also through a second name) and
runs every comparison of the exercise (its :class:`~.ledger.Ledger`) again on the edited code,
where the student's code runs (in the worker for a submission, through
:meth:`Implementation.edited`). An edit is kept only when every failing comparison now gives what
its check accepts and every passing one still does: the student's result is explained by that
one change on every check, whatever course the code was written for. A swap (of names, of a
tuple's items) after which a returned value no longer comes through the module's functions it
came through goes around the mistake and is not tried (:mod:`descent.diagnoses.edit_bypass`);
nor is kept an edit after which, on the first failing comparison run traced
(:meth:`Implementation.traced`), one of the student's functions no longer runs while another
runs more often in its place.
Where none does, second
edits are tried on top of the best partial repairs (:data:`PARTIALS`, :data:`PAIR_TRIALS`); where
that fails too, the best partial repair is the finding (a pair first, where it passes more than
any single edit), once every passing comparison still passes with it (:class:`Repair`,
``partial``). The code is first run unedited the same way: a
failing comparison that passes then is left out (no edit is told from no change there), and
where all do, nothing is kept. Verification shows a repair as the cause where nothing else
names one, and as where the named cause is otherwise. Its words name the line and the kind of change, never the code
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

import ast
import contextlib
import itertools
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

from .. import registry
from ..calls import timelimit
from .base import non_finite
from .edit_bypass import bypasses
from .edit_context import aliases, bases, functions, instances, reached, units
from .edits import Edit, after, by_kind, unedited
from .ledger import Ledger, Record

T = TypeVar("T")

TRIALS = 300  # edits one exercise's search tries at most: the same feedback on any machine
MODULE_TRIALS = 1200  # and all the searches of one module of one implementation together
PARTIALS = 2  # partial repairs a second edit is searched on top of, the best first
PAIR_TRIALS = 100  # second edits tried on top of each
MISSES = 3  # failing comparisons an edit fails before it is given up, where it repairs none
# the kinds of edit that stop a write into an argument: another (a name swapped) that passes
# the check hands the write a different array, which explains nothing (a real-code ReLU whose
# backward zeroes its cache was "repaired" by passing it another variable of the wrapper's)
STOPS_A_WRITE = frozenset({"copy", "in place"})
SWAPS = frozenset({"name", "swap", "order"})  # the kinds of edit that can return another value
# the kinds too many to be evidence where they repair some failing checks only: any variable
# for another (a UIUC wrapper's reference call handed another argument passed two of four)
NOT_PARTS = frozenset({"swap"})
ONE_STEP = "scenario first-step"  # the check of an optimizer's first call (graders/test_optim)
# the kinds of edit of plain arithmetic, which can cancel another slip on one step by chance
ARITHMETIC = frozenset({"term", "factor", "operator", "sign", "constant", "count", "power"})
DROPS_CALLS = frozenset({"stable"})  # the kinds that leave a call of the student's out on purpose
PART_AT_LEAST = 2  # failing comparisons a partial repair passes, to be told: one is no evidence
# failing comparisons of several outputs (a layer's dx, dW, db) on which an edit that passes
# none makes more outputs right and none wrong, for a second edit to be tried on top of it (a
# learner's weight gradient divided by N and bias gradient averaged: neither alone passes any)
GAINS_AT_LEAST = 2
# a safety bound on one search's wall time, far above what its trials take on a quiet machine
# (about 2 to 4 s for a softmax's 300), so that a busy one (a grading beside CI on two cores)
# still runs every trial and gives the same words; and on all of one implementation's
SECONDS = 20.0
TOTAL_SECONDS = 60.0
_TRIED: dict[tuple, int] = {}  # (id(implementation), module) -> edits its searches tried so far
_SPENT: dict[int, float] = {}  # id(implementation) -> wall seconds its searches took so far


@dataclass(frozen=True)
class Repair:
    """A verified edit of the student's code: ``fixed``, the failing comparisons that pass with
    it, all of them (a repair) or some (``partial``: every passing comparison still passes, and
    the others fail for another reason, such as a second deviation no small edit undoes)."""

    edit: Edit
    fixed: tuple[Record, ...]
    partial: bool = False
    searched: tuple[Record, ...] = ()  # the failing comparisons it was run on


def search(book: Ledger, impl: Any) -> Repair | None:
    """The first edit of ``impl``'s own code (see the module's docstring) with which every
    comparison in ``book`` passes; else the partial repair that passes the most failing
    comparisons, :data:`PART_AT_LEAST` at least, and breaks no passing one; else ``None``."""
    exercise = registry.EXERCISES.get(book.exercise or "")
    # a failing check that cannot be re-run (a bare property) is left out: a repair that
    # passes all the others is partial, said only of the checks it was run on
    failing = _spread([r for r in book.records + book.crashed if r.failed and _weighable(r)])
    left_out = any(r.failed and not _weighable(r) for r in book.records)
    if exercise is None or impl is None or not failing:
        return None
    source = impl.source(exercise.module)
    if not source:
        return None
    defs, tops = functions(source), units(source)
    # an exercise whose contract is a class (a scalar autograd's `Value`) is edited in its
    # methods and run as the class the edited text defines
    classes = [f for f in exercise.functions if isinstance(tops.get(f), ast.ClassDef)]
    names = tuple(f for f in exercise.functions if f in defs or f in classes)
    if not names:
        return None
    roots = tuple(d for f in names for d in ([f] if f in defs else _methods(defs, f)))
    passing = [r for r in book.records if not r.failed and _weighable(r)]
    tried = (id(impl), exercise.module)
    trials = min(TRIALS, MODULE_TRIALS - _TRIED.get(tried, 0))
    if trials <= 0:
        return None  # the module's searches have tried all they may
    start = time.monotonic()
    deadline = start + min(SECONDS, TOTAL_SECONDS - _SPENT.get(id(impl), 0.0))
    reach = tuple(reached(defs, roots, aliases(source), bases(source), instances(source)))
    trial = _Trial(impl, exercise.module, names, failing, passing, deadline, tried)
    trial.crashed = {id(r) for r in book.crashed}
    try:
        with timelimit.exploring():
            # the code re-run as the edits run it, unchanged, must fail as graded: a comparison
            # it passes (failed for an argument edited in place, say) any edit would "repair",
            # and is left out, the repair said only of the others
            trial.unchanged = unedited(source)
            kept = _reproduced(impl, exercise.module, names, trial.unchanged, failing, deadline)
            if not kept:
                return None
            left_out |= len(kept) < len(failing)
            failing = trial.failing = kept
            edits = _own(by_kind(source, reach), defs, source)
            if any(r.watched is not None for r in failing):  # an argument edited in place
                edits = (e for e in edits if e.kind in STOPS_A_WRITE)
            found = trial.first(edits, trials)
            best = sorted(trial.partials, key=lambda e: -len(trial.partials[e]))
            gains = sorted(trial.gains, key=lambda e: -trial.gains[e])
            if found is None and (best or gains):
                # taken in turn on top of each: two partials that pass alike (eps put under
                # the root and after it) are both carried as far before time runs out
                firsts = (best or gains)[:PARTIALS]
                pairs = min(PAIR_TRIALS * len(firsts), MODULE_TRIALS - _TRIED.get(tried, 0))
                # the other part-repairs first: two edits that each make some checks or
                # outputs right are likeliest to make all of them right together
                parts = [*best, *gains]
                singles, trial.partials = trial.partials, {}
                found = trial.first(
                    itertools.chain(
                        _alternating(
                            [_own(after(source, reach, e, parts), defs, source) for e in firsts]
                        ),
                        _alternating([_own(after(source, reach, e), defs, source) for e in firsts]),
                    ),
                    pairs,
                )
                best = _better_pairs(trial.partials, singles, trial) + best
                trial.partials.update(singles)
            if found is not None:
                return Repair(found, tuple(failing), left_out, tuple(failing))
            # the best that breaks no passing comparison (one that drops every entry of a
            # dropout passes more of its failing checks, and breaks the rate it had right)
            return next(filter(None, map(trial.part, best[:PARTIALS])), None)
    finally:
        _SPENT[id(impl)] = _SPENT.get(id(impl), 0.0) + time.monotonic() - start


def _better_pairs(pairs: dict[Edit, tuple[int, ...]], singles: dict, trial: _Trial) -> list[Edit]:
    """The pairs of edits that pass more failing comparisons than any single edit did, the
    most first: as a partial repair, a second edit that takes it further (a NUS learner's SGD
    that writes into its parameter and keeps the rate in its velocity) says more than the
    first alone. What the pair passes beyond the best single edit must be evidence
    (:meth:`_Trial._no_evidence`): a held-out Technion RMSprop's eps moved out of its root, with
    the weight decay's term dropped, passed one check more than the eps alone, the first step
    of weight decay, where both forms step by about lr and the decay is never seen."""
    best = max(singles.values(), key=len, default=())
    # a second edit that swaps (statements, names) can drop what a line does instead of
    # putting it right (a clip moved after the log it guards): no evidence where checks still fail
    kept = (
        e
        for e in pairs
        if len(pairs[e]) > len(best)
        and e.kind not in SWAPS
        and not trial._no_evidence(tuple(sorted(set(pairs[e]) - set(best))), e.kind)
    )
    return sorted(kept, key=lambda e: -len(pairs[e]))


def _spread(records: list[Record]) -> list[Record]:
    """``records`` taken in turn from each kind of check (``"shape and type"``, ``"reference
    value"``, a crash), each kind's in its order, the NaN or infinite results in turn with the
    others: the first :data:`MISSES` an edit is tried on are of different kinds, so that a
    mistake the first kind's checks do not see (a micrograd learner's wrong power rule behind
    an int kept as an int; an Adam's missing eps, seen only as NaN on zero gradients) still has
    its edits tried."""
    singular = [r for r in records if non_finite(r.got)]
    finite = [r for r in records if not non_finite(r.got)]
    return _turns([_turns(_by_check(finite)), _turns(_by_check(singular))])


def _by_check(records: list[Record]) -> list[list[Record]]:
    kinds: dict[object, list[Record]] = {}
    for record in records:
        kinds.setdefault(getattr(record.failure, "check", None), []).append(record)
    return list(kinds.values())


def _turns(lists: list[list[Record]]) -> list[Record]:
    """The items of ``lists`` taken one from each in turn."""
    return list(_alternating([iter(items) for items in lists]))


def _alternating(iterators: list[Iterator[T]]) -> Iterator[T]:
    """The items of ``iterators`` (never ``None``) taken one from each in turn, each to its
    end."""
    live = list(iterators)
    while live:
        for it in list(live):
            item = next(it, None)
            if item is None:
                live.remove(it)
            else:
                yield item


def _methods(defs: dict, cls: str) -> list[str]:
    """The methods of the class ``cls`` as :func:`.edit_context.functions` names them, in the
    order the class defines them."""
    return [d for d in defs if d.partition(".")[0] == cls and "." in d]


def _own(edits: Iterator[Edit], defs: dict, source: str) -> Iterator[Edit]:
    """``edits`` less the swaps (of names, of items) that pass by no longer returning what the
    module's own functions compute (:func:`.edit_bypass.bypasses`: a wrapper made to return
    another value). A stable form written from the scores drops a call on purpose (the
    student's `sigmoid` under a log): only swaps are read so."""
    own = set(units(source)) | {a for a in aliases(source) if "." not in a}  # `_src_f = f`
    return (e for e in edits if e.kind not in SWAPS or not bypasses(defs[e.function], e.tree, own))


def told(found: Repair | None, records: list[Record]) -> None:
    """The line of ``found`` added to the message of each crashed comparison it makes run (a
    crash keeps the interpreter's words: this says where the change that makes it run is)."""
    if found is None:
        return
    where = f"in your code, {found.edit.text}"
    for record in records:
        if record.result is not None and any(r is record for r in found.fixed):
            text = record.result.message or ""
            if "\nlikely mistake: " in text:
                record.result.message = f"{text.rstrip('.')}; {where}."
            else:
                record.result.message = f"{text}\nlikely mistake: {where}."


class _Trial:
    """Edits tried on one exercise's comparisons: the first that repairs them all, and the
    partial repairs met on the way (an edit with which some failing comparisons pass: which),
    where a second edit may finish the repair."""

    def __init__(self, impl, module, names, failing, passing, deadline, tried):
        self.impl, self.module, self.names, self.tried = impl, module, names, tried
        self.failing, self.passing, self.deadline = failing, passing, deadline
        self.partials: dict[Edit, tuple[int, ...]] = {}
        self.gains: dict[Edit, int] = {}  # an edit that passes none: outputs it made right
        self.items: dict[int, frozenset[int]] = {}  # the outputs the student's results had right
        self.before: dict[int, Counter] = {}  # the calls the unedited code made (_runs_own)
        self.crashed: set[int] = set()  # the failing comparisons the student's code raised in
        self.unchanged: Edit | None = None  # the code as every edit writes it, with no change

    def first(self, edits: Iterator[Edit], trials: int, partials: bool = True) -> Edit | None:
        for tried, edit in enumerate(edits):
            if tried >= trials or time.monotonic() > self.deadline:
                return None
            _TRIED[self.tried] = _TRIED.get(self.tried, 0) + 1
            passed, fixed, gained = _repairs(
                self.impl, self.module, self.names, edit, self, self.deadline
            )
            if passed == len(self.failing) + len(self.passing) and self._runs_own(edit):
                return edit
            if not partials or edit.kind in NOT_PARTS:
                continue
            if 0 < len(fixed) < len(self.failing) and not self._refusals(fixed):
                if not self._no_evidence(fixed, edit.kind):
                    self.partials.setdefault(edit, fixed)
            elif not fixed and gained >= GAINS_AT_LEAST:
                self.gains.setdefault(edit, gained)
        return None

    def _runs_own(self, edit: Edit, at: int = 0) -> bool:
        """``edit`` runs, on the failing comparison ``at`` (the first), the module's functions
        the unedited code ran there, as often, and none in their place: an edit that routes
        calls to other code of the module (a name handed on to a branch that calls a
        wrapper's reference) goes around the mistake. A stable form drops the student's
        sigmoid on purpose. The unedited code is counted as the edits write it: a definition
        kept under a second name (`_ref_loss = loss`, then `def loss` again) is defined
        under that name there, and its calls are counted so (a held-out Texas A&M softmax's
        shift by the maximum passed every check and was refused, the wrapper's reference
        seeming to run in the wrapper's place)."""
        if edit.kind in DROPS_CALLS or getattr(self.impl, "traced", None) is None:
            return True
        if at not in self.before:
            self.before[at] = self._ran(self.unchanged, at) or self._ran(None, at) or Counter()
        ran = self._ran(edit, at)
        if ran is None:
            return False
        # one run less often (or not at all), another run more in its place, per call of the
        # exercise's own functions: a wrapper's test edited so that most calls go to a
        # reference it keeps (a recipe that crashed before made fewer calls of every kind)
        before, after = _per_call(self.before[at], self.names), _per_call(ran, self.names)
        fewer = any(after.get(name, 0) < rate for name, rate in before.items())
        return not (fewer and any(rate > before.get(name, 0) for name, rate in after.items()))

    def _ran(self, edit: Edit | None, at: int) -> Counter | None:
        """The calls of the module's functions made on the failing comparison ``at`` by the
        code with ``edit`` (or, with ``None``, as the student's module runs); ``None`` where
        the edited code does not load."""
        record = self.failing[at]
        with contextlib.ExitStack() as stack:
            code = self.impl
            if edit is not None:
                code = stack.enter_context(self.impl.edited(self.module, self.names, edit.source))
                if code is None:
                    return None
            with self.impl.traced() as ran:
                record.run_on(code, watched=True)
        return ran

    def _refusals(self, fixed: tuple[int, ...]) -> bool:
        """The failing comparisons ``fixed`` all expect a refusal (``"raised ValueError"``):
        an edit that makes code crash passes them too, so alone they are no evidence."""
        return all(_refusal(self.failing[i]) for i in fixed)

    def _no_evidence(self, fixed: tuple[int, ...], kind: str) -> bool:
        """The failing comparisons ``fixed`` are all checks of large inputs (or their
        neighbours) whose results were finite, where formulas saturate alike (a held-out tanh
        derivative "repaired" there by `*` for `/`), or, for an edit of the arithmetic, all of
        an optimizer's first step, where one slip can cancel another (a NUS Adam with its betas
        swapped "repaired" there by dropping the `1 -` of its bias corrections; eps moved out
        of the root is evidence there, for an Adam that also lacks its bias corrections): alone
        they are no evidence. A NaN made finite is (an Adam without eps, on zero gradients)."""
        checks = [(self._check(self.failing[i]), self.failing[i].got) for i in fixed]
        large = all(check == "stability" and not non_finite(got) for check, got in checks)
        first = kind in ARITHMETIC and all(check == ONE_STEP for check, _ in checks)
        return large or first

    def _check(self, record: Record) -> str | None:
        """The kind of check that made ``record``, or made the comparison it neighbours."""
        for owner in self.failing:
            if getattr(owner.failure, "neighbour", None) is record:
                return getattr(owner.failure, "check", None)
        return getattr(record.failure, "check", None)

    def part(self, edit: Edit) -> Repair | None:
        """``edit`` as a partial repair, where it passes enough failing comparisons and every
        passing one still passes with it (a trial stops at the first failing one that fails,
        so these were never run)."""
        fixed = self.partials[edit]
        if len(fixed) < PART_AT_LEAST:
            return None
        with self.impl.edited(self.module, self.names, edit.source) as edited:
            if edited is None or not all(_passes(r, edited) for r in self.passing):
                return None
        if not self._runs_own(edit, fixed[0]):
            return None
        return Repair(edit, tuple(self.failing[i] for i in fixed), True, tuple(self.failing))


def _per_call(ran: Counter, names: tuple[str, ...]) -> dict[str, Fraction]:
    """The calls of each function ``ran`` counts (``"file.py:qualified.name"``) per call of
    the exercise's own functions ``names`` (and their methods); the counts where none ran."""
    own = sum(c for k, c in ran.items() if k.rpartition(":")[2].partition(".")[0] in names)
    return {k: Fraction(c, own or 1) for k, c in ran.items()}


def _reproduced(
    impl: Any,
    module: str,
    names: tuple[str, ...],
    edit: Edit,
    failing: list[Record],
    deadline: float,
) -> list[Record]:
    """The comparisons of ``failing`` that still fail with ``edit`` (the code unchanged) in
    place, as a trial runs them; past ``deadline`` the rest are kept unrun (code slow on every
    call is not run once more per failing check)."""
    with impl.edited(module, names, edit.source) as edited:
        if edited is None:
            return []
        return [r for r in failing if time.monotonic() > deadline or not _passes(r, edited)]


def _refusal(record: Record) -> bool:
    return isinstance(record.expected, str) and record.expected.startswith("raised ")


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
) -> tuple[int, tuple[int, ...], int]:
    """How many of the trial's comparisons pass with ``edit`` in place, which of its failing
    ones do (their indices), and, while none does, on how many of those run it makes more of a
    result's outputs right and none wrong, or runs through where the student's code raised (0
    where it makes one wrong: a learner's RMSprop that reads ``self.beta``, set as ``self.bata``,
    and puts eps under the root runs through with the name put right, and is still wrong). The failing ones are
    all run once one passes, so that an edit that repairs one mistake of two is seen wherever
    its comparison stands (a partial repair); an edit that repairs none is given up after
    :data:`MISSES` of them; the passing ones are run, in turn until one fails, only where every
    failing one passes (none is judged past ``deadline``)."""
    with impl.edited(module, names, edit.source) as edited:
        if edited is None:
            return 0, (), 0
        fixed: list[int] = []
        gains: list[int] = []
        # an edit that stops a write is weighed on the checks that saw the write alone: the
        # values may be wrong for a second reason, which a second edit on top may mend
        stops = edit.kind in STOPS_A_WRITE
        for i, record in enumerate(trial.failing):
            missed = not stops and i - len(fixed) >= MISSES
            if time.monotonic() > deadline or not fixed and missed:
                return len(fixed), tuple(fixed), _gained(gains)
            theirs = record.run_on(edited, watched=True)
            if theirs is not None and record.accepted(theirs):
                fixed.append(i)
            elif stops and not fixed and _marked(record):
                gains.append(_gain(record, theirs, trial.items))
            elif not stops and not fixed and min(gains, default=1) > 0:  # (after a 0: none)
                ran = id(record) in trial.crashed and theirs is not None
                gains.append(1 if ran else _gain(record, theirs, trial.items))
        if len(fixed) < len(trial.failing):  # (all run: as few failing as MISSES, or some fixed)
            return len(fixed), tuple(fixed), 0 if fixed else _gained(gains)
        passed = len(fixed)
        for record in trial.passing:
            if time.monotonic() > deadline or not _passes(record, edited):
                break
            passed += 1
        return passed, tuple(fixed), 0


def _gained(gains: list[int]) -> int:
    """The comparisons an edit made more outputs right on, where it made none wrong (else 0)."""
    return sum(gains) if min(gains, default=0) > 0 else 0


def _gain(record: Record, theirs: Any, items: dict[int, frozenset[int]]) -> int:
    """1 where ``theirs`` has every output right that the student's result had and more (or
    values where the student's result was a marker of an argument edited), -1 where it lost
    one, else 0 (one result, or no change). ``items``: the outputs the student's results had
    right, by record, filled in as they are read."""
    if _marked(record):  # an edit after which values come back stopped the write
        return int(theirs is not None and not isinstance(theirs, str))
    if id(record) not in items:
        items[id(record)] = record.items_accepted(record.got)
    before = items[id(record)]
    if not before and not isinstance(record.expected, (tuple, list)):
        return 0
    now = record.items_accepted(theirs)
    if not before <= now:
        return -1
    return int(len(now) > len(before))


def _marked(record: Record) -> bool:
    """``record`` is a check that saw the student's code edit an argument in place: run
    watched, that code gives a marker of the write, not values."""
    return record.watched is not None and not isinstance(record.expected, str)


def _passes(record: Record, trial: Any) -> bool:
    """``record``'s recipe run on ``trial`` gives what its check accepts."""
    theirs = record.run_on(trial, watched=True)
    return theirs is not None and record.accepted(theirs)
