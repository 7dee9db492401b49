"""What every generic diagnosis module shares: :class:`Diagnosis` (a named likely mistake, with
how to re-run it), :data:`FACTS` (the kinds a check witnesses itself), :func:`observed` (a
diagnosis worded without its cause),
:func:`same` (the tolerance under which a hypothesis holds), :func:`wrong_entries` and
:func:`whole` (the readings of a result several modules make) and the walk over a result's nested
lists, tuples and dicts (:func:`leaves`, :func:`map_leaves`). ``diagnoses`` and the modules of
hypotheses beside it (``shape_diagnoses``, ``argument_diagnoses``, ``check_diagnoses``) import
it; it imports none of them, so they form no loop."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

# The small constants learners floor a probability at before its log (clamp(p, min=1e-12),
# np.maximum(p, 1e-10), p + 1e-13): read by the values and written into the reference's code.
# Every power of ten from 1e-4 to 1e-20: which one a learner picks is a matter of taste (1e-13,
# 1e-16 as often as 1e-12), and a floor a fixed short list lacks went unnamed.
FLOORS = tuple(float(f"1e-{k}") for k in range(4, 21))
# words that diagnoses write and :mod:`.anchored` and :mod:`.located` read back, kept in one place
UNDER_ROOT = "added under the square root instead of after it"  # a stability term's place
LOG_PROBABILITIES = "compute log-probabilities directly"  # the fix of a log of a probability
BIAS_CORRECTION = "a bias correction that divides by"  # a correction read with its power left out
OWN_MAXIMUM = "needs its own (x.max(dim="  # a shift by the whole input's maximum, read off NaN
STD_AS_BOUND = "standard deviation used as a uniform's bound"  # a spread read off drawn values

# Two results are "the same" for a hypothesis when they agree this closely: tighter than any
# difference between two plausible formulas, looser than float64 rounding through a few ops.
_RTOL = 1e-6
_ATOL = 1e-9


@dataclass(frozen=True)
class Diagnosis:
    """A named likely mistake: ``kind`` (one of :data:`KINDS`, or ``"ambiguous"``) and the
    sentence shown to the student after "likely mistake:".

    ``rerun`` is the mistake as code, for a diagnosis found by re-running the reference with a
    slip: ``rerun(recipe, reference)`` is any check's recipe run on the reference with that same
    slip (it raises :class:`NotApplicable` for a recipe the slip does not concern).
    :mod:`descent.diagnoses.verified` runs it on every check of the exercise before the cause is
    shown. A diagnosis without one is a reading of the values: confirmed when the same reading
    holds on every failing check, else shown as what it observes (:func:`observed`)."""

    kind: str
    text: str
    rerun: Callable[[Callable, Any], Any] | None = field(default=None, compare=False, repr=False)
    # the value hypothesis that read it (``factor``, ``layout``): the same reading on another
    # check comes from the same hypothesis, whatever sizes and names its text gives
    origin: str = field(default="", compare=False, repr=False)
    # what the check witnessed itself rather than a guess (None: decided by the kind, FACTS)
    witnessed: bool | None = field(default=None, compare=False, repr=False)
    # "several explanations fit": each one, weighed on its own against the exercise's other checks
    fits: tuple[Diagnosis, ...] = field(default=(), compare=False, repr=False)
    # what the student's code did on moved inputs, for a result whose values tell little (NaN is
    # NaN however it came): ``probe.agrees(run)`` says whether another code, run by ``run``,
    # does the same there (``descent.diagnoses.input``); a slip must, to reproduce the check
    probe: Any = field(default=None, compare=False, repr=False)
    # the reading of where the values are wrong (``order.PLACES``) that this re-run's fit came
    # after: weighed too, and shown where the fit is not verified
    place: Diagnosis | None = field(default=None, compare=False, repr=False)

    @property
    def fact(self) -> bool:
        """Shown without verification: what the check itself saw (see :data:`FACTS`)."""
        return self.kind in FACTS if self.witnessed is None else self.witnessed


@dataclass(frozen=True)
class Case:
    """A failed check, as every diagnosis that runs code again reads it (the one argument of a
    stage and of a re-run, :mod:`descent.diagnoses.order`).

    ``recipe(implementation)`` is the check's call; ``got`` what the student's code returned and
    ``expected`` what the reference did; ``reference`` and ``impl`` the two implementations (a
    re-run changes something and calls ``recipe(reference)`` again: :meth:`again`);
    ``exercise`` the registry's name (``"losses.mse"``), ``None`` when unknown. ``reproduces``
    judges a changed run's result against ``got``: set by the stage that weighs the re-runs
    (:func:`descent.diagnoses.parameter.rerun_slip`: to float64's last digits;
    ``estimate_slip``: within the check's band); ``None`` where the re-run judges by its own rule.
    ``pristine`` holds the tensors the recipe closes over as they were before any implementation
    ran (the checker's): ``widen()`` makes its float32 ones float64 (``False``, changing nothing,
    when there is none) and ``restore()`` puts them back; ``None`` where no check saved them.
    """

    recipe: Callable[[Any], Any]
    got: Any
    expected: Any
    reference: Any = None
    exercise: str | None = None
    impl: Any = None
    reproduces: Callable[[Any], bool] | None = field(default=None, compare=False, repr=False)
    pristine: Any = field(default=None, compare=False, repr=False)

    def again(self) -> Any:
        """The check's call on the reference, as it stands now (a re-run changes it first)."""
        return self.recipe(self.reference)


@dataclass(frozen=True)
class Estimate:
    """An estimate of random draws (a spread, a drop rate) that fell outside its check's band, as
    every reading of an estimate takes it (:data:`descent.diagnoses.order.ESTIMATES`).

    ``got`` is the student's estimate and ``expected`` its expected value, ``error`` its standard
    error and ``band`` the check's allowance around ``expected``; ``named`` maps the quantities
    the call depends on (``gain``, ``fan_in``, ``p``) to their values; ``what`` names the estimate
    in a diagnosis ("the std of your values"); ``constants``: whether a constant such as sqrt(3)
    can be what it is off by (a spread can, a rate cannot); ``case`` the check's call, to re-run
    on the reference (``None`` when the check has no recipe or no reference)."""

    got: float
    expected: float
    error: float
    band: float
    named: Mapping[str, float] = field(default_factory=dict)
    what: str = "your estimate"
    constants: bool = True
    case: Case | None = None


class Nothing:
    """The type of :data:`NOTHING`."""

    def __repr__(self) -> str:
        return "NOTHING"


#: What a reading of one of the order's lists that read in turn (``order.CONVENTIONS``,
#: ``order.BEFORE_TIERS``) returns when it has read the result and nothing names it: no later
#: reading runs (``None`` hands the result on to the next one).
NOTHING = Nothing()


class NotApplicable(Exception):
    """A slip's ``rerun`` given a recipe it does not concern (it closes over no such argument)."""


#: Kinds whose diagnoses state what the check itself witnessed rather than a guessed cause: a
#: result of another type, dtype or device, an argument seen edited, a value that had to be
#: refused, an exception and its depth, draws measured to be dependent or of another law. They
#: need no re-run to be shown. NaN where the expected is finite is no such fact (a wrong formula
#: overflows too): a stability diagnosis is a fact only when the student's own code, run again
#: in float64, gives the right values (``witnessed``).
FACTS = frozenset(
    (
        "structure",
        "dtype",
        "inplace",
        "validation",
        "recursion",
        "operator",
        "random",
        "distribution",
    )
)


def observed(diagnosis: Diagnosis) -> str | None:
    """What ``diagnosis`` sees in the values, without the cause it guesses: its text up to the
    first colon ("your result is twice the expected"); ``None`` for a re-run's text ("your
    result is what the reference gives with ..."), which is a cause through and through."""
    if diagnosis.rerun is not None or diagnosis.text.startswith("your result is what"):
        return None
    seen = diagnosis.text.split(": ", 1)[0].strip()
    return seen or None


def witnessed(found: Diagnosis | None, check: str) -> bool:
    """``found`` states what the check saw itself, shown without verification: a fact
    (:data:`descent.diagnoses.base.FACTS`), or NaN and overflow on a stability check's large
    inputs, which are what that check watches for."""
    return found is not None and (found.fact or found.kind == "stability" and check == "stability")


def same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """``a`` equals ``b`` up to the tolerance hypotheses use (shapes must agree). The absolute
    tolerance shrinks with values smaller than 1 (gradients of 1e-20 are not all "equal")."""
    if a.shape != b.shape:
        return False
    scale = max(float(a.abs().max()), float(b.abs().max())) if a.numel() else 0.0
    return bool(torch.allclose(a, b, rtol=_RTOL, atol=_ATOL * min(1.0, scale)))


def wrong_entries(e: torch.Tensor, g: torch.Tensor) -> torch.Tensor | None:
    """The mask of entries that are clearly wrong, when every other entry is clearly right;
    ``None`` when some entry is neither (a rounding-sized error is no pattern)."""
    right = torch.isclose(g, e, rtol=_RTOL, atol=_ATOL)
    wrong = ~torch.isclose(g, e, rtol=1e-3, atol=1e-6)
    return wrong if bool((right | wrong).all()) else None


#: Entries a mask of wrong entries needs before its match with a condition on an input is
#: read as a pattern: a random split of n entries matches one given condition with chance
#: 2^-n, about 1 in 16 for a 2 x 2 result (a softmax normalized along the wrong axis was read
#: as "wrong exactly where `x` < 0"), 1 in 256 for 8.
PATTERN_ENTRIES = 8


def patterned(wrong: torch.Tensor) -> bool:
    """Whether the mask ``wrong`` (of :func:`wrong_entries`) can show a pattern: two wrong
    entries and two right ones at least, :data:`PATTERN_ENTRIES` in all."""
    if wrong.numel() < PATTERN_ENTRIES:
        return False
    return min(int(wrong.sum()), int((~wrong).sum())) >= 2


def whole(x: Any) -> bool:
    """Every value of ``x`` (a tensor or a number) is a whole number."""
    t = torch.as_tensor(x).detach()
    return bool((t == t.round()).all())


def permutations(e: torch.Tensor) -> Iterator[tuple[tuple[int, ...], torch.Tensor]]:
    """``(perm, e.permute(perm))`` for every order of ``e``'s dimensions but its own (a result of
    2 to 4 dimensions; none for any other): the layouts a result can be mistaken for."""
    if not 2 <= e.dim() <= 4:
        return
    for perm in itertools.permutations(range(e.dim())):
        if perm != tuple(range(e.dim())):
            yield perm, e.permute(perm)


def leaves(value: Any) -> Iterator[Any]:
    """What ``value`` holds that is no list, tuple or dict (tensors, numbers, strings, None),
    in order, at any depth (a dict's values only)."""
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from leaves(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    else:
        yield value


def non_finite(value: Any) -> bool:
    """Some float in ``value`` (a tensor's entry or a Python float, at any depth) is NaN or
    infinite."""
    for v in leaves(value):
        if isinstance(v, torch.Tensor) and v.is_floating_point():
            if not bool(torch.isfinite(v).all()):
                return True
        elif isinstance(v, float) and not math.isfinite(v):
            return True
    return False


def map_leaves(fn: Callable[[Any], Any], value: Any) -> Any:
    """``value`` with ``fn`` applied to each of its :func:`leaves`, its lists, tuples and dicts
    rebuilt around them (same types, same keys)."""
    if isinstance(value, (list, tuple)):
        return type(value)(map_leaves(fn, item) for item in value)
    if isinstance(value, dict):
        return {key: map_leaves(fn, item) for key, item in value.items()}
    return fn(value)
