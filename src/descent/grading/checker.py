"""The ``check`` fixture: every assertion a grader or public test makes goes through it.

A check is written as a *recipe*: a function of an implementation, such as
``lambda m: m.losses.mse_forward(pred, target)[0]``. The checker runs the recipe on the
implementation under test and on the reference, compares the two with :func:`compare.compare`,
and, when they differ, runs the same recipe on each catalogued buggy variant of the exercise: if
the student's result equals a variant's, the failure names that misconception and its hint.
Writing checks as recipes is what lets one line do all three jobs, and it works unchanged when the
implementation under test is a proxy to an isolated worker.
"""

from __future__ import annotations

import contextlib
import functools
import types
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass, replace
from typing import Any

import torch

from .. import catalogue
from ..calls import timelimit
from ..calls.impl import Implementation
from ..diagnoses import order
from ..diagnoses import values as diagnoses
from ..diagnoses.base import Case, Diagnosis, Estimate, leaves
from ..diagnoses.ledger import Ledger, Record, accepting, made
from ..diagnoses.neighbour import neighbour
from .compare import GradingFailure, assert_like, compare
from .gradcheck import gradcheck_pair

Recipe = Callable[[Any], Any]

# Tolerances used to decide that a student's output *is* a known variant's output. Looser than the
# grading tolerance (a variant is recognised through float32 rounding) but far tighter than the
# differences between variants.
_MATCH_RTOL = 1e-5
_MATCH_ATOL = 1e-6

# The check that arguments come out of a call as they went in (its failures name an in-place edit).
_UNCHANGED = "arguments unchanged"

# The hints of a gradient check whose backward gives the reference's gradient: the forward is
# at fault, its values say how: the expected ones to float32's precision or better (values
# rounded, or a step), or other values (another function, which its own value checks show).
_FORWARD_AT_FAULT = (
    "your backward gives the expected gradient here: it is your forward whose finite "
    "differences disagree with it, because its output does not change smoothly with its input "
    "at the scale of the differences (values rounded, to float32 say, or passed through a "
    "step); make the forward compute in the input's dtype"
)
_FORWARD_WRONG = (
    "your backward, given your forward's cache, gives the expected gradient here: it is your "
    "forward that computes another function (its values differ from the expected ones, see its "
    "own value checks); fix the forward first, then run this check again"
)


@dataclass(frozen=True)
class Mistake:
    """A classic mistake a public test recognises by the value it gives on that test's own input.

    The student's bundle has no catalogue (it would hold reference code), so a public check
    names the mistakes its docstring warns about itself: ``value`` is what the mistake returns
    for the check's input (worked out by hand or with PyTorch), ``title`` completes "your result
    matches code that ...", and ``hint`` says what to change. ``rtol`` is how close a result
    must be to count as that mistake (loose for a statistic of random samples). ``id`` is the
    catalogued bug's id where there is one, so the kit and the bundle name it alike.
    """

    id: str
    title: str
    hint: str
    value: Any
    rtol: float = _MATCH_RTOL

    def explains(self, got: Any) -> bool:
        return compare(got, self.value, rtol=self.rtol, atol=_MATCH_ATOL, check_dtype=False) is None


class Checker:
    def __init__(
        self,
        impl: Implementation,
        reference: Implementation | None,
        exercise: str | None,
        bugs: Iterable[catalogue.Variant] = (),
        ledger: Ledger | None = None,
    ):
        self.impl = impl
        self.reference = reference
        self.exercise = exercise
        # Every comparison of this implementation on this exercise, for verifying the causes a
        # failure names against the exercise's other checks (descent.diagnoses.verified).
        self.ledger = ledger
        # Smallest explanation first: when a backward-only slip and a mistake in both halves
        # give the same gradient, the student whose forward is right hears about the backward.
        self.bugs = sorted(bugs, key=lambda bug: len(bug.functions) or 1)

    # -- values ---------------------------------------------------------------------------------
    def matches(
        self,
        recipe: Recipe,
        what: str,
        *,
        expected: Any = None,
        rtol: float = 1e-7,
        atol: float = 1e-9,
        check: str = "reference value",
        hint: str | None = None,
        check_dtype: bool = True,
        mistakes: Sequence[Mistake] = (),
        generic: Callable[[Any], diagnoses.Diagnosis | None] | None = None,
        shows: dict[str, Any] | None = None,
    ) -> Any:
        """Run ``recipe`` on the implementation under test and require the expected result.

        ``expected`` defaults to the recipe run on the reference solution; pass a value computed
        with PyTorch to check against an independent oracle. ``hint`` is shown with any failure
        of the check, so it must hold for every way the result can be wrong; advice for one
        particular mistake goes in ``mistakes``, shown only when the result is that mistake's.
        Tensors the recipe closes over (and those its inner functions close over) must come
        out unchanged. ``generic(got)`` names the likely mistake from what the grader knows of
        the call (the size of each batch) when no generic hypothesis does. ``shows`` names
        the curves of the call's own input that a failure's picture draws instead of the result
        (a loss curve a diagnosis reads: :mod:`descent.grading.pictures`, public checks only).
        Returns what the student produced.
        """
        # The tensors the recipe hands over are watched: code that edits an argument in place
        # fails here (public and hidden tests alike), even when its result is right.
        pristine = _Inputs(recipe)
        if expected is None:
            # The reference runs first, on pristine arguments: code that edits its inputs in
            # place must not drag the expected value along with it.
            expected = self._reference(recipe, pristine, rtol=rtol, atol=atol)
        watched = pristine.unchanged()  # those the reference left alone (not the recipe's own)
        log = getattr(self.impl, "modified_log", None)  # edits made in a worker, by object id
        start = len(log) if log is not None else 0
        accepts = accepting(expected, rtol=rtol, atol=atol, check_dtype=check_dtype)
        crash = functools.partial(Record, recipe, None, expected, True, pristine.restore)
        got = made(recipe, self.impl, functools.partial(crash, accepts=accepts))  # see made
        edits = pristine.edited(watched, set(log[start:]) if log is not None else set())
        if edits:
            shapes = ", ".join(pristine.shapes(edits))
            self._modified(
                f"your code (in {what})",
                f"{'a tensor' if len(edits) == 1 else 'tensors'} it was given (shape {shapes})",
                diagnosis=lambda: self.candidates(
                    recipe, got, expected, pristine, what=what, mistakes=mistakes, edits=edits
                ),
                record=_seen_edited(recipe, got, expected, pristine, watched, mistakes),
            )
        found = compare(got, expected, rtol=rtol, atol=atol, check_dtype=check_dtype)
        record = Record(
            recipe,
            got,
            expected,
            found is not None,
            pristine.restore,
            mistakes=mistakes,
            accepts=accepts,
        )
        if found is None:
            if self.ledger is not None:
                self.ledger.passed(record)
            return got
        self.fail(
            found.describe(what),
            check=check,
            hint=found.hint_over(hint, check),
            diagnosis=lambda: self.candidates(
                recipe, got, expected, pristine, what=what, mistakes=mistakes
            ),
            generic=lambda: (
                self.diagnose_generic(recipe, got, expected, pristine) or _read(generic, got)
            ),
            record=record,
            neighbour=lambda: self._neighbour(recipe, rtol, atol, check_dtype),
            picture=("curves", shows) if shows else ("line", got, expected, found, rtol, atol),
        )

    def diagnose_generic(
        self, recipe: Recipe, got: Any, expected: Any, pristine: _Inputs
    ) -> diagnoses.Diagnosis | None:
        """The generic diagnosis of ``got`` against ``expected``, given the recipe's inputs as they
        were before any implementation ran: the stages of :data:`descent.diagnoses.order.STAGES`
        in order, each run when those before it named nothing (the values read; the reference
        re-run with something changed; the student's code with a small argument halved; the
        reference with a number moved; the student's code on its float32 inputs widened to
        float64), the recipe's inputs put back after each."""
        pristine.restore()
        with timelimit.exploring():
            return self._diagnosed(recipe, got, expected, pristine)

    def _diagnosed(
        self, recipe: Recipe, got: Any, expected: Any, pristine: _Inputs
    ) -> diagnoses.Diagnosis | None:
        case = Case(
            recipe, got, expected, self.reference, self.exercise, self.impl, pristine=pristine
        )
        found = None
        try:
            for step in order.STAGES:  # each stage runs when those before it named nothing
                if step.runs_after(found) and (self.reference is not None or not step.reference):
                    found = order.followed(found, order.function(step.function)(case))
                    pristine.restore()
            return found
        except (Exception, timelimit.CallTimeout):  # noqa: BLE001 - the stage read nothing
            return found  # (a re-run out of time too): what the stages before it named stands

    def like(self, got: Any, template: Any, what: str) -> None:
        """Exact shapes, dtypes and devices of raw results, before any autograd wrapping."""
        assert_like(got, template, what=what)

    def that(
        self,
        condition: bool,
        what: str,
        *,
        check: str = "property",
        hint: str | None = None,
        recipe: Recipe | None = None,
        got: Any = None,
        mistakes: Sequence[Mistake] = (),
        generic: Callable[[], diagnoses.Diagnosis | None] | None = None,
        sample: tuple[Any, Any, str] | None = None,
        accepts: Callable[[Any], bool] | None = None,
    ) -> None:
        """A property that must hold; with ``recipe`` and ``got`` a failure is also diagnosed
        (against ``mistakes`` first, which need ``got`` only). ``generic`` names the likely
        mistake from what the check measured (``descent.diagnoses.stat``: draws reused, shared, of
        another dtype), without the catalogue. ``sample`` (a statistics check: the student's
        draws, draws of the distribution the message names, and its name) makes a failure's
        picture (:mod:`descent.grading.pictures`). ``accepts`` (with ``recipe``) is the
        property as a test of a result of the recipe: the comparison is then kept, passed or
        failed, for a repair of the student's code to be run on and judged by."""
        record = None
        if recipe is not None or mistakes:
            record = Record(recipe, got, None, not condition, mistakes=mistakes, accepts=accepts)
        if condition:  # (kept, a repair that breaks it cannot pass for one: see repairs.md)
            if record is not None and accepts is not None and self.ledger is not None:
                self.ledger.passed(record)
            return
        self.fail(
            what,
            check=check,
            hint=hint,
            diagnosis=record
            and (lambda: self.candidates(recipe, got, what=what, mistakes=mistakes)),
            generic=generic,
            record=record,
            picture=("histogram", *sample) if sample is not None else None,
        )

    def estimate(
        self,
        got: float,
        expected: float,
        what: str,
        *,
        error: float,
        sigmas: float,
        named: dict[str, float] | None = None,
        estimated: str = "your estimate",
        constants: bool = True,
        check: str = "statistics",
        hint: str | None = None,
        recipe: Recipe | None = None,
        mistakes: Sequence[Mistake] = (),
        sample: tuple[Any, Any, str] | None = None,
    ) -> None:
        """Require an estimate measured on random draws (a spread, a rate) within ``sigmas``
        standard errors ``error`` of its ``expected`` value. A failure is named from the ratio
        of the two (:data:`descent.diagnoses.order.ESTIMATES`) with the quantities in ``named`` (``gain``,
        ``fan_in``, ``p``: what the call's result depends on); ``recipe`` (the estimate of an
        implementation) lets the catalogue name it too; ``estimated`` names the estimate in the
        diagnosis ("the std of your values"); ``constants=False`` for an estimate that no constant
        such as sqrt(3) can be off by (a rate, a scale). ``sample`` is as :meth:`that`'s."""
        band = sigmas * error
        record = (
            Record(
                recipe,
                got,
                expected,
                abs(got - expected) > band,
                agrees=lambda theirs, mine: _within(theirs, mine, band),
                mistakes=mistakes,
            )
            if recipe is not None
            else None
        )
        if abs(got - expected) <= band:
            if record is not None and self.ledger is not None:
                self.ledger.passed(record)
            return
        self.fail(
            what,
            check=check,
            hint=hint,
            diagnosis=lambda: self.candidates(recipe, got, what=what, mistakes=mistakes),
            generic=lambda: self._read_estimate(
                Estimate(got, expected, error, band, named or {}, estimated, constants),
                recipe,
            ),
            record=record,
            picture=("histogram", *sample) if sample is not None else None,
        )

    def _read_estimate(
        self, estimate: Estimate, recipe: Recipe | None
    ) -> diagnoses.Diagnosis | None:
        """The readings of :data:`descent.diagnoses.order.ESTIMATES` in order, the first that
        names ``estimate`` deciding; a re-run gets the check's call when it has one."""
        if recipe is not None and self.reference is not None:
            case = Case(
                recipe, estimate.got, estimate.expected, self.reference, self.exercise, self.impl
            )
            estimate = replace(estimate, case=case)
        for entry in order.ESTIMATES:
            try:
                found = order.function(entry.function)(estimate)
            except Exception:  # noqa: BLE001 - a reading that cannot read these values names nothing
                found = None
            if found is not None:
                return found
        return None

    @contextlib.contextmanager
    def unmodified(self, *tensors: torch.Tensor, who: str = "your function"):
        """Fail if any of ``tensors`` changes inside the block (arguments are never edited)."""
        before = [t.detach().clone() for t in tensors]
        # An implementation in a worker edits copies; it logs which of our objects it edited.
        log = getattr(self.impl, "modified_log", None)
        start = len(log) if log is not None else 0
        yield
        edited = set(log[start:]) if log is not None else set()
        changed = [
            i for i, (t, b) in enumerate(zip(tensors, before)) if id(t) in edited or not _same(t, b)
        ]
        if changed:
            self._modified(who, "its argument " + ", ".join(f"#{i + 1}" for i in changed))

    def _modified(
        self,
        who: str,
        which: str,
        diagnosis: Callable[[], Any] | None = None,
        record: Record | None = None,
    ):
        """The one failure for an argument edited in place (``which`` names the arguments)."""
        self.fail(
            f"{who} modified {which} in place",
            check=_UNCHANGED,
            hint="work on new tensors (x - m, not x -= m); never edit an input",
            diagnosis=diagnosis,
            record=record,
        )

    # -- gradients -------------------------------------------------------------------------------
    def gradcheck(
        self,
        pair: str,
        args: Sequence[Any],
        wrt: Sequence[int],
        *,
        kwargs: dict | None = None,
        split: Callable[[Any], tuple[Any, Any]] | None = None,
        what: str | None = None,
    ) -> None:
        """``torch.autograd.gradcheck`` of the student's ``<pair>_forward``/``<pair>_backward``.

        ``pair`` is ``"module.name"``; ``wrt`` lists the positions of the differentiable
        arguments, which must be float64. The raw gradients are checked for structure, shape,
        dtype and device before autograd sees them (autograd would silently sum-reduce a
        broadcast gradient). Slow mode up to 512 input elements, fast mode above.
        """

        module, name = pair.split(".")
        mod = getattr(self.impl, module)
        try:
            gradcheck_pair(
                getattr(mod, f"{name}_forward"),
                getattr(mod, f"{name}_backward"),
                args,
                wrt,
                kwargs=kwargs or {},
                split=split,
                what=what or f"{name}_backward",
                checker=self,
            )
        except GradingFailure as failure:
            if (
                failure.check == "gradient check"
                and "disagrees with finite differences" in failure.message
                and self._backward_right(module, name, args, kwargs or {}, split)
            ):
                # the backward is right: blaming it (differentiate again) would mislead; the
                # forward's values say whether it rounds (or steps) or computes something else
                rounds, rounded = self._forward_close(module, name, args, kwargs or {}, split)
                raise GradingFailure(
                    failure.message,
                    check=failure.check,
                    hint=_FORWARD_AT_FAULT if rounds else _FORWARD_WRONG,
                    generic=None if rounded is None else (lambda: rounded),
                ) from None
            raise

    def _backward_right(
        self, module: str, name: str, args: Sequence[Any], kwargs: dict, split: Any
    ) -> bool:
        """The student's backward, given its own forward's cache at the check's point, returns
        the reference's gradient there: a gradient check that fails is then the forward's fault
        (its finite differences are not smooth: values rounded, or a step)."""
        if self.reference is None:
            return False
        try:
            with timelimit.exploring():
                mine = _gradient(getattr(self.impl, module), name, args, kwargs, split)
            theirs = _gradient(getattr(self.reference, module), name, args, kwargs, split)
        except (Exception, timelimit.CallTimeout):  # noqa: BLE001 - no reading: the hint stands
            return False
        return compare(mine, theirs, rtol=1e-7, atol=1e-9, check_dtype=False) is None

    def _forward_close(
        self, module: str, name: str, args: Sequence[Any], kwargs: dict, split: Any
    ) -> tuple[bool, Diagnosis | None]:
        """Whether the student's forward gives the reference's output at the check's point to
        float32's precision (a relative 1e-5) or better: what is left is rounding or a step, not
        another function; and when its values are all float32's where the reference's are not
        (:func:`descent.diagnoses.values.float32_precision`), that it computes in float32."""
        try:
            with timelimit.exploring():
                mine = _output(getattr(self.impl, module), name, args, kwargs, split)
            theirs = _output(getattr(self.reference, module), name, args, kwargs, split)
        except (Exception, timelimit.CallTimeout):  # noqa: BLE001 - no reading: say nothing more
            return False, None
        if compare(mine, theirs, rtol=1e-5, atol=1e-8, check_dtype=False) is not None:
            return False, None
        return True, _computed_in_float32(mine, theirs)

    # -- failure ---------------------------------------------------------------------------------
    def diagnose(
        self,
        recipe: Recipe | None,
        got: Any,
        expected: Any = None,
        pristine: _Inputs | None = None,
        what: str = "",
        mistakes: Sequence[Mistake] = (),
        edits: Sequence[int] = (),
    ) -> catalogue.Variant | Mistake | None:
        """The catalogued bug whose output on this recipe equals ``got``, if any. Of several,
        a bug that replaces the function the check names in ``what`` comes first (a wrong
        gradient is the backward's fault before the forward's), then the one that replaces the
        fewest functions, then the first declared.

        A bug whose output also equals ``expected`` cannot explain the mismatch (on this input
        it behaves like a correct implementation), so it is never named; equal values in another
        dtype do not count as equal when ``got`` has that dtype too (a float32 result for
        float64 inputs is explained by the bug that hard-codes float32), nor when the check saw
        the code edit its arguments (``edits``: their positions in ``pristine``) and the bug
        edits the very same ones.

        The check's own ``mistakes`` come first: they are what the public tests name in a
        student's bundle, where there is no catalogue, and the kit must say the same.
        """
        found = self.candidates(recipe, got, expected, pristine, what, mistakes, edits)
        return found[0] if found else None

    def candidates(
        self,
        recipe: Recipe | None,
        got: Any,
        expected: Any = None,
        pristine: _Inputs | None = None,
        what: str = "",
        mistakes: Sequence[Mistake] = (),
        edits: Sequence[int] = (),
    ) -> list[catalogue.Variant | Mistake]:
        """Every catalogued bug (or Mistake) :meth:`diagnose` would name, in its order: where
        several give the student's result on this check, the exercise's other checks may tell
        them apart (descent.diagnoses.verified weighs each), so the first is not the only claim
        (a cross-entropy that takes the log of its softmax also overflows where one that skips
        the maximum does, and only another check says which)."""
        for mistake in mistakes:
            if mistake.explains(got):
                return [mistake]
        if recipe is None or self.reference is None:
            return []
        inputs = pristine or _Inputs(recipe)
        return list(self._matching_bugs(recipe, got, expected, inputs, what, edits))

    def _matching_bugs(self, recipe, got, expected, inputs: _Inputs, what: str, edits):
        named = [b for b in self.bugs if any(fn in what for fn in b.functions)] if what else []
        for bug in named + [b for b in self.bugs if b not in named]:
            inputs.restore()  # a bug that edits its inputs must not change them for the next
            try:
                theirs = recipe(bug.apply(self.reference))
            except Exception:  # noqa: BLE001 - a variant that cannot run this recipe is no match
                continue
            if compare(got, theirs, rtol=_MATCH_RTOL, atol=_MATCH_ATOL, check_dtype=False):
                continue
            if edits and inputs.edited(range(len(inputs.saved))) == list(edits):
                yield bug  # right values, and the arguments the check saw edited edited alike
                continue
            if (
                expected is not None
                and compare(theirs, expected, rtol=_MATCH_RTOL, atol=_MATCH_ATOL, check_dtype=False)
                is None
            ):
                # Its values are right: it explains the failure only through a dtype (float32
                # for float64) that the result under test shares and the expected one lacks.
                if compare(theirs, expected, rtol=_MATCH_RTOL, atol=_MATCH_ATOL) is None or compare(
                    got, theirs, rtol=_MATCH_RTOL, atol=_MATCH_ATOL
                ):
                    continue
            yield bug
        inputs.restore()

    def fail(
        self,
        message: str,
        *,
        check: str,
        hint: str | None = None,
        diagnosis: Callable[[], catalogue.Variant | Mistake | None] | None = None,
        generic: Callable[[], diagnoses.Diagnosis | None] | None = None,
        record: Record | None = None,
        neighbour: Callable[[], Record | None] | None = None,
        picture: tuple | None = None,
    ):
        """Raise the failure; ``diagnosis``, ``generic`` and ``neighbour`` run only if it is
        reported, and what they claim is named once verified against ``record`` and the
        exercise's other comparisons (:mod:`descent.diagnoses.verified`). A check whose kind
        names its mistake (``order.BY_CHECK``: an argument edited, an argument not
        refused) falls back on that reading of its message when ``generic`` finds none."""
        reader = order.BY_CHECK.get(check)
        by_kind = (lambda: order.function(reader.function)(message)) if reader is not None else None
        if generic is not None and by_kind is not None:
            generic = (lambda found: lambda: found() or by_kind())(generic)
        raise GradingFailure(
            f"[{check}] {message}",
            check=check,
            hint=hint,
            diagnosis=diagnosis,
            generic=generic or by_kind,
            record=record,
            neighbour=neighbour,
            picture=picture,
        )

    def _neighbour(self, recipe: Recipe, rtol: float, atol: float, check_dtype: bool):
        """The check's comparison on a neighbouring input (:func:`.neighbour.neighbour`: the
        batch one example shorter), the student's code run under ``timelimit.exploring``;
        ``None`` when there is no such input or either side cannot run it."""
        changed = neighbour(recipe) if self.reference is not None else None
        if changed is None:
            return None
        pristine = _Inputs(changed)
        try:
            with timelimit.exploring():
                got = changed(self.impl)
            pristine.restore()
            expected = changed(self.reference)
        except (Exception, timelimit.CallTimeout):  # noqa: BLE001 - no neighbour to weigh
            return None
        finally:
            pristine.restore()
        failed = compare(got, expected, rtol=rtol, atol=atol, check_dtype=check_dtype) is not None
        return Record(changed, got, expected, failed, pristine.restore)

    def _reference(
        self,
        recipe: Recipe,
        pristine: _Inputs | None = None,
        *,
        rtol: float = 1e-7,
        atol: float = 1e-9,
    ) -> Any:
        """The reference's result of ``recipe``. Where it holds float32 (or narrower) tensors,
        their values come from the reference run once more on the inputs as they were
        (``pristine``) widened to float64, then cast back: the exact value rounded once, so that
        a float32 result is held to its own rounding only, not to the reference's as well. The
        narrow run's result stands when the wide one has another structure or differs from it
        beyond the check's tolerance (the dtype then changes what is computed, such as a clamp
        at the dtype's eps, not only how it rounds)."""
        if self.reference is None:
            raise RuntimeError("this check needs the reference solutions (--reference)")
        expected = recipe(self.reference)
        if pristine is None or not any(_narrow(v) for v in leaves(expected)):
            return expected
        left = _Inputs(recipe)  # as the reference left them, for the student's run
        pristine.restore()
        try:
            if not pristine.widen():
                return expected
            wide = _cast_like(recipe(self.reference), expected)
        except Exception:  # noqa: BLE001 - a reference that cannot run in float64: keep float32
            return expected
        finally:
            left.restore()
        if wide is None or compare(wide, expected, rtol=rtol, atol=atol) is not None:
            return expected
        return wide


EDITED_IN_PLACE = "arguments edited in place"  # what a watched re-run gives for its result


def _seen_edited(
    recipe: Recipe, got: Any, expected: Any, pristine: _Inputs, positions: list[int], mistakes: Any
) -> Record:
    """The record of a check that saw one of the arguments at ``positions`` edited in place,
    its recipe also kept watched (:func:`_watched`) for a repair's trials."""
    watched = _watched(recipe, pristine, positions)
    return Record(recipe, got, expected, True, pristine.restore, mistakes=mistakes, watched=watched)


def _watched(recipe: Recipe, pristine: _Inputs, positions: list[int]) -> Recipe:
    """``recipe`` run so that one of the arguments at ``positions`` edited in place (here, or
    in a worker, by its log) gives :data:`EDITED_IN_PLACE` instead of the result."""

    def run(impl: Any) -> Any:
        log = getattr(impl, "modified_log", None)
        start = len(log) if log is not None else 0
        got = recipe(impl)
        edited = pristine.edited(positions, set(log[start:]) if log is not None else set())
        return EDITED_IN_PLACE if edited else got

    return run


class _Inputs:
    """The tensors a recipe closes over (and those one level inside its lists, tuples and
    dicts), with copies taken now, so they can be put back before each catalogued bug runs."""

    def __init__(self, recipe: Recipe):
        self.saved: list[tuple[torch.Tensor, torch.Tensor]] = []
        self._collect(recipe, depth=2)

    def _collect(self, fn: Any, depth: int) -> None:
        # A recipe often calls a helper of the test (``lambda m: run(m)[0]``) that closes over
        # the arguments: look one function deeper.
        for cell in getattr(fn, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # a cell not filled yet
                continue
            if isinstance(value, types.FunctionType) and depth > 1:
                self._collect(value, depth - 1)
                continue
            items = (
                value
                if isinstance(value, (list, tuple))
                else value.values()
                if isinstance(value, dict)
                else (value,)
            )
            for item in items:
                if (
                    isinstance(item, torch.Tensor)
                    and not item.is_meta
                    and all(item is not saved for saved, _ in self.saved)
                ):
                    self.saved.append((item, item.detach().clone()))

    def unchanged(self) -> list[int]:
        """Positions of the saved tensors that still hold their saved values."""
        return [i for i, (tensor, copy) in enumerate(self.saved) if _same(tensor, copy)]

    def edited(self, positions: Iterable[int], edited_ids: Set[int] = frozenset()) -> list[int]:
        """Those of ``positions`` whose tensors no longer hold their saved values (or that a
        worker reported editing)."""
        return [
            i for i in positions if id(self.saved[i][0]) in edited_ids or not _same(*self.saved[i])
        ]

    def shapes(self, positions: Iterable[int]) -> list[str]:
        """The shapes of the tensors at ``positions``, for a failure message."""
        return [str(tuple(self.saved[i][0].shape)) for i in positions]

    def widen(self) -> bool:
        """Turn every float32 tensor the recipe closes over into float64 (``restore`` undoes
        it); ``False``, changing nothing, when there is none."""
        narrow = [t for t, _ in self.saved if t.dtype == torch.float32]
        for tensor in narrow:
            tensor.data = tensor.data.double()
        return bool(narrow)

    def restore(self) -> None:
        with torch.no_grad():
            for tensor, copy in self.saved:
                if tensor.shape == copy.shape and tensor.dtype == copy.dtype:
                    if not torch.equal(tensor, copy):
                        tensor.copy_(copy)
                else:
                    tensor.data = copy.clone()


def _read(
    generic: Callable[[Any], diagnoses.Diagnosis | None] | None, got: Any
) -> diagnoses.Diagnosis | None:
    """A grader's own generic reader of a failed check's result; ``None`` when there is none or
    it cannot read this result (a student's result may be of any type)."""
    try:
        return generic(got) if generic is not None else None
    except Exception:  # noqa: BLE001 - a reader that cannot read these values names nothing
        return None


def _computed_in_float32(mine: Any, theirs: Any) -> Diagnosis | None:
    """A forward output right to float32's precision whose every value is a float32 where the
    reference's are not: it is computed in float32, and its finite differences step at
    float32's spacing, which a gradient check reads as a wrong gradient."""
    if not (isinstance(mine, torch.Tensor) and isinstance(theirs, torch.Tensor)):
        return None
    if not (mine.dtype == theirs.dtype == torch.float64) or mine.shape != theirs.shape:
        return None
    found = diagnoses.float32_precision(theirs, mine, diagnoses.Inputs())
    if found is None:
        return None
    # witnessed, not guessed: the backward was run and found right, the forward's values read
    return replace(
        found,
        witnessed=True,
        text="your forward's output agrees with the expected only to float32 precision (every "
        "value a float32): it is computed in float32 (a .float(), np.float32 or dtype='f', a "
        "tensor built from a Python float), so its finite differences step at float32's "
        "spacing and the gradient check reads that as a wrong gradient; compute in the input's "
        "dtype",
    )


def _output(module: Any, name: str, args: Sequence[Any], kwargs: dict, split: Any) -> Any:
    """``name``'s forward output of ``module`` at ``args`` (copies)."""
    fresh = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
    result = getattr(module, f"{name}_forward")(*fresh, **kwargs)
    return split(result)[0] if split is not None else result[0]


def _gradient(module: Any, name: str, args: Sequence[Any], kwargs: dict, split: Any) -> Any:
    """``name``'s backward of ``module`` at ``args`` (copies), on its forward's own cache, with
    an upstream gradient from 0.5 to 1.5 (a constant one is sent to 0 by a softmax's backward)."""
    fresh = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
    result = getattr(module, f"{name}_forward")(*fresh, **kwargs)
    out, cache = split(result) if split is not None else (result[0], result[-1])
    ramp = torch.linspace(0.5, 1.5, out.numel(), dtype=out.dtype, device=out.device)
    return getattr(module, f"{name}_backward")(ramp.reshape(out.shape), cache)


def _within(theirs: Any, got: float, band: float) -> bool:
    """A slip's estimate lies within the check's band of the student's."""
    return isinstance(theirs, (int, float)) and abs(float(theirs) - got) <= band


def _same(tensor: torch.Tensor, before: torch.Tensor) -> bool:
    """Same shape, dtype and values, NaN and infinities read as nan_to_num reads them (equal
    values first: the common case, without the two copies)."""
    if tensor.shape != before.shape or tensor.dtype != before.dtype:
        return False
    data = tensor.detach()
    return torch.equal(data, before) or torch.equal(
        torch.nan_to_num(data), torch.nan_to_num(before)
    )


def _narrow(value: Any) -> bool:
    """``value`` is a tensor of float32 or a narrower floating dtype."""
    return (
        isinstance(value, torch.Tensor)
        and value.is_floating_point()
        and torch.finfo(value.dtype).eps > torch.finfo(torch.float64).eps
    )


def _cast_like(wide: Any, narrow: Any) -> Any:
    """``narrow`` with each of its float32 (or narrower) tensors replaced by the tensor at the
    same place in ``wide`` cast to its dtype; ``None`` when the two differ in structure or in
    a shape. Everything else (integers, Python numbers) is ``narrow``'s own."""
    if _narrow(narrow):
        if not isinstance(wide, torch.Tensor) or wide.shape != narrow.shape:
            return None
        return wide.detach().to(narrow.dtype)
    if isinstance(narrow, (tuple, list)):
        if not isinstance(wide, (tuple, list)) or len(wide) != len(narrow):
            return None
        items = [_cast_like(w, n) for w, n in zip(wide, narrow)]
        if any(i is None and n is not None for i, n in zip(items, narrow)):
            return None
        return type(narrow)(items) if type(narrow) in (tuple, list) else None
    if isinstance(narrow, dict):
        if not isinstance(wide, dict) or set(wide) != set(narrow):
            return None
        cast = {key: _cast_like(wide[key], narrow[key]) for key in narrow}
        if any(cast[key] is None and narrow[key] is not None for key in narrow):
            return None
        return cast
    return narrow
