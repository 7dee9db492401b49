"""A fixed, stratified choice of catalogued variants, for checks that would grade them all.

The kit's own default test lane (``./dev test``) grades this choice where a test is about the
whole catalogue; the slow lane (``./dev test --all``) and ``descent audit`` grade every variant.
The choice is fixed (the same ids on every machine and every run, whatever order the catalogue
is loaded in) and stratified so that nothing a test reads goes unrepresented:

- every exercise of every kind of variant (bug, alternative, hollow, student) at least once;
- per exercise, a bug wrong on everyday inputs and, where one exists, a bug wrong only at an
  edge (the two point rules differ);
- every generic diagnosis kind that a bug is labelled with, among the catalogued bugs and again
  among the corpus (each measures naming on its own);
- every literal alternative (the docstring's formula, which must keep full marks everywhere),
  every classic mistake (the public tests must name each), and, per module, a bug that edits
  an argument in place;
- every form of hollow answer (zeros, the input handed back, ...), and any ids a caller requires
  (a test that reads one variant by name).

Within a stratum the variant taken is the first by a hash of its id, so adding a variant to the
catalogue moves the choice only in the strata it joins. The strata of one exercise come last and
take a variant only where none taken for another stratum already stands for that exercise (the
literal alternative is the exercise's alternative too): 306 variants instead of 365, the same
strata.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from ..variants import ALTERNATIVE, BUG, EDGE, HOLLOW, ORDINARY, STUDENT, Variant
from .audit_public import EDITS


def _order(variant: Variant) -> str:
    return hashlib.sha256(variant.id.encode()).hexdigest()


def _first_of_each(
    variants: list[Variant], key: Callable[[Variant], Iterable[str]]
) -> list[Variant]:
    """The first variant (in hash order) for each value ``key`` gives any variant."""
    taken: dict[str, Variant] = {}
    for variant in sorted(variants, key=_order):
        for value in key(variant):
            taken.setdefault(value, variant)
    return list(taken.values())


def _hollow_form(variant: Variant) -> str:
    """A hollow answer's form: its id after the exercise (``losses.mse.zeros`` is ``zeros``)."""
    return variant.id.removeprefix(f"{variant.exercise}.")


def _per_exercise(candidates: list[Variant], chosen: list[Variant]) -> list[Variant]:
    """The first candidate of each exercise that no variant already ``chosen`` among
    ``candidates`` stands for."""
    covered = {v.exercise for v in chosen if v in candidates}
    return _first_of_each(
        [v for v in candidates if v.exercise not in covered], lambda v: [v.exercise]
    )


def choose(variants: Iterable[Variant], required: Iterable[str] = ()) -> list[Variant]:
    """The stratified choice among ``variants`` (the module doc gives its strata), in the
    catalogue's own order. An id of ``required`` that no variant has is a ``KeyError``."""
    every = list(variants)
    by_id = {v.id: v for v in every}
    missing = [i for i in required if i not in by_id]
    if missing:
        raise KeyError(f"no catalogued variant {', '.join(map(repr, missing))}")
    of = {
        kind: [v for v in every if v.kind == kind] for kind in (BUG, ALTERNATIVE, HOLLOW, STUDENT)
    }
    chosen = [by_id[i] for i in required]
    chosen += [v for v in of[ALTERNATIVE] if v.literal] + [v for v in of[BUG] if v.classic]
    for kind in (BUG, STUDENT):
        chosen += _first_of_each(of[kind], lambda v: v.generic)
    chosen += _first_of_each([v for v in of[BUG] if EDITS in v.generic], lambda v: [v.module])
    chosen += _first_of_each(of[HOLLOW], lambda v: [_hollow_form(v)])
    # The strata of one exercise last: a variant taken above already stands for its exercise.
    for wrong_on in (ORDINARY, EDGE):
        chosen += _per_exercise([v for v in of[BUG] if v.wrong_on == wrong_on], chosen)
    for kind in of:
        chosen += _per_exercise(of[kind], chosen)
    ids = {v.id for v in chosen}
    return [v for v in every if v.id in ids]
