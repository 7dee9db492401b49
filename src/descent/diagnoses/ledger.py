"""The comparisons of one implementation on one exercise, as verification weighs them.

Every comparison a check makes between an implementation's result and the expected one is a
:class:`Record` (the recipe, what the implementation returned, the expected value, whether it
failed) in the :class:`Ledger` of its implementation and exercise (:func:`ledger`): every
reported failure with its neighbour (the same recipe on a batch one example shorter), and a few
passing comparisons per recipe. A record knows whether its recipe, run again on the reference,
still gives what it gave (:meth:`Record.replays`), whether a correct solution written another way
gives it too (:meth:`Record.hosts`), and what the values alone read on it
(:meth:`Record.reading`). :func:`agree` is the one test that a slip's result is the student's.
:mod:`descent.diagnoses.verified` weighs the claims on these records once every test has run.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from ..calls.impl import SubmissionError
from ..calls.timelimit import CallTimeout
from ..comparison import compare
from .base import Diagnosis, leaves, witnessed
from .values import diagnose, inputs_of

# How closely a slip must give the student's result: looser than the grading tolerance (a slip
# run in float64 is recognised through a float32 result) but far tighter than any two mistakes.
MATCH_RTOL = 1e-5
MATCH_ATOL = 1e-6
EXACT_RTOL = 1e-9  # float64 results: the same formula agrees far closer than this
EXACT_ATOL = 1e-12
_PASSES_KEPT = 4  # passing records kept per recipe (a property test passes dozens of examples)


def agree(theirs: Any, got: Any) -> bool:
    """A slip's result is the student's: to float64's rounding where both are float64 (a
    formula written another way differs in its last digits, another formula in more), else to
    the match tolerance (a float32 result), dtypes aside."""
    if _float64(theirs) and _float64(got):
        return compare(got, theirs, rtol=EXACT_RTOL, atol=EXACT_ATOL, check_dtype=False) is None
    return compare(got, theirs, rtol=MATCH_RTOL, atol=MATCH_ATOL, check_dtype=False) is None


def _agrees(expected: Any, again: Any) -> bool:
    try:
        return expected is not None and agree(expected, again)
    except Exception:  # noqa: BLE001 - results of another structure
        return False


def _same_recipe(again: Any, expected: Any) -> bool:
    """A recipe's result now is the one it gave when checked: far looser than a slip's match
    (the reference may run in float64 now, in float32 then; an oracle's last digits may differ
    from the reference's), far tighter than another input."""
    try:
        return compare(again, expected, rtol=1e-3, atol=1e-4, check_dtype=False) is None
    except Exception:  # noqa: BLE001 - results of another structure: not the same recipe
        return False


def _float64(value: Any) -> bool:
    """Every float in ``value`` is float64 (Python floats are), and there is one at least."""
    found = False
    for v in leaves(value):
        if isinstance(v, torch.Tensor) and v.is_floating_point():
            if v.dtype != torch.float64:
                return False
            found = True
        elif isinstance(v, float):
            found = True
    return found


@dataclass(eq=False)
class Record:
    """One comparison a check made: ``recipe`` run on the implementation gave ``got``, on the
    reference (or an oracle) ``expected``; ``failed`` when the check did not accept it.
    ``restore`` puts back the tensors the recipe closes over; ``agrees(theirs, got)`` says
    whether a slip's result is the student's (a band for a statistic); ``mistakes`` are the
    check's own named mistakes; ``failure`` and ``result`` are set for the reported failure of a
    test (its :class:`~descent.grading.compare.GradingFailure` and its results record)."""

    recipe: Callable | None  # None for a property check that names its mistakes by value alone
    got: Any
    expected: Any
    failed: bool
    restore: Callable[[], None] = lambda: None
    agrees: Callable[[Any, Any], bool] = agree
    mistakes: Sequence[Any] = ()
    failure: Any = None
    result: Any = None
    # a check that compared nothing and saw its fact (a value that had to be refused went
    # through): weighed only through that fact, by the claims it offered
    witness: bool = False
    # the check's own test of a result (its tolerance around ``expected``), where it has one: a
    # slip whose result the check accepts as it accepted the student's contradicts nothing
    accepts: Callable[[Any], bool] | None = None
    # the recipe run so that an argument edited in place gives a marker instead of the result,
    # where the check saw one edited: a repair trial runs it (a plain re-run puts the arguments
    # back and never shows the edit, so an edit that stops it could not be told from none)
    watched: Callable | None = None
    _reading: Any = field(default=None, repr=False)
    _read: bool = field(default=False, repr=False)
    _replays: bool | None = field(default=None, repr=False)
    _hosts: dict = field(default_factory=dict, repr=False)

    def replays(self, reference: Any) -> bool:
        """The recipe run on the reference now still gives the expected value it gave then, so
        that a slip's result on it means something; it may not (a loop's lambda that reads the
        loop variable once the loop is over, a draw from the global generator). Unknown (no
        expected value, a statistic's band, the reference raising) counts as yes."""
        if self._replays is None:
            self._replays = True
            if self.expected is not None and self.agrees is agree and self.recipe is not None:
                again = self.run_on(reference)
                if again is not None:
                    self._replays = _same_recipe(again, self.expected)
        return self._replays

    def hosts(self, host: Any) -> bool:
        """A correct solution written another way gives the expected value here to a slip's
        match tolerance, so that a slip written into it can be weighed on this record (its own
        rounding of a float32 result on large inputs may differ from the reference's by more)."""
        if id(host) not in self._hosts:
            again = self.run_on(host) if self.recipe is not None else None
            self._hosts[id(host)] = again is not None and _agrees(self.expected, again)
        return self._hosts[id(host)]

    def run_on(self, implementation: Any, watched: bool = False) -> Any:
        """The recipe run again on ``implementation``, its tensors put back before and after;
        ``None`` where it cannot run there (it raises, or runs out of time). ``watched``: run
        :attr:`watched` where the record has one."""
        recipe = self.watched if watched and self.watched is not None else self.recipe
        self.restore()
        try:
            return recipe(implementation)  # type: ignore[misc]
        except (Exception, CallTimeout):  # noqa: BLE001 - a recipe it cannot run: unknown
            return None
        finally:
            self.restore()

    def accepted(self, theirs: Any) -> bool:
        """``theirs`` is what this comparison's check takes for the expected result: by the
        check's own test where it has one, else to a slip's match tolerance."""
        try:
            if self.accepts is not None:
                return bool(self.accepts(theirs))
            return self.expected is not None and bool(self.agrees(theirs, self.expected))
        except Exception:  # noqa: BLE001 - a result of another structure: not accepted
            return False

    def items_accepted(self, theirs: Any) -> frozenset[int]:
        """The items of a result of several (``(dx, dW, db)``) that this comparison's check
        accepts one at a time, each put in the expected result in place of its own: which
        outputs an edit made right where the whole is still wrong. Empty for one result."""
        expected = self.expected
        if not isinstance(expected, (tuple, list)) or len(expected) < 2:
            return frozenset()
        if not isinstance(theirs, (tuple, list)) or len(theirs) != len(expected):
            return frozenset()
        shape = type(expected) if type(expected) in (tuple, list) else tuple
        return frozenset(
            i
            for i in range(len(expected))
            if self.accepted(shape([*expected[:i], theirs[i], *expected[i + 1 :]]))
        )

    def reading(self) -> Diagnosis | None:
        """The generic diagnosis of this record: the reported failure's own, or, for a
        neighbour, what the value hypotheses alone read (no re-run)."""
        if self.failure is not None:
            return self.failure.found
        if not self._read and self.recipe is not None:
            self._read = True
            try:
                self._reading = diagnose(self.expected, self.got, inputs_of(self.recipe))
            except Exception:  # noqa: BLE001 - values no hypothesis can read name nothing
                self._reading = None
        return self._reading


class Ledger:
    """The records of one implementation on one exercise, in the order they were made."""

    def __init__(self, exercise: str | None = None) -> None:
        self.exercise = exercise
        self.records: list[Record] = []
        # the comparisons the student's code crashed in: for a repair to make run, kept out of
        # the weighing of claims (a crash is no value a slip could reproduce)
        self.crashed: list[Record] = []
        self._passes: Counter = Counter()

    def passed(self, record: Record) -> None:
        """A comparison the implementation passed (a few per recipe)."""
        key = getattr(record.recipe, "__code__", None)
        if self._passes[key] < _PASSES_KEPT:
            self._passes[key] += 1
            self.records.append(record)

    def reported(self, failure: Any, result: Any) -> None:
        """The failure a test reported (resolved), with its results record; a failure that
        compared nothing (a gradient check, a bare property) keeps what it says now, unless it
        saw a fact of its own and offers the catalogued bug that shows the same (an argument
        that had to be refused went through): that fact verifies it (:func:`_fact_alone`)."""
        record = getattr(failure, "record", None)
        if (
            record is None
            and failure.variant is not None
            and witnessed(failure.found, failure.check)
        ):
            record = Record(None, None, None, True, witness=True)
        if record is None:
            return
        record.failure, record.result = failure, result
        self.records.append(record)
        if failure.neighbour is not None:
            self.records.append(failure.neighbour)


def accepting(expected: Any, **tolerance: Any) -> Callable[[Any], bool]:
    """A check's own test of a result: within ``tolerance`` of ``expected``."""
    return lambda theirs: compare(theirs, expected, **tolerance) is None


def made(recipe: Callable, impl: Any, crash: Callable[[], Record]) -> Any:
    """``recipe(impl)``; where the student's code raises, ``crash()``, the comparison it could
    not make, goes to the test's outcome with the exception (:func:`attach`, :func:`crashed`):
    made only then, so that a check that runs pays nothing for it."""
    try:
        return recipe(impl)
    except Exception as exc:
        attach(exc, crash())
        raise


def attach(exc: Exception, record: Record) -> None:
    """Hand ``record``, the comparison a recipe could not make because the student's code
    raised ``exc``, to the test's outcome with the exception (:func:`crashed`)."""
    if isinstance(exc, (NotImplementedError, SubmissionError)):
        return  # a stub or a module that did not load: nothing an edit could make run
    with contextlib.suppress(AttributeError, TypeError):  # an exception without a __dict__
        exc.descent_record = record  # type: ignore[attr-defined]


def crashed(book: Ledger | None, exc: BaseException, result: Any) -> None:
    """The comparison a test could not make because the student's code raised ``exc``
    (:func:`attach` gave it its record), in ``book`` as failing: a
    repair may make it run (:mod:`.repair`); the test keeps the interpreter's words, and
    verification adds only a repair's line to them."""
    record = getattr(exc, "descent_record", None)
    if book is not None and isinstance(record, Record):
        record.result = result
        book.crashed.append(record)


def ledger(ledgers: dict, implementation: str, exercise: str | None) -> Ledger | None:
    """The ledger of ``implementation`` on ``exercise`` in ``ledgers`` (made on first use)."""
    if exercise is None:
        return None
    key = (implementation, exercise)
    if key not in ledgers:
        ledgers[key] = Ledger(exercise)
    return ledgers[key]
