"""The hidden side of a write-the-tests exercise: its wheats and chaffs, from the catalogue.

The wheats are the reference solution and every catalogued alternative of the exercise tested
(``alternative(...)`` in ``graders/catalogue/``); the chaffs are the catalogued bugs the
instructor chose (``graders/written_tests.py``, one :class:`Chaff` each). A chaff weighs what
its mistake costs a course: 2 when it is wrong on everyday inputs (``wrong_on="ordinary"``), 1
when only at an edge, plus the number of times, at most 3, the mistake was seen in real
learners' code (``seen``: counted by hand in the development set the kit's feedback is tuned on,
written down with the declaration; the kit never reads that set), or a ``weight`` declared
outright. Every part of a subject reaches the student's tests through the dispatcher only: the
catalogue's code stays on the grader's side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import catalogue
from ..calls.impl import Implementation
from .declared import EXERCISES, WrittenTests
from .grading import CHAFF, WHEAT, Subject

REFERENCE_ID = "reference"
REFERENCE_TITLE = "the course staff wrote as the reference solution"
MAX_SEEN = 3


@dataclass(frozen=True)
class Chaff:
    """A catalogued bug hidden in a write-the-tests exercise. ``seen``: how often the mistake
    turned up in real learners' code; ``weight``: set outright instead of the rule."""

    id: str
    seen: int = 0
    weight: float | None = None

    def points(self) -> float:
        if self.weight is not None:
            return float(self.weight)
        base = 2.0 if catalogue.get(self.id).wrong_on == catalogue.ORDINARY else 1.0
        return base + min(self.seen, MAX_SEEN)


def functions_of(impl: Implementation, exercise: WrittenTests) -> dict[str, Callable]:
    module = getattr(impl, exercise.module)
    return {name: getattr(module, name) for name in exercise.functions}


def wheats(exercise: WrittenTests) -> list[catalogue.Variant]:
    return catalogue.variants(catalogue.ALTERNATIVE, exercise.target)


def subjects(
    exercise: WrittenTests, reference: Implementation, chaffs: list[Chaff]
) -> list[Subject]:
    """The reference and every alternative (wheats), then the chosen chaffs."""
    out = [Subject(REFERENCE_ID, WHEAT, REFERENCE_TITLE, functions_of(reference, exercise))]
    out += [
        Subject(v.id, WHEAT, v.title, functions_of(v.apply(reference), exercise))
        for v in wheats(exercise)
    ]
    for chaff in chaffs:
        variant = catalogue.get(chaff.id)
        out.append(
            Subject(
                chaff.id,
                CHAFF,
                variant.title,
                functions_of(variant.apply(reference), exercise),
                chaff.points(),
            )
        )
    return out


def problems(declared: dict[str, list[Chaff]]) -> list[str]:
    """What is wrong with the chaff declarations (an empty list when nothing is): every
    exercise has chaffs, each a catalogued bug of the exercise it tests, named once."""
    found = []
    for exercise_id in EXERCISES:
        if not declared.get(exercise_id):
            found.append(f"{exercise_id} declares no chaff")
    for exercise_id, chaffs in declared.items():
        if exercise_id not in EXERCISES:
            found.append(f"{exercise_id} is not a write-the-tests exercise")
            continue
        target = EXERCISES[exercise_id].target
        ids = [c.id for c in chaffs]
        found += [
            f"{exercise_id}: {i} is chosen twice" for i in sorted(set(ids)) if ids.count(i) > 1
        ]
        for chaff in chaffs:
            try:
                variant = catalogue.get(chaff.id)
            except KeyError:
                found.append(f"{exercise_id}: no catalogued bug {chaff.id}")
                continue
            if variant.kind != catalogue.BUG or variant.exercise != target:
                found.append(f"{exercise_id}: {chaff.id} is not a catalogued bug of {target}")
    return found
