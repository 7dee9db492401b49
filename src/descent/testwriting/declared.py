"""The write-the-tests exercises: which exercise each one tests and how its functions reach the
student's tests.

A write-the-tests exercise (id ``<exercise>.tests``, ``losses.mse.tests``) asks for pytest
functions that tell correct implementations of an exercise (*wheats*: the reference and every
catalogued alternative) from catalogued mistakes (*chaffs*). The student fills ``FILE`` (for
example ``starter/test_mse.py``) and hands it in beside their modules; their tests reach the
implementation only through the ``impl`` fixture, whose attributes are the exercise's functions
(``impl.mse_forward``), opaque callables.

This module is public (it ships in the student bundle): it names no chaff. Which mistakes each
exercise hides, and how much each counts, is the instructor's (``graders/written_tests.py``).
It imports nothing heavy: the grading plugin reads titles and points from it at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import registry
from ..results import WRITTEN_ROLES

SUFFIX = ".tests"
# The roles of an exercise's checks: whether the tests counted, one check per correct version,
# one per catalogued mistake (part of a check's name in the results: descent.results).
BEHAVIOUR, WHEAT, CHAFF = WRITTEN_ROLES


@dataclass(frozen=True)
class WrittenTests:
    """One write-the-tests exercise. ``caches``: function name -> the position, in what it
    returns, of the cache that a backward is given back; the student's tests see it as an opaque
    object they may only pass on (its layout differs between correct versions)."""

    target: str
    caches: dict[str, int] = field(default_factory=dict)
    points: float = 10.0

    @property
    def id(self) -> str:
        return self.target + SUFFIX

    @property
    def module(self) -> str:
        return registry.get(self.target).module

    @property
    def name(self) -> str:
        return self.target.split(".", 1)[1]

    @property
    def file(self) -> str:
        """The student's test file, in ``starter/`` and at the top of a submission."""
        return f"test_{self.name}.py"

    @property
    def title(self) -> str:
        return f"Write the tests: {registry.get(self.target).title}"

    @property
    def functions(self) -> tuple[str, ...]:
        return registry.get(self.target).functions


def _pair(target: str, cache_at: int = 1) -> WrittenTests:
    forward = registry.get(target).functions[0]
    return WrittenTests(target, {forward: cache_at})


EXERCISES: dict[str, WrittenTests] = {
    w.id: w
    for w in (
        _pair("losses.mse"),
        _pair("losses.cross_entropy"),
        _pair("layers.linear"),
        WrittenTests("optim.adam"),
        _pair("normalization.batchnorm", cache_at=3),  # (y, running_mean, running_var, cache)
        _pair("regularization.dropout"),
        WrittenTests("schedules.warmup_cosine_lr"),
        WrittenTests("clipping.clip_grad_norm"),
    )
}


def get(exercise_id: str) -> WrittenTests:
    try:
        return EXERCISES[exercise_id]
    except KeyError:
        known = ", ".join(EXERCISES)
        raise KeyError(f"no write-the-tests exercise {exercise_id!r}; known: {known}") from None


def by_file(name: str) -> WrittenTests | None:
    """The exercise whose student file is ``name`` (``test_mse.py``), if any."""
    return next((w for w in EXERCISES.values() if w.file == name), None)


def titles() -> dict[str, str]:
    return {w.id: w.title for w in EXERCISES.values()}


def points() -> dict[str, float]:
    return {w.id: w.points for w in EXERCISES.values()}
