"""Hidden grading of the write-the-tests exercises (docs/testwriting.md).

For each exercise of ``descent.testwriting.declared``, the student's test file (``test_mse.py``
beside their modules) runs against every wheat (the reference and each catalogued alternative)
and every chaff of ``written_tests.CHAFFS``, in a confined worker when it is a submission; the
implementations stay here and reach the tests as opaque callables. One check per wheat and the
behaviour check weigh nothing; one check per chaff weighs what the chaff counts.
"""

import secrets
from pathlib import Path

import pytest
from written_tests import CHAFFS

from descent import catalogue
from descent.testwriting import declared, hidden, verdicts

catalogue.load(Path(__file__).resolve().parent / "catalogue")


def _roles():
    for written in declared.EXERCISES.values():
        yield written.id, verdicts.BEHAVIOUR, "only-behaviour", 0.0
        yield written.id, hidden.WHEAT, hidden.REFERENCE_ID, 0.0
        yield from ((written.id, hidden.WHEAT, v.id, 0.0) for v in hidden.wheats(written))
        for chaff in CHAFFS.get(written.id, []):
            yield written.id, hidden.CHAFF, chaff.id, chaff.points()


judged = pytest.fixture(scope="session")(verdicts.session)
_SUBJECTS: dict[tuple[int, str], list] = {}  # (the reference, an exercise) -> its subjects


def _subjects(reference, written):
    key = (id(reference), written.id)
    if key not in _SUBJECTS:
        _SUBJECTS[key] = hidden.subjects(written, reference, CHAFFS.get(written.id, []))
    return _SUBJECTS[key]


@pytest.mark.parametrize(("exercise", "role", "subject"), verdicts.checks(_roles()))
def test_written_tests(exercise, role, subject, impl, reference, check, judged):
    written = declared.get(exercise)
    subjects = _subjects(reference, written)
    judgement = judged.of(impl, written, lambda: subjects, order_seed=lambda: secrets.randbits(32))
    message = verdicts.message(judgement, role, subject, subjects, public=False)
    if message:
        check.fail(message, check="written tests")
