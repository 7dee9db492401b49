"""The catalogued variants, as everything that reads them finds them: what a variant is
(:class:`Variant`: a reference with a few functions replaced), where the declared ones are kept,
and how they are looked up (:func:`variants`, :func:`get`, :func:`named`).

Graders declare variants through :mod:`descent.catalogue` (``bug``, ``alternative``, ``hollow``,
``student``), which checks a bug's labels against the generic diagnoses' kinds and keeps each
variant here. This module stands beneath the diagnoses, which read the catalogue too (a slip is
also written into an exercise's alternatives and into a catalogued bug's own code), and imports
nothing of them.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

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
    # Where it is wrong when its tests run on a GPU, if not there: a bug that builds its result
    # on the CPU whatever device it is asked for is wrong on every GPU input.
    wrong_on_cuda: str = ""
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
            (module, name): self.derive(functools.partial(base, module, name), name)
            for name in registry.get(self.exercise).functions
        }

    def apply(self, base: Implementation) -> PatchedImplementation:
        return PatchedImplementation(
            base,
            f"{self.kind}:{self.id}",
            self.overrides(lambda module, name: getattr(base.module(module), name)),
        )


def keep(variant: Variant) -> Variant:
    """Keep a declared variant, under its id; a ``ValueError`` for an id declared twice."""
    if variant.id in _REGISTRY:
        raise ValueError(f"variant id {variant.id!r} is declared twice")
    _REGISTRY[variant.id] = variant
    return variant


def kept() -> dict[str, Variant]:
    """Every variant kept so far, by id (a copy)."""
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
