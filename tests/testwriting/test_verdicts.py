"""The graded checks (``descent.testwriting.verdicts``): a missing file or the untouched
template is "not implemented yet"; a file is judged once per implementation and exercise, and
each check (behaviour, a wheat, a chaff) reads its verdict from that one judgement."""

from __future__ import annotations

import pytest

from descent import results
from descent.calls.impl import FolderImplementation
from descent.testwriting import declared, verdicts
from descent.testwriting.grading import CHAFF, WHEAT, Subject

from .conftest import KIT

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

MSE = declared.get("losses.mse.tests")


def _mse(scale):
    return {
        "mse_forward": lambda pred, target: (((pred - target) ** 2).mean() * scale, None),
        "mse_backward": lambda dloss, cache: dloss,
    }


SUBJECTS = [
    Subject("right", WHEAT, "is right", _mse(1.0)),
    Subject("double", CHAFF, "doubles the loss", _mse(2.0), 2.0),
]
CAUGHT = (
    "import torch\n\ndef test_a(impl):\n    loss, _ = impl.mse_forward(torch.ones(2), "
    "torch.zeros(2))\n    assert loss == 1\n"
)


def test_a_missing_file_and_the_template_are_not_implemented_yet(tmp_path):
    kept = verdicts.Judged()
    with pytest.raises(
        NotImplementedError,
        match="test_mse.py is not implemented yet \\(test_mse.py was not handed in\\)",
    ):
        kept.of(FolderImplementation(tmp_path), MSE, lambda: SUBJECTS)
    starter = FolderImplementation(KIT / "starter")
    with pytest.raises(
        NotImplementedError, match="test_my_first_check in test_mse.py is not implemented yet"
    ):
        kept.of(starter, MSE, lambda: SUBJECTS)


def test_each_check_reads_the_one_judgement(tmp_path):
    (tmp_path / "test_mse.py").write_text(CAUGHT)
    impl, kept, made = FolderImplementation(tmp_path), verdicts.Judged(), []

    def subjects():
        made.append(1)
        return SUBJECTS

    judged = kept.of(impl, MSE, subjects)
    assert kept.of(impl, MSE, subjects) is judged and made == [1]
    for role, subject in [(verdicts.BEHAVIOUR, ""), (WHEAT, "right"), (CHAFF, "double")]:
        assert verdicts.message(judged, role, subject, SUBJECTS, public=False) is None
    (tmp_path / "test_mse.py").write_text(CAUGHT.replace("== 1", "== 2"))
    judged = verdicts.Judged().of(impl, MSE, subjects)
    assert verdicts.message(judged, WHEAT, "right", SUBJECTS, public=False).startswith(
        "your tests fail on a correct version that is right"
    )
    assert verdicts.message(judged, CHAFF, "double", SUBJECTS, public=False).startswith(
        "not counted: your tests fail on a correct version (see right)"
    )


def test_a_file_that_does_not_parse_fails_every_wheat_and_chaff(tmp_path):
    (tmp_path / "test_mse.py").write_text("def test_a(impl)\n")
    judged = verdicts.Judged().of(FolderImplementation(tmp_path), MSE, lambda: SUBJECTS)
    assert verdicts.message(judged, WHEAT, "right", SUBJECTS, public=True) == (
        "test_mse.py cannot run: test_mse.py does not parse: expected ':' (line 1)"
    )
    assert verdicts.message(judged, CHAFF, "double", SUBJECTS, public=True).endswith(
        "this exercise scores 0 until it runs"
    )


def test_every_checks_id_is_one_a_students_report_hides():
    """The reports hide a write-the-tests check's subject by the shape of its name
    (descent.results.shown_name): every role's id has that shape."""
    roles = [("losses.mse.tests", role, "mse_sum", 2.0) for role in verdicts.ROLES]
    for param in verdicts.checks(roles):
        name = f"test_written_tests[{param.id}]"
        assert results.written_check(name) and "mse_sum" not in results.shown_name(name)
