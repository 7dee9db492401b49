"""Catalogued variants of the reference solution: known bugs and alternative correct versions.

A variant is the reference solution with a few functions replaced. Buggy variants are realistic
student mistakes; the graders must fail each on at least one check, and when a student's output
equals a buggy variant's output the failure message names that mistake. Alternative variants are
different correct implementations; the graders must give them full marks. Hollow variants are
answers that compute nothing (zeros of the right shape, the input handed back, random values);
the graders must give them exactly 0 points on their exercise.

Student-style variants (``student``, declared in ``graders/corpus/<module>.py``) are bugs too, but
written the way learners write whole functions (NumPy rewrites, loops, layer objects with a
cache, micrograd-style classes) rather than as one-line edits of the reference. They are a held-out
set: the feedback never names them (only catalogued bugs are matched against a failure), and
``descent audit`` measures how well the generic diagnoses name their causes.

Declaring one (in ``graders/catalogue/<topic>.py``)::

    mse_sum = bug("mse_sum", "losses.mse", "sums the squared errors instead of averaging",
                  hint="The loss is the mean over every element: divide by pred.numel().",
                  wrong_on="ordinary")

    @mse_sum.replaces
    def mse_forward(pred, target): ...

The replaced function is the one named like the decorated function, in the exercise's module.
A hollow variant may instead be *derived*: ``hollow(id, exercise, title, derive=f)`` replaces every
function of the exercise with ``f(base, name)``, where ``base()`` returns the base implementation's
function (so one transform, such as "zeros shaped like the reference's result", covers every
exercise).
"""

from __future__ import annotations

import difflib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import registry
from .calls.impl import Implementation, PatchedImplementation

BUG = "bug"
ALTERNATIVE = "alternative"
HOLLOW = "hollow"
STUDENT = "student"
KINDS = (BUG, ALTERNATIVE, HOLLOW, STUDENT)

# Where a bug is wrong, which sets how many points it may keep (``descent audit`` checks both):
# "ordinary": wrong on the calls a course makes every day (typical values, the defaults and the
# options the exercise is about, float32 or float64): a wrong value, shape, dtype or type, or an
# argument edited; it keeps at most half of its exercise's points.
# "edge": right on those calls, wrong only at a boundary (an exact 0, a tie, p = 1, a threshold
# met exactly), at extreme values (overflow, cancellation, ill-posed input), on arguments it
# must refuse, or in a rare mode (an option a course seldom sets); it keeps more than half.
ORDINARY = "ordinary"
EDGE = "edge"
WRONG_ON = (ORDINARY, EDGE)

# Kinds of variant that must lose points (--impl bug:* and student:*).
BUGGY = (BUG, STUDENT)
# The folder of graders/ that declares each kind of variant.
FOLDERS = {BUG: "catalogue", ALTERNATIVE: "catalogue", HOLLOW: "catalogue", STUDENT: "corpus"}

# derive(base, name) -> replacement: ``base()`` returns the base implementation's function ``name``.
Derive = Callable[[Callable[[], Callable], str], Callable]

_REGISTRY: dict[str, Variant] = {}


@dataclass
class Variant:
    id: str
    exercise: str
    title: str
    kind: str
    hint: str = ""
    functions: dict[str, Callable] = field(default_factory=dict)
    derive: Derive | None = None
    classic: bool = False  # a mistake the docstring warns about: a public test must catch it
    # The generic diagnoses (descent.diagnoses.order.KINDS) that name this bug correctly: the labels
    # ``descent audit`` scores the generic feedback against, with the catalogue's names hidden.
    generic: tuple[str, ...] = ()
    # Where a bug is wrong (WRONG_ON): on the inputs a course uses every day, or only at an edge.
    wrong_on: str = ""
    # An alternative that types the exercise's docstring formula literally, in the plainest way
    # (every exercise has one: a student who follows the docstring must keep full marks).
    literal: bool = False

    @property
    def module(self) -> str:
        return registry.get(self.exercise).module

    def replaces(self, fn: Callable) -> Callable:
        name = fn.__name__
        owner = registry.exercise_of(self.module, name)
        if owner is None:
            raise ValueError(f"variant {self.id}: {self.module}.{name} is not an exercise function")
        self.functions[name] = fn
        return fn

    def overrides(self, base: Callable[[str, str], Callable]) -> dict[tuple[str, str], Callable]:
        """``(module, function) -> replacement``. ``base(module, name)`` looks a function up in
        the implementation the variant is applied to; only derived variants use it, lazily."""
        if self.derive is None:
            return {(self.module, name): fn for name, fn in self.functions.items()}
        module = self.module
        return {
            (module, name): self.derive(lambda name=name: base(module, name), name)
            for name in registry.get(self.exercise).functions
        }

    def apply(self, base: Implementation) -> PatchedImplementation:
        return PatchedImplementation(
            base,
            f"{self.kind}:{self.id}",
            self.overrides(lambda module, name: getattr(base.module(module), name)),
        )


def _declare(
    kind: str, id: str, exercise: str, title: str, hint: str, derive: Derive | None = None
) -> Variant:
    registry.get(exercise)  # fail early on a typo
    if id in _REGISTRY:
        raise ValueError(f"variant id {id!r} is declared twice")
    variant = Variant(id, exercise, title, kind, hint, derive=derive)
    _REGISTRY[id] = variant
    return variant


def bug(
    id: str,
    exercise: str,
    title: str,
    *,
    hint: str,
    classic: bool = False,
    generic: str | tuple[str, ...] = (),
    wrong_on: str = "",
) -> Variant:
    """Declare a realistic buggy variant; ``hint`` is what a student should do about it.
    ``classic``: a mistake the exercise's docstring warns about, which the public tests in
    ``exercises/`` must catch too (the kit's tests check it), not only the hidden graders.
    ``generic``: the kind(s) of generic diagnosis that describe this mistake truly (a sum where
    the mean belongs is ``"sum-mean"``; see ``descent.diagnoses.order.KINDS``); any other kind a
    failure of this bug is diagnosed with counts as a wrong name in ``descent audit``.
    ``wrong_on``: ``"ordinary"`` or ``"edge"`` (see ``WRONG_ON``), decided from what the bug
    does on everyday inputs; the kit's tests require it of every catalogued bug."""
    labels = _generic_labels(id, generic)
    if wrong_on:
        _check_wrong_on(id, wrong_on)
    variant = _declare(BUG, id, exercise, title, hint)
    variant.classic, variant.generic, variant.wrong_on = classic, labels, wrong_on
    return variant


def student(
    id: str, exercise: str, title: str, *, generic: str | tuple[str, ...], wrong_on: str
) -> Variant:
    """Declare a student-style bug of the corpus (``graders/corpus/``): a whole function written
    the way a learner writes it, with one genuine mistake. ``title`` states the mistake in plain
    words; ``generic`` the kind(s) of generic diagnosis that name its cause truly (at least one);
    ``wrong_on`` is ``"ordinary"`` when the mistake changes results on the inputs a course uses
    every day, ``"edge"`` when only at a boundary, at extreme values or in a rare mode. Like a
    catalogued bug it must lose points; unlike one, feedback never names it."""
    labels = _generic_labels(id, generic)
    if not labels:
        raise ValueError(f"variant {id}: a student-style bug needs at least one generic label")
    _check_wrong_on(id, wrong_on)
    variant = _declare(STUDENT, id, exercise, title, "")
    variant.generic, variant.wrong_on = labels, wrong_on
    return variant


def _check_wrong_on(id: str, wrong_on: str) -> None:
    if wrong_on not in WRONG_ON:
        raise ValueError(f"variant {id}: wrong_on must be one of {WRONG_ON}, not {wrong_on!r}")


def _generic_labels(id: str, generic: str | tuple[str, ...]) -> tuple[str, ...]:
    # start-up: the plugin imports this module before torch, which diagnoses imports; the
    # catalogue's own modules, which call this, load after the graders have imported torch
    from .diagnoses.order import KINDS

    labels = (generic,) if isinstance(generic, str) else tuple(generic)
    unknown = [k for k in labels if k not in KINDS]
    if unknown:
        known = ", ".join(KINDS)
        raise ValueError(f"variant {id}: unknown generic diagnosis {unknown} (known: {known})")
    return labels


def alternative(id: str, exercise: str, title: str, *, literal: bool = False) -> Variant:
    """Declare a different but correct implementation (must keep full marks, publicly and
    hidden). ``literal``: it types the docstring's formula as written, in the plainest way (no
    in-place tricks, the obvious constants); every exercise has one (the kit's tests check it)."""
    variant = _declare(ALTERNATIVE, id, exercise, title, "")
    variant.literal = literal
    return variant


def hollow(id: str, exercise: str, title: str, *, derive: Derive | None = None) -> Variant:
    """Declare an answer that computes nothing (must score exactly 0 on its exercise): either
    with ``@variant.replaces`` like a bug, or ``derive``d from the base implementation."""
    return _declare(HOLLOW, id, exercise, title, "", derive)


def load(folder: str | Path) -> dict[str, Variant]:
    """Import every ``*.py`` in a folder of variants (``graders/catalogue``, ``graders/corpus``:
    trusted instructor code) and return the registry, which holds the variants of every folder
    loaded so far (an id declared in two of them is an error)."""
    folder = Path(folder)
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        # named by folder too: catalogue/losses.py and corpus/losses.py are two modules
        name = f"_descent_{folder.name}_{path.stem}"
        if name in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return dict(_REGISTRY)


def variants(kind: str | None = None, exercise: str | None = None) -> list[Variant]:
    return [
        v
        for v in _REGISTRY.values()
        if (kind is None or v.kind == kind) and (exercise is None or v.exercise == exercise)
    ]


def get(id: str) -> Variant:
    try:
        return _REGISTRY[id]
    except KeyError:
        raise KeyError(f"no catalogued variant {id!r}") from None


def named(kind: str, id: str) -> Variant:
    """The variant ``kind:id`` names (``--impl bug:mse_sum``). A ``KeyError`` whose message says
    what is wrong for an id no variant has (with the nearest ids of ``kind``) or a variant of
    another kind."""
    variant = _REGISTRY.get(id)
    if variant is not None and variant.kind == kind:
        return variant
    if variant is not None:
        raise KeyError(f"{id} is a variant of kind {variant.kind}: give {variant.kind}:{id}")
    ids = [v.id for v in variants(kind)]
    near = difflib.get_close_matches(id, ids, n=3, cutoff=0.6)
    known = (
        f"did you mean {' or '.join(f'{kind}:{n}' for n in near)}?"
        if near
        else (f"{len(ids)} {kind} variants are catalogued ({kind}:* grades them all)")
    )
    raise KeyError(f"no catalogued {kind} variant {id!r}; {known}")
