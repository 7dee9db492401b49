"""``descent audit --written`` (``descent.testwriting.audit``): on the kit, every reference
suite passes every wheat and catches every chaff, public and hidden; in a copy whose reference
suite misses a mistake and fails a correct version, both are reported."""

from __future__ import annotations

import os
import shutil

from descent.testwriting import audit

from .conftest import KIT


def test_the_kit_s_reference_suites_hold():
    found = audit.audit(KIT, ["losses"])
    assert [f.exercise for f in found] == ["losses.mse.tests", "losses.cross_entropy.tests"]
    assert all(not f.problems and f.caught == f.chaffs > 0 and f.wheats > 1 for f in found)
    assert audit.lines(found)[0] == (
        "losses.mse.tests: 6 wheats pass, 6/6 chaffs caught by the reference suite; ok"
    )


def test_a_chaff_missed_and_a_wheat_failed_are_reported(tmp_path):
    for folder in ("graders", "exercises"):
        os.symlink(KIT / folder, tmp_path / folder)
    shutil.copytree(KIT / "solutions", tmp_path / "solutions")
    mse = tmp_path / "solutions" / "test_mse.py"  # its gradient test left out
    text = mse.read_text()
    mse.write_text(
        text[: text.index("@pytest.mark.parametrize")]
        + text[text.index("def test_float64_stays_float64") :]
    )
    ce = tmp_path / "solutions" / "test_cross_entropy.py"  # ln 5 for 4 classes
    ce.write_text(ce.read_text().replace("torch.tensor(4.0", "torch.tensor(5.0", 1))
    mse_found, ce_found = audit.audit(tmp_path, ["losses"])
    assert mse_found.problems == [
        "chaff mse_grad_no_2 is caught by no reference test",
        "chaff mse_grad_div_batch is caught by no reference test",
        "chaff mse_ignores_upstream is caught by no reference test",
    ]
    assert "wheat reference fails the reference suite: test_my_first_check" in ce_found.problems
    assert "public wheat torch_cross_entropy fails the reference suite: test_my_first_check" in (
        ce_found.problems
    )
