"""Generic diagnoses that re-run the reference with a number of the call moved in a way the
other re-runs do not try (a hair off, negated, halved or doubled, a count one off), and that
read a result too small to name (an epoch and a best epoch) over neighbouring scenarios.

:mod:`descent.diagnoses.parameter` forces a parameter to its default, another option, 0 or 1.
Rules made of comparisons hide other slips, which show only when the reference is re-run with a
parameter of the exercise's functions (every value the recipe passes it) changed:

- **a hair off**: a float parameter moved by a billionth of its size (up or down) gives the
  student's result, and that result is far from the expected one somewhere: the two codes differ
  only where a value sits exactly on a boundary (a metric equal to its bar, a learning rate at
  ``1 / (2a)``): a comparison strict where it must be inclusive, or the reverse (kind
  ``branch``). Every parameter that fits is named in one diagnosis (``a`` or ``lr``: the product
  ``2 a lr`` sits on the boundary whichever moves);
- **negated**: a float parameter with its sign flipped (a bar at ``best + threshold`` where
  ``best - threshold`` belongs), kind ``sign``, unless 0 fits as well (the parameter ignored
  explains it as well);
- **halved or doubled**: a float parameter times 1/2 or 2 (a factor 2 left out of a product such
  as ``2 a lr``), kind ``factor``, every parameter that fits named together;
- **a count one off**: a whole-number parameter (not a dimension) one up or one down, kind
  ``step``.

A result of fewer than four whole numbers or labels (a stop epoch and a best epoch) is too small
for any of these, or for :mod:`descent.diagnoses.parameter`' own changes, to name a mistake on
its own: many changes land on the same pair. :func:`scenario_slip` then reads the check together
with its neighbours, the same call with one input of the recipe changed (a whole-number argument
one up or down, a list argument cut short), running the student's code and the reference on each:
a change is named only when the changed reference gives the student's result in every one of
them, and the student's result differs from the expected one in at least three. The same
neighbours show a result off by one in every whole number it holds, in every scenario (epochs
numbered from 1), kind ``offset``.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..calls.impl import Implementation
from ..calls.timelimit import CallTimeout
from .argument import _INDICES, _discrete, closure
from .base import Case
from .parameter import _exactly, _inert, _marked, _run, _scant, recorded
from .parameter_changes import Calls, with_argument
from .values import Diagnosis, _deep_equal, either

# The moves tried on a result too small alone (a pair of epochs): a scenario and its neighbours
# rarely tell a sign or a factor from another slip of a margin, but a tie or a count one off
# shows alike in all of them.
_SCANT_GROUPS = ("hair", "plus one", "minus one")
HAIR = 1e-9  # how far a "hair off" moves a number, relative to max(1, |value|)
NEIGHBOURS = 10  # at most this many neighbouring scenarios are run
MIN_DIFFERING = 3  # scenarios in which the student's result must differ from the expected


@dataclass(frozen=True)
class _Move:
    """One way every value passed to a parameter is changed: ``group`` gathers the moves that
    name one mistake (whichever parameter moved), ``text`` completes "your result is what the
    reference gives with ..." once ``{names}`` is filled."""

    function: str
    name: str
    group: str
    kind: str
    text: str
    change: Callable[[Any], Any]


_TEXTS = {
    "hair": (
        "branch",
        "{names} moved by a hair (a billionth): your code differs from the reference only "
        "where a value sits exactly on a boundary, so it puts that boundary on the other side: "
        "a comparison strict where it must be inclusive, or inclusive where it must be strict "
        "(< for <=, > for >=)",
    ),
    "negated": (
        "sign",
        "{names} negated: it enters your rule with the wrong sign (a bar placed at best + "
        "margin where best - margin belongs, or the reverse; a term added where it is "
        "subtracted)",
    ),
    "halved": (
        "factor",
        "{names} halved: what it multiplies in your code is half of what it should be (a "
        "factor 2 left out: the derivative of x^2 is 2x)",
    ),
    "doubled": (
        "factor",
        "{names} doubled: what it multiplies in your code is twice what it should be (a factor "
        "2 too many, or a term counted twice)",
    ),
    "plus one": (
        "step",
        "{names} one larger: an off-by-one in how it is counted (a strict comparison where a "
        "non-strict one belongs, or the reverse; a count that starts at 1 instead of 0)",
    ),
    "one": (
        "argument",
        "{names} = 1 whatever the call passes: your code acts as if it were 1 (each item its "
        "own group, segment or block): where it groups or counts, the value passed is not used",
    ),
    "minus one": (
        "step",
        "{names} one smaller: an off-by-one in how it is counted (a strict comparison where a "
        "non-strict one belongs, or the reverse; a count that starts at 1 instead of 0)",
    ),
}


def _moves(function: str, fn: Callable, calls: Calls) -> Iterator[_Move]:
    """The moves worth a re-run for each parameter of ``fn`` that every call passed as a
    number of one type: floats a hair off, negated, halved, doubled; counts one off."""
    for name in inspect.signature(fn).parameters:
        passed = calls.passed.get(name, [])
        if not passed:
            continue
        if all(type(v) is float and math.isfinite(v) for v in passed):
            for group, change in (
                ("hair", lambda v: v + HAIR * max(1.0, abs(v))),
                ("hair", lambda v: v - HAIR * max(1.0, abs(v))),
                ("halved", lambda v: v / 2),
                ("doubled", lambda v: v * 2),
            ):
                yield _move(function, name, group, change)
            if any(v != 0 for v in passed):
                yield _move(function, name, "negated", lambda v: -v)
        elif all(type(v) is int and v >= 1 for v in passed) and not any(
            word in name for word in _INDICES
        ):
            yield _move(function, name, "plus one", lambda v: v + 1)
            yield _move(function, name, "minus one", lambda v: v - 1)
            if any(v > 1 for v in passed):
                yield _move(function, name, "one", lambda v: 1)


def _move(function: str, name: str, group: str, change: Callable[[Any], Any]) -> _Move:
    kind, text = _TEXTS.get(group, ("", ""))
    return _Move(function, name, group, kind, text, change)


def _wrapped(move: _Move) -> Callable[[Callable], Callable]:
    return functools.partial(with_argument, name=move.name, f=move.change)


def _jumps(got: Any, expected: Any) -> bool:
    """Some number of ``got`` is far from the expected (a relative millionth or more), or some
    label differs: a result a hair off the expected everywhere is a rounding, no boundary."""
    if isinstance(got, (list, tuple)) and isinstance(expected, (list, tuple)):
        return len(got) != len(expected) or any(_jumps(g, e) for g, e in zip(got, expected))
    if isinstance(got, dict) and isinstance(expected, dict):
        return set(got) != set(expected) or any(_jumps(got[k], expected[k]) for k in got)
    if type(got) is float and type(expected) is float:
        return not math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-12)
    return not _deep_equal(got, expected)


# -- the re-runs ---------------------------------------------------------------------------------
def _same_result(theirs: Any, got: Any) -> bool:
    return _exactly(_marked(theirs), _marked(got))


def scenario_slip(case: Case) -> Diagnosis | None:
    """The move (or, for a result too small alone, a change of :mod:`parameter_diagnoses`)
    under which the reference gives the student's result; an offset of every whole number over
    neighbouring scenarios; "several explanations fit" when moves of different groups fit;
    ``None`` when nothing does (``case.impl``, the student's code, is run on the neighbouring
    scenarios)."""
    recipe, got, expected = case.recipe, case.got, case.expected
    impl, reference, exercise = case.impl, case.reference, case.exercise
    if _inert(got):
        return None
    setting = recorded(recipe, reference, exercise)
    if setting is None:
        return None
    module, functions, calls = setting
    scant, discrete = _scant(got, expected), _discrete(got) and _discrete(expected)
    neighbours = _Neighbours(recipe, impl, reference, got, expected) if scant else None
    fits: dict[tuple[str, str], list[str]] = {}  # (kind, text with {names}) -> names
    for function, fn in functions.items():
        for name, kind, text, wrap, control in _tries(
            function, fn, calls[function], discrete, scant
        ):

            def rerun(wrap=wrap, function=function, fn=fn):
                return _run(recipe, reference, module, function, wrap(fn))

            theirs = rerun()
            if not _same_result(theirs, got) or _deep_equal(_marked(theirs), _marked(expected)):
                continue
            if text == _TEXTS["hair"][1] and not _jumps(got, expected):
                continue  # a hair off everywhere is a rounding, not a boundary
            if control is not None and _same_result(
                _run(recipe, reference, module, function, control(fn)), got
            ):
                continue  # 0 fits too (the parameter ignored), or the rule saturates
            if neighbours is not None and not neighbours.confirm(rerun):
                continue
            names = fits.setdefault((kind, text), [])
            if name not in names:
                names.append(name)
    hair = ("branch", _TEXTS["hair"][1])
    if hair in fits:  # the smallest move first: off only on ties, it explains what else fits
        fits = {hair: fits[hair]}
    found = [_diagnosis(kind, text, names) for (kind, text), names in fits.items()]
    if neighbours is not None and (found or neighbours.worth_reading()):
        found += [d for d in (neighbours.offset(), neighbours.ran_out()) if d is not None]
    if not found:
        return None
    return found[0] if len(found) == 1 else either(found)


def _tries(function: str, fn: Callable, calls: Calls, discrete: bool, scant: bool):
    """``(parameter, kind, text, wrap, control)`` for each re-run: the moves (a count one off
    only for whole numbers and labels, which the argument re-runs leave alone; for a scant
    result only :data:`_SCANT_GROUPS`), each with the control that must not fit as well."""
    for move in _moves(function, fn, calls):
        if scant and move.group not in _SCANT_GROUPS or move.group in _COUNTS and not discrete:
            continue
        yield move.name, move.kind, move.text, _wrapped(move), _control(move)


_COUNTS = ("plus one", "minus one")


def _control(move: _Move) -> Callable[[Callable], Callable] | None:
    """The move whose fit takes this one's away: 0 for a negation (the parameter ignored fits
    as well), the same factor twice for a halving or a doubling (the rule saturates there, as
    any threshold beyond the data stops every improvement)."""
    if move.group == "negated":
        return _wrapped(_move(move.function, move.name, "", lambda v: 0.0))
    if move.group == "one":  # 2 fits too: the result does not follow the count there
        return _wrapped(_move(move.function, move.name, "", lambda v: 2))
    if move.group in ("halved", "doubled"):
        return _wrapped(_move(move.function, move.name, "", lambda v: move.change(move.change(v))))
    return None


def _diagnosis(kind: str, text: str, names: list[str]) -> Diagnosis:
    if "{names}" not in text:  # a change of parameter_diagnoses, confirmed by the neighbours
        return Diagnosis(
            kind,
            "in this scenario and its neighbours (an input one larger or smaller, a shorter "
            "sequence), your result is what the reference gives " + text,
        )
    shown = " or ".join(f"`{n}`" for n in names)
    return Diagnosis(
        kind, "your result is what the reference gives with " + text.format(names=shown)
    )


class _Neighbours:
    """The check's call with one input of the recipe changed (:func:`_variations`), at most
    :data:`NEIGHBOURS` of them; the student's result and the reference's in each, worked out
    once."""

    def __init__(
        self, recipe: Callable, impl: Implementation, reference: Implementation, got, expected
    ):
        self.recipe, self.impl, self.reference = recipe, impl, reference
        self.got, self.expected_here = got, expected
        self._runs: list[tuple[Any, Any, Any]] | None = None  # (cell, value, student's result)
        self.expected: list[Any] = []

    @property
    def runs(self) -> list[tuple[Any, Any, Any]]:
        """Worked out on first use: no student code runs unless a change fits the check."""
        if self._runs is None:
            self._runs = []
            for cell, value in _variations(self.recipe):
                if len(self._runs) >= NEIGHBOURS:
                    break
                with _swapped(cell, value):
                    try:
                        expected = self.recipe(self.reference)
                    except Exception:  # noqa: BLE001 - an input the reference refuses: none
                        continue
                    hung = False
                    try:
                        theirs = self.recipe(self.impl)
                    except Exception:  # noqa: BLE001 - the student's code fails there
                        theirs = _FAILED
                    except CallTimeout:  # it hangs there: no more of its code runs here
                        theirs, hung = _FAILED, True
                self._runs.append((cell, value, theirs))
                self.expected.append(expected)
                if hung:
                    break
        return self._runs

    def _differing(self, results: list[Any]) -> int:
        return 1 + sum(not _deep_equal(r, e) for r, e in zip(results, self.expected))

    def confirm(self, changed: Callable[[], Any]) -> bool:
        """The changed reference (``changed()``, run on each neighbour) gives the student's
        result in every neighbour, and the student's result is wrong in enough of them."""
        students = [theirs for _, _, theirs in self.runs]
        if any(s is _FAILED for s in students) or self._differing(students) < MIN_DIFFERING:
            return False
        for cell, value, theirs in self.runs:
            with _swapped(cell, value):
                if not _same_result(changed(), theirs):
                    return False
        return True

    def worth_reading(self) -> bool:
        """Every whole number of the check's own result is off by one, or a None of the expected
        is a number, so the neighbours may show a pattern (no student code runs otherwise)."""
        return any(_shifted(self.got, self.expected_here, c) for c in (1, -1)) or any(
            _filled(self.got, self.expected_here, {k: n}) for k, n in _lengths(self.recipe).items()
        )

    def ran_out(self) -> Diagnosis | None:
        """In every scenario the student's result is right but for a None of the expected, which
        it fills with the last index of a list argument (the same list each time), in two
        scenarios or more: a loop's last value returned when what it looks for never happens."""
        students = [theirs for _, _, theirs in self.runs]
        if any(s is _FAILED for s in students) or self._differing(students) < MIN_DIFFERING:
            return None
        for name, n in _lengths(self.recipe).items():
            if not _filled(self.got, self.expected_here, {name: n}):
                continue
            filled = 1
            for (cell, value, theirs), expected in zip(self.runs, self.expected):
                with _swapped(cell, value):
                    length = _lengths(self.recipe).get(name)
                if length is None or not (
                    _deep_equal(theirs, expected) or _filled(theirs, expected, {name: length})
                ):
                    break
                filled += not _deep_equal(theirs, expected)
            else:
                if filled >= 2:
                    return Diagnosis(
                        "structure",
                        f"in this scenario and its neighbours your result is right except where "
                        f"the expected is None, which your code fills with the last index of "
                        f"`{name}`: when what the loop looks for never happens, return None, not "
                        "the last index the loop reached",
                    )
        return None

    def offset(self) -> Diagnosis | None:
        """Every whole number of the student's results is the expected one plus the same
        ``c`` (1 or -1), in every neighbour, with ``None`` where the expected holds ``None``."""
        students = [theirs for _, _, theirs in self.runs]
        if any(s is _FAILED for s in students) or self._differing(students) < MIN_DIFFERING:
            return None
        for c in (1, -1):
            if _shifted(self.got, self.expected_here, c) and all(
                _shifted(s, e, c) for s, e in zip(students, self.expected)
            ):
                return Diagnosis(
                    "offset",
                    f"in this scenario and {len(students)} neighbouring ones (an input one "
                    f"larger or smaller, a shorter sequence), every whole number your code "
                    f"returns is the expected {'plus' if c > 0 else 'minus'} 1: a count or an "
                    "index numbered from 1 where it starts at 0 (or the reverse)",
                )
        return None


_FAILED = object()


def _shifted(got: Any, expected: Any, c: int) -> bool:
    if isinstance(got, (list, tuple)) and isinstance(expected, (list, tuple)):
        return len(got) == len(expected) and all(_shifted(g, e, c) for g, e in zip(got, expected))
    if expected is None or isinstance(expected, bool):
        return got is expected
    return type(expected) is int and type(got) is int and got == expected + c


def _lengths(recipe: Callable) -> dict[str, int]:
    """The length of each list or tuple of numbers the recipe closes over, by name."""
    return {
        name: len(value)
        for name, _, value in closure(recipe)
        if isinstance(value, (list, tuple))
        and value
        and all(type(v) in (int, float) for v in value)
    }


def _filled(got: Any, expected: Any, lengths: dict[str, int]) -> bool:
    """``got`` is ``expected`` but for one or more None of it, each given as ``n - 1`` for the
    one length ``n`` in ``lengths``."""
    if len(lengths) != 1 or not isinstance(got, (list, tuple)):
        return False
    (n,) = lengths.values()
    if not isinstance(expected, (list, tuple)) or len(got) != len(expected):
        return False
    pairs = list(zip(got, expected))
    return (
        any(e is None for _, e in pairs)
        and all(
            g == e if e is not None else type(g) is int and g == n - 1 and n > 1 for g, e in pairs
        )
        and not _deep_equal(got, expected)
    )


def _variations(recipe: Callable) -> Iterator[tuple[Any, Any]]:
    """``(cell, new value)`` for each neighbouring scenario: whole numbers one up and down
    (not below 1), floats doubled and halved, lists and tuples of numbers cut short by one item
    and by half."""
    for name, cell, value in closure(recipe):
        if type(value) is int and value >= 1 and not any(w in name for w in _INDICES):
            for new in (value + 1, value - 1):
                if new >= 1:
                    yield cell, new
        elif type(value) is float and value != 0 and math.isfinite(value):
            yield cell, value * 2
            yield cell, value / 2
        elif (
            isinstance(value, (list, tuple))
            and len(value) >= 2
            and all(type(v) in (int, float) for v in value)
        ):
            for n in sorted({len(value) - 1, len(value) // 2}, reverse=True):
                if n >= 1:
                    yield cell, type(value)(value[:n])


class _swapped:
    """A closure cell holding another value inside the block, put back after."""

    def __init__(self, cell: Any, value: Any):
        self.cell, self.value = cell, value

    def __enter__(self):
        self.original = self.cell.cell_contents
        self.cell.cell_contents = self.value

    def __exit__(self, *exc):
        self.cell.cell_contents = self.original
        return False
