"""What each graded check of a write-the-tests exercise says, for the hidden graders
(``graders/test_written.py``) and the public tests (``exercises/test_written.py``) alike.

An exercise is graded as checks of three roles, each a pytest item the plugin scores as usual:

* ``behaviour`` (weight 0): fails listing the tests that did not count and why;
* one ``wheat`` check per correct version (weight 0): fails when a test of the file fails on it;
* one ``chaff`` check per catalogued mistake (its weight): passes when a test catches it and
  every wheat passes.

So the exercise's points are the weights of the chaffs caught, and 0 while any wheat fails. The
file is judged once per implementation graded and exercise (:func:`judged`), every check
reading the same :class:`~descent.testwriting.grading.Judgement`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import pytest

from ..calls.impl import Implementation
from . import sources
from .declared import BEHAVIOUR, WrittenTests
from .grading import (
    CHAFF,
    WHEAT,
    Judgement,
    Subject,
    behaviour_message,
    chaff_message,
    judge,
    wheat_message,
)
from .runner import InWorker

ROLES = (BEHAVIOUR, WHEAT, CHAFF)


class Judged:
    """Judgements of one run, by implementation and exercise, and the workers they ran in."""

    def __init__(self):
        self.kept: dict[tuple[int, str], Judgement] = {}
        self.workers: dict[int, InWorker] = {}

    def of(
        self,
        impl: Implementation,
        exercise: WrittenTests,
        subjects: Callable[[], list[Subject]],
        *,
        order_seed: Callable[[], int] = lambda: 0,
    ) -> Judgement:
        """The file's judgement (made on first use); NotImplementedError, saying why, when the
        file is missing or still the template."""
        key = (id(impl), exercise.id)
        if key not in self.kept:
            try:
                found = sources.read(impl, exercise.file)
            except sources.Missing as exc:
                raise NotImplementedError(
                    f"{exercise.id}: {exercise.file} is not implemented yet ({exc})"
                ) from None
            self.kept[key] = judge(
                exercise,
                found.text,
                found.label,
                subjects(),
                worker=self._worker(impl),
                seconds=_seconds(impl),
                order_seed=order_seed() if getattr(impl, "isolated", False) else 0,
            )
        judged = self.kept[key]
        if judged.not_written:
            raise NotImplementedError(
                f"{exercise.id}: {judged.not_written[0]} in {exercise.file} is not implemented "
                f"yet (it still raises NotImplementedError): write your tests there"
            )
        return judged

    def _worker(self, impl: Implementation) -> InWorker | None:
        if not getattr(impl, "isolated", False):
            return None
        if id(impl) not in self.workers:
            self.workers[id(impl)] = InWorker(impl.manager, getattr(impl, "conn", None))
        return self.workers[id(impl)]

    def close(self) -> None:
        """Stop the workers at the session's end without waiting for them: the fork server's
        close finishes them, while the process of a split grading that ran these tests sends
        its results and the other replays them."""
        for worker in self.workers.values():
            worker.close(wait=False)
        self.workers.clear()


def session() -> Iterator[Judged]:
    """A session's judgements, for a graded file's session fixture (``judged =
    pytest.fixture(scope="session")(verdicts.session)``): their workers end with the session."""
    kept = Judged()
    yield kept
    kept.close()


def checks(roles: Iterable[tuple[str, str, str, float]]) -> list:
    """One ``pytest.param`` per check ``(exercise, role, subject, weight)``, marked with its
    exercise and its weight: the parameters of a graded file's one test function."""
    return [
        pytest.param(
            exercise,
            role,
            subject,
            marks=[pytest.mark.exercise(exercise), pytest.mark.points(weight)],
            id=f"{exercise}-{role}-{subject}",
        )
        for exercise, role, subject, weight in roles
    ]


def _seconds(impl: Implementation) -> float:
    manager = getattr(impl, "manager", None)
    guarded = getattr(impl, "guarded", None)
    if manager is not None:
        return float(manager.call_timeout)
    return float(guarded.seconds) if guarded is not None else 10.0


def message(
    judged: Judgement, role: str, subject_id: str, subjects: list[Subject], *, public: bool
) -> str | None:
    """Why the check of ``role`` (for the subject ``subject_id``) fails, or None: it passes."""
    if role == BEHAVIOUR:
        return behaviour_message(judged)
    if judged.error:
        return f"{judged.filename} cannot run: {judged.error}" + (
            "" if role == WHEAT else "; this exercise scores 0 until it runs"
        )
    by_id = {s.id: s for s in subjects}
    if role == WHEAT:
        return wheat_message(judged, by_id[subject_id], show_message=public)
    failed = [s.id for s in subjects if s.kind == WHEAT and judged.failing(s.id)]
    return chaff_message(judged, by_id[subject_id], failed)
