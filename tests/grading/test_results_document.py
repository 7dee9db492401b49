"""The results document a grading run writes (``descent.grading.results_document``): one
document for every implementation graded, with the run's environment, a test cut short never
passed, and a crash the reference shares blamed on the kit. Toy tests over the toy kit
(tests/toykit.py), graded in this process."""

from __future__ import annotations

import platform
import sys

import pytest
import torch
from conftest import KIT_TESTS_SECRET

from descent import registry, results
from descent.grading import input_seed

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


INTERRUPTED = """
import pytest

@pytest.mark.exercise("losses.mse")
def test_before():
    pass

@pytest.mark.exercise("losses.mse")
def test_cut_short():
    raise KeyboardInterrupt

@pytest.mark.exercise("losses.mse")
def test_never_started():
    pass
"""


def test_a_test_cut_short_by_an_interrupt_is_not_passed(grade_toy):
    toy = grade_toy(INTERRUPTED, no_reraise_ctrlc=True)
    assert toy.run.ret == pytest.ExitCode.INTERRUPTED and toy.doc["interrupted"] is True
    assert [t["name"] for t in toy.doc["tests"]] == ["test_before", "test_cut_short"]
    cut = toy.test("test_cut_short")
    assert (cut["outcome"], cut["points"]) == (results.ERROR, 0.0)
    assert cut["message"].startswith("interrupted before it finished")
    assert toy.test("test_before")["points"] == 5.0


KIT_DEFECT = """
import pytest

@pytest.mark.exercise("losses.mse")
def test_crashes_itself(impl):
    raise RuntimeError("a bug in the test")
"""


def test_a_crash_that_the_reference_shares_is_blamed_on_the_kit(grade_toy):
    toy = grade_toy(KIT_DEFECT, "--impl=starter", "--impl=solutions")
    assert toy.test("test_crashes_itself[solutions]")["message"].startswith(
        "the test itself crashed (a kit defect, not your code)"
    )
    assert toy.test("test_crashes_itself[starter]")["message"].startswith(
        "the check could not use what your code returned"
    )


# -- the document a grading run writes -------------------------------------------------------------
TWO_EXERCISES = """
import pytest

@pytest.mark.exercise("losses.mse")
class TestMSE:
    def test_forward(self, impl, device):
        assert impl.losses.mse_forward(3.0, 1.0)[0] == 4.0

    def test_runs(self, impl):
        pass

@pytest.mark.exercise("train.train_classifier")
def test_capstone(impl):
    pass
"""


def test_a_grading_run_writes_one_document_for_every_implementation(grade_toy, no_cuda):
    toy = grade_toy(TWO_EXERCISES, "--device=all", "--impl=starter", "--impl=solutions")
    doc = toy.doc
    assert doc["schema"] == results.SCHEMA and doc["interrupted"] is False
    assert (doc["suite"], doc["devices"]) == ("test_toy.py", ["cpu", "cuda"])
    assert doc["environment"] == {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": False,
        "platform": sys.platform,
        "test_processes": 1,
        # inputs keyed to the code by the course's secret, recorded by its fingerprint alone
        "input_seed": "course:" + input_seed.fingerprint(KIT_TESTS_SECRET),
        "isolation": "in-process",
    }
    starter, solutions = doc["implementations"]
    assert [(b["name"], b["kind"], b["isolation"]) for b in (starter, solutions)] == [
        ("starter", "folder", "in-process"),
        ("solutions", "folder", "in-process"),
    ]
    # CUDA is absent: test_forward[cuda] is listed, uncounted, and each exercise keeps its worth.
    assert (solutions["points"], solutions["max_points"]) == (40.0, 40.0)
    assert (starter["points"], starter["max_points"]) == (35.0, 40.0)
    titles = {e["id"]: e["title"] for e in starter["exercises"]}
    assert titles == {
        i: registry.EXERCISES[i].title for i in ("losses.mse", "train.train_classifier")
    }
    uncounted = [t["nodeid"] for t in doc["tests"] if not t["counted"]]
    assert uncounted == [
        "test_toy.py::TestMSE::test_forward[cuda-starter]",
        "test_toy.py::TestMSE::test_forward[cuda-solutions]",
    ]
    assert len(doc["tests"]) == 8
