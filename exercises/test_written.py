"""Public checks of your write-the-tests files (``starter/test_mse.py`` and the like).

Each of your test files runs against the public correct versions and mistakes of
``exercises/twins.py``: a check per correct version (your tests must pass on it), a check per
mistake (one of your tests must fail on it), and a check that every test of yours counted.
Run ``pytest exercises/ -k tests`` for all of them, ``-k mse.tests`` for one. The hidden
grading uses the same rules with many more versions and mistakes.
"""

from pathlib import Path

import pytest

from descent.testwriting import declared, verdicts
from descent.testwriting.grading import CHAFF

from .twins import SUBJECTS

# The bundle's own starter/: an assignment's bundle holds the test files of its exercises only.
STARTER = Path(__file__).resolve().parents[1] / "starter"


def _roles():
    for written in declared.EXERCISES.values():
        if (STARTER / written.file).exists():
            yield written.id, verdicts.BEHAVIOUR, "only-behaviour", 0.0
            for s in SUBJECTS[written.id]:
                yield written.id, s.kind, s.id, s.weight if s.kind == CHAFF else 0.0


judged = pytest.fixture(scope="session")(verdicts.session)


@pytest.mark.parametrize(("exercise", "role", "subject"), verdicts.checks(_roles()))
def test_written(exercise, role, subject, impl, check, judged):
    subjects = SUBJECTS[exercise]
    judgement = judged.of(impl, declared.get(exercise), lambda: subjects)
    message = verdicts.message(judgement, role, subject, subjects, public=True)
    if message:
        check.fail(message, check="written tests")

