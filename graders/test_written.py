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


def _checks():
    for written in declared.EXERCISES.values():
        roles = [
            (verdicts.BEHAVIOUR, "only-behaviour", 0.0),
            (hidden.WHEAT, hidden.REFERENCE_ID, 0.0),
        ]
        roles += [(hidden.WHEAT, v.id, 0.0) for v in hidden.wheats(written)]
        roles += [(hidden.CHAFF, c.id, c.points()) for c in CHAFFS.get(written.id, [])]
        for role, subject, weight in roles:
            yield pytest.param(
                written.id,
                role,
                subject,
                marks=[pytest.mark.exercise(written.id), pytest.mark.points(weight)],
                id=f"{written.id}-{role}-{subject}",
            )


@pytest.fixture(scope="session")
def judged():
    kept = verdicts.Judged()
    yield kept
    kept.close()


@pytest.mark.parametrize(("exercise", "role", "subject"), list(_checks()))
def test_written_tests(exercise, role, subject, impl, reference, check, judged):
    written = declared.get(exercise)
    subjects = hidden.subjects(written, reference, CHAFFS.get(exercise, []))
    judgement = judged.of(impl, written, lambda: subjects, order_seed=lambda: secrets.randbits(32))
    message = verdicts.message(judgement, role, subject, subjects, public=False)
    if message:
        check.fail(message, check="written tests")
