"""The grading plugin (``descent.grading.plugin``): how it turns each test's outcome into a scored
record, the results document it writes at the end of a run, the key each test's inputs are seeded
by, and ``--impl`` refused before collection. Toy tests over the toy kit (tests/toykit.py), graded
in this process, and ``_classify`` and ``_input_key`` called directly where no collected test is
needed."""

from __future__ import annotations

import platform
import sys
from types import SimpleNamespace

import pytest
import torch
from conftest import KIT_TESTS_SECRET
from toykit import SOLUTIONS

from descent import registry, results
from descent.calls import timelimit
from descent.calls.impl import SubmissionError
from descent.grading import input_seed, plugin
from descent.grading.inputs import seed_for
from descent.grading.plugin import _input_key
from descent.isolation import errors

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

pytest_plugins = ["pytester"]


# -- failures that need no collected test ----------------------------------------------------------
@pytest.mark.parametrize(
    "exc, outcome, message",
    [
        (None, results.ERROR, "the test did not run"),
        (NotImplementedError(), results.NOT_IMPLEMENTED, "not implemented yet"),
        (NotImplementedError("mse_forward"), results.NOT_IMPLEMENTED, "mse_forward"),
        (AssertionError(), results.FAILED, "an assertion failed"),
        (AssertionError("wrong sum"), results.FAILED, "wrong sum"),
        (
            SubmissionError("losses.py is missing from ada"),
            results.ERROR,
            "losses.py is missing from ada",
        ),
        (
            timelimit.CallTimeout("mse_forward", 2.0),
            results.ERROR,
            "`mse_forward` did not return within 2 s: time limit exceeded (infinite loop?)",
        ),
    ],
)
def test_classify_without_a_test_item(exc, outcome, message):
    assert plugin._classify(exc, None) == (outcome, message)


def raised_in_a_worker(mro: list[str], text: str) -> BaseException:
    """The exception a worker's error reply turns into on the grading side."""
    return errors.remote_exception(
        {
            "type": mro[0],
            "mro": mro,
            "msg": text,
            "where": ["losses.py:3 in helper", "losses.py:9 in mse"],
        }
    )


def test_a_worker_exception_is_the_students_and_not_implemented_stays_so():
    crash = raised_in_a_worker(["ValueError", "Exception"], "bad shape")
    assert plugin._classify(crash, None) == (
        results.ERROR,
        "your code raised ValueError: bad shape (losses.py:3 in helper; losses.py:9 in mse)",
    )
    todo = raised_in_a_worker(["NotImplementedError", "RuntimeError", "Exception"], "todo")
    assert plugin._classify(todo, None) == (results.NOT_IMPLEMENTED, "todo")


def test_a_call_refused_for_its_signature_is_named_so_in_a_worker_too():
    refused = raised_in_a_worker(
        ["TypeError", "Exception"], "mse_forward() takes 2 positional arguments but 3 were given"
    )
    outcome, message = plugin._classify(refused, None)
    assert outcome == results.ERROR
    assert message.startswith("calling your `mse_forward` failed: mse_forward() takes 2")
    assert "keep the signature the docstring gives" in message


def test_hypothesis_groups_are_graded_on_their_first_failure():
    inner = NotImplementedError("first")
    group = BaseExceptionGroup("outer", [BaseExceptionGroup("inner", [inner, ValueError()])])
    assert plugin._root_exception(group) is inner


# -- outcomes of graded toy tests ------------------------------------------------------------------
OUTCOMES = """
import pytest
from descent.grading.compare import GradingFailure

@pytest.mark.exercise("losses.mse")
class TestMSE:
    def test_value(self, impl):
        assert impl.losses.mse_forward(3.0, 1.0)[0] == 4.0

    def test_value_in_a_group(self, impl):
        try:
            impl.losses.mse_forward(3.0, 1.0)
        except NotImplementedError as exc:
            raise ExceptionGroup("hypothesis", [exc])

    def test_backward(self, impl):
        impl.losses.mse_backward(1.0, None)

    def test_signature(self, impl):
        impl.losses.mse_forward(1.0, 2.0, 3.0)

    def test_renamed(self, impl):
        impl.losses.mse

    def test_misconception(self, impl):
        raise GradingFailure("the loss is 12, expected 4", misconception="mse_sum")

    def test_ordinary_assert(self):
        assert 1 == 2, "one is not two"

    def test_passes(self):
        pass

@pytest.mark.exercise("losses.mae")
def test_result_unusable(impl):
    assert impl.losses.mae_forward(1.0, 2.0)[0] == 1.0

@pytest.mark.exercise("losses.mae")
def test_student_assert(impl):
    assert impl.losses.mae_backward(1.0, None) == 1.0

def test_not_graded():
    pass
"""


def test_each_failure_is_classified_by_where_it_happened(grade_toy):
    toy = grade_toy(OUTCOMES)
    expected = {
        "TestMSE::test_value": (results.NOT_IMPLEMENTED, "mse_forward is not written yet"),
        "TestMSE::test_value_in_a_group": (results.NOT_IMPLEMENTED, "mse_forward is not written"),
        "TestMSE::test_backward": (
            results.ERROR,
            "your code raised ZeroDivisionError: float division by zero "
            "(losses.py:7 in mse_backward)",
        ),
        "TestMSE::test_signature": (
            results.ERROR,
            "calling your `mse_forward` failed: mse_forward() takes 2 positional arguments",
        ),
        "TestMSE::test_renamed": (results.ERROR, "losses.py of starter has no `mse`"),
        "TestMSE::test_misconception": (results.FAILED, "the loss is 12, expected 4"),
        "TestMSE::test_ordinary_assert": (results.FAILED, "one is not two"),
        "TestMSE::test_passes": (results.PASSED, ""),
        "test_result_unusable": (
            results.ERROR,
            "the check could not use what your code returned: TypeError",
        ),
        # the student's assert is an error in their code (as through a worker), not a check
        "test_student_assert": (
            results.ERROR,
            "your code raised AssertionError: the cache is missing (losses.py:",
        ),
    }
    got = {t["name"]: (t["outcome"], t["message"]) for t in toy.doc["tests"]}
    assert set(got) == set(expected), "an ungraded test was recorded, or a graded one was not"
    for name, (outcome, message) in expected.items():
        assert got[name][0] == outcome and got[name][1].startswith(message), name
    assert toy.test("TestMSE::test_misconception")["misconception"] == "mse_sum"
    divided = toy.test("TestMSE::test_backward")  # a division by zero names its mistake
    assert (
        divided["diagnosis"] == "stability"
        and "likely mistake: your code divides by zero" in (divided["message"])
    )
    assert toy.test("test_student_assert")["diagnosis"] is None  # another error names none
    assert toy.exercise("starter", "losses.mse")["misconceptions"] == ["mse_sum"]
    scored = {t["name"]: t["points"] for t in toy.doc["tests"] if t["points"]}
    assert scored == {"TestMSE::test_passes": 1.25}


HANGS = """
import pytest

@pytest.mark.exercise("losses.huber")
def test_first(impl):
    impl.losses.huber_forward(1.0, 2.0)

@pytest.mark.exercise("losses.huber")
def test_second(impl):
    impl.losses.huber_forward(1.0, 2.0)
"""


def test_a_hanging_function_times_out_once_and_is_not_called_again(grade_toy):
    toy = grade_toy(HANGS, "--call-timeout=0.1")
    first, second = toy.test("test_first"), toy.test("test_second")
    assert (first["outcome"], second["outcome"]) == (results.ERROR, results.ERROR)
    assert first["message"] == timelimit.describe("huber_forward", 0.1)
    assert second["message"].endswith("earlier in this run; not called again")
    assert toy.exercise("starter", "losses.huber")["points"] == 0.0


SKIPS = """
import pytest

@pytest.mark.exercise("losses.mse")
def test_on_every_device(device):
    pass

@pytest.mark.exercise("losses.mse")
def test_skipped_for_another_reason():
    pytest.skip("needs the dataset")
"""


def test_only_a_missing_gpu_leaves_a_test_uncounted(grade_toy, no_cuda):
    toy = grade_toy(SKIPS, "--device=all")
    cpu, cuda = toy.test("test_on_every_device[cpu]"), toy.test("test_on_every_device[cuda]")
    other = toy.test("test_skipped_for_another_reason")
    assert (cuda["outcome"], cuda["counted"], cuda["max_points"]) == (results.SKIPPED, False, 0.0)
    assert cuda["message"] == plugin.CUDA_ABSENT and cuda["device"] == "cuda"
    assert (other["outcome"], other["counted"], other["message"]) == (
        results.SKIPPED,
        True,
        "needs the dataset",
    )
    assert (cpu["points"], other["points"], other["max_points"]) == (5.0, 0.0, 5.0)
    mse = toy.exercise("starter", "losses.mse")
    assert (mse["points"], mse["max_points"], mse["skipped"]) == (5.0, 10.0, 1)


FIXTURES = """
import pytest

@pytest.fixture
def broken_setup():
    raise RuntimeError("setup broke")

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown broke")

@pytest.mark.exercise("losses.mse")
def test_setup_fails(broken_setup):
    pass

@pytest.mark.exercise("losses.mse")
def test_teardown_fails(broken_teardown):
    pass
"""


def test_a_test_whose_fixture_fails_never_passes(grade_toy):
    toy = grade_toy(FIXTURES)
    for name, why in [
        ("test_setup_fails", "setup broke"),
        ("test_teardown_fails", "teardown broke"),
    ]:
        t = toy.test(name)
        assert (t["outcome"], t["points"]) == (results.ERROR, 0.0), name
        assert why in t["message"], name


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


WEIGHTS = """
import pytest

@pytest.mark.exercise("losses.mse")
class TestWeights:
    @pytest.mark.points(3)
    def test_heavy(self):
        pass

    def test_light(self):
        pass

@pytest.mark.exercise("train.train_classifier")
def test_capstone():
    pass
"""


def test_points_markers_weigh_tests_within_the_registrys_exercise_points(grade_toy):
    toy = grade_toy(WEIGHTS)
    heavy, light = toy.test("TestWeights::test_heavy"), toy.test("TestWeights::test_light")
    assert (heavy["weight"], heavy["points"]) == (3.0, 7.5)
    assert (light["weight"], light["points"]) == (1.0, 2.5)
    assert toy.test("test_capstone")["points"] == 30.0
    assert toy.block("starter")["points"] == 40.0


SUPPORTING = """
import pytest

@pytest.mark.exercise("losses.mse")
class TestMSE:
    def test_forward(self, impl):
        assert impl.losses.mse_forward(3.0, 1.0)[0] == 4.0

    @pytest.mark.supporting("test_forward")
    def test_shape(self, impl):
        pass

    @pytest.mark.parametrize("case", [pytest.param("trivial", marks=pytest.mark.supporting()),
                                      "exact"])
    def test_case(self, impl, case):
        pass
"""


def test_supporting_marks_gate_points_per_implementation_and_per_parameter(grade_toy):
    toy = grade_toy(SUPPORTING, "--impl=starter", "--impl=solutions")
    # The starter's forward is not written, so its shape check earns nothing though other
    # checks passed, and though the solutions' forward passed. Only the "trivial" case is
    # supporting: the "exact" case is a value check, which passes and so vouches for it.
    shape = toy.test("TestMSE::test_shape[starter]")
    assert shape["points"] == 0.0 and "supporting check" in shape["message"]
    assert toy.test("TestMSE::test_case[starter-trivial]")["points"] == 2.5
    assert toy.test("TestMSE::test_case[starter-exact]")["points"] == 2.5
    assert toy.block("starter")["points"] == 5.0
    assert toy.block("solutions")["points"] == 10.0


REFLECTED = """
import pytest

class Box:  # stands for an object the student's code returned, of a class of theirs
    pass

@pytest.mark.exercise("losses.mse")
def test_number_on_the_left(impl):
    2.0 + Box()
"""


def test_an_error_in_using_the_result_is_read_by_the_exception_diagnoses(grade_toy):
    toy = grade_toy(REFLECTED)
    found = toy.test("test_number_on_the_left")
    assert found["message"].startswith("the check could not use what your code returned")
    assert found["diagnosis"] == "operator" and "__radd__" in found["message"]


EVERYDAY = """
import pytest

@pytest.mark.exercise("losses.mse")
@pytest.mark.ordinary
def test_everyday(impl):
    assert False, "wrong on everyday inputs"

@pytest.mark.exercise("losses.mse")
@pytest.mark.points(3)
@pytest.mark.parametrize("case", [pytest.param("a", marks=pytest.mark.ordinary), "b"])
def test_cases(case, impl):
    assert case == "b"

@pytest.mark.exercise("losses.mse")
@pytest.mark.points(4)
def test_at_the_edge(impl):
    pass
"""


def test_a_failed_check_marked_ordinary_caps_the_exercise_at_half(grade_toy):
    # Raw, the edge check keeps 4 and case b 3 of 11 weights: 7/11 of 10 points; capped, 5.
    toy = grade_toy(EVERYDAY)
    mse = toy.exercise("starter", "losses.mse")
    assert mse["points"] == pytest.approx(5.0) and mse["status"] == "partial"
    edge, b = toy.test("test_at_the_edge"), toy.test("test_cases[b]")
    assert edge["points"] == pytest.approx(5.0 * 4 / 7) and b["points"] == pytest.approx(
        5.0 * 3 / 7
    )
    assert "test_everyday" in edge["message"] or "test_cases" in edge["message"]


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


def test_a_run_without_graded_tests_writes_no_results(pytester):
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    out = pytester.path / "results.json"
    pytester.runpytest_inprocess("-p", "no:cacheprovider", f"--results={out}").assert_outcomes(
        passed=1
    )
    assert not out.exists() and not (pytester.path / ".descent").exists()


def test_the_run_stops_with_a_usage_error_before_collection(pytester):
    pytester.mkpydir("solutions").joinpath("losses.py").write_text(SOLUTIONS)
    pytester.makepyfile(test_toy="def test_never_runs():\n    raise AssertionError\n")
    result = pytester.runpytest_inprocess(
        "test_toy.py", "-p", "no:cacheprovider", "--impl", "hollow:no_such_answer"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --impl hollow:no_such_answer: no catalogued hollow variant 'no_such_answer'*"]
    )
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def node(nodeid: str, **params) -> SimpleNamespace:
    """What _input_key reads of a collected test: its id and its parameters."""
    return SimpleNamespace(nodeid=nodeid, callspec=SimpleNamespace(params=params))


IMPL = SimpleNamespace(name="bug:mse-no-mean")  # an implementation whose id holds dashes


@pytest.mark.parametrize(
    "test, key",
    [
        (SimpleNamespace(nodeid="t.py::T::test_a"), "t.py::T::test_a[]"),
        (node("t.py::T::test_a[cpu]", device="cpu"), "t.py::T::test_a[]"),
        (node("t.py::T::test_a[cuda-3]", device="cuda", n=3), "t.py::T::test_a[3]"),
        (
            node("t.py::T::test_a[bug:mse-no-mean-cuda-3]", impl=IMPL, device="cuda", n=3),
            "t.py::T::test_a[3]",
        ),
        (
            node("t.py::T::test_a[no-bug:mse-no-mean-cpu]", impl=IMPL, device="cpu", m="no"),
            "t.py::T::test_a[no]",
        ),
        # A parameter spelled like a device stays: only the device parameter's own piece goes.
        (node("t.py::T::test_a[cuda-cpu]", device="cpu", mode="cuda"), "t.py::T::test_a[cuda]"),
        (node("t.py::T::test_a[cpu-cuda]", device="cuda", mode="cpu"), "t.py::T::test_a[cpu]"),
    ],
)
def test_the_key_drops_only_the_device_and_the_implementation(test, key):
    assert _input_key(test) == key


RECORDS_SEEDS = """
import pytest

@pytest.mark.exercise("losses.mse")
@pytest.mark.parametrize("n", [1, 2])
def test_seeded(impl, inputs, n, record_property):
    record_property("seed", inputs.seed)
"""


def _seeds(toy) -> dict[tuple[str, str], set[int]]:
    """(implementation, n) -> the seeds its test_seeded[n] drew, on every device."""
    calls = [r for r in toy.run.reprec.getreports("pytest_runtest_logreport") if r.when == "call"]
    assert calls and all(r.passed for r in calls)
    seeds: dict[tuple[str, str], set[int]] = {}
    for report in calls:
        parts = report.nodeid.split("[", 1)[1].rstrip("]").split("-")
        impl, n = next(p for p in parts if p in ("starter", "solutions", "copy")), parts[-1]
        seeds.setdefault((impl, n), set()).add(dict(report.user_properties)["seed"])
    return seeds


def test_a_test_draws_one_seed_on_every_device_keyed_to_the_code(grade_toy, monkeypatch, pytester):
    # A GPU "present" lets the CUDA variants run far enough to build their inputs (no tensor is
    # made on the device).
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    copy = pytester.mkdir("copy")  # a submission byte for byte the solutions
    copy.joinpath("losses.py").write_text(SOLUTIONS)
    impls = ("--impl=starter", "--impl=solutions", f"--impl={copy}")
    toy = grade_toy(RECORDS_SEEDS, "--device=all", *impls, "--isolation=none", "--insecure")
    seeds = _seeds(toy)  # {cpu, cuda} x 3 implementations x 2 tests: one seed per device pair
    assert len(seeds) == 6 and all(len(s) == 1 for s in seeds.values())
    for n in ("1", "2"):
        assert seeds["solutions", n] == seeds["copy", n] != seeds["starter", n]
    assert seeds["solutions", "1"] != seeds["solutions", "2"]
    code = input_seed.code_digest({"losses": SOLUTIONS})
    assert seeds["solutions", "1"] == {
        seed_for("test_toy.py::test_seeded[1]", KIT_TESTS_SECRET, code)
    }
    fixed = _seeds(
        grade_toy(RECORDS_SEEDS, *impls, "--isolation=none", "--insecure", "--input-seed=fixed")
    )
    assert fixed == {
        (impl, n): {seed_for(f"test_toy.py::test_seeded[{n}]")}
        for impl in ("starter", "solutions", "copy")
        for n in ("1", "2")
    }


DRAWN_OR_WRITTEN = """
import pytest
from hypothesis import given, strategies as st

@pytest.mark.exercise("losses.mse")
class TestInputs:
    def test_drawn(self, impl, inputs):
        inputs.randn(2)

    def test_seeded_generator(self, impl, inputs):
        inputs.seed

    def test_written_through_the_fixture(self, impl, inputs):
        inputs.tensor([1.0, 2.0])

    def test_written(self, impl):
        pass

    @given(st.integers())
    def test_property(self, impl, n):
        pass
"""


def test_the_results_say_which_tests_drew_their_inputs(grade_toy):
    toy = grade_toy(DRAWN_OR_WRITTEN, "--impl=solutions")
    drawn = {t["name"].split("::")[-1].removesuffix("[cpu]"): t["drawn"] for t in toy.doc["tests"]}
    assert drawn == {
        "test_drawn": True,
        "test_seeded_generator": True,
        "test_written_through_the_fixture": False,
        "test_written": False,
        "test_property": True,
    }


SLOW_ONCE = """
_calls = [0]


def mse_forward(pred, target):
    _calls[0] += 1
    while _calls[0] == 1:  # the first call does not finish in time (a machine too busy)
        pass
    return (pred - target) ** 2, (pred, target)


def huber_forward(pred, target, delta=1.0):
    while True:
        pass
"""

RETRIED = """
import pytest
import torch

@pytest.mark.exercise("losses.mse")
def test_forward(impl):
    loss, _ = impl.losses.mse_forward(torch.ones(2), torch.zeros(2))
    assert loss.tolist() == [1.0, 1.0]

@pytest.mark.exercise("losses.huber")
@pytest.mark.parametrize("n", [1, 2])
def test_huber(impl, n):
    impl.losses.huber_forward(torch.ones(2), torch.zeros(2))
"""


def test_a_test_that_ran_out_of_time_runs_once_more_before_it_is_charged(grade_toy, pytester):
    folder = pytester.mkdir("slow")
    folder.joinpath("losses.py").write_text(SLOW_ONCE)
    args = (f"--impl={folder}", "--isolation=none", "--insecure", "--call-timeout=0.3")
    toy = grade_toy(RETRIED, *args)
    assert toy.test("test_forward")["outcome"] == results.PASSED  # the second attempt
    first, second = toy.test("test_huber[1]"), toy.test("test_huber[2]")
    assert "did not return within 0.3 s: time limit exceeded" in first["message"]
    assert "earlier in this run; not called again" in second["message"]
    assert len(toy.doc["tests"]) == 3  # one record per test, whatever its attempts


SHARED_KEY = """
import pytest

@pytest.mark.exercise("losses.mse")
@pytest.mark.parametrize("n", [1, 2])
def test_shared(impl, inputs, n, record_property):
    record_property("seed", inputs.for_key("capstone-data").seed)
"""


def test_tests_that_share_one_draw_get_it_for_their_implementation(grade_toy):
    toy = grade_toy(SHARED_KEY, "--impl=starter", "--impl=solutions")
    calls = [r for r in toy.run.reprec.getreports("pytest_runtest_logreport") if r.when == "call"]
    seeds: dict[str, set[int]] = {}
    for report in calls:
        impl = "starter" if "starter" in report.nodeid else "solutions"
        seeds.setdefault(impl, set()).add(dict(report.user_properties)["seed"])
    assert len(seeds["starter"]) == len(seeds["solutions"]) == 1  # one draw for both tests
    assert seeds["starter"] != seeds["solutions"]  # keyed to each one's code


def test_a_variant_s_items_are_made_only_for_its_own_exercise():
    """Several variants in one run: each gets items only for the tests of its own exercise, a
    battery's parameters included (their exercise is a mark of each parameter), and nothing is
    made only to be deselected but for the few functions that no variant is for (kept whole, so
    that their items are left out and counted as before). Seen failing before the pruning."""
    import re
    import subprocess
    from pathlib import Path

    kit = Path(__file__).resolve().parents[2]
    impls = ["bug:sigmoid_swapped_branches", "alternative:relu_mask_from_output"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "graders/test_activations.py", "--collect-only", "-q"]
        + ["-p", "no:cacheprovider", *(f"--impl={i}" for i in impls)],
        cwd=kit,
        capture_output=True,
        text=True,
        timeout=300,
    )
    ids = [line for line in proc.stdout.splitlines() if "::" in line]
    assert proc.returncode == 0, proc.stdout[-2000:]
    sigmoid = [i for i in ids if impls[0] in i and "-sigmoid" in i or "Sigmoid" in i]
    relu = [i for i in ids if impls[1] in i and "-relu" in i or "Relu" in i]
    assert sigmoid and relu and len(sigmoid) + len(relu) == len(ids), set(ids) - {*sigmoid, *relu}
    made = re.search(r"/(\d+) tests collected", proc.stdout)
    left_out = int(made.group(1)) - len(ids) if made else 0
    assert left_out < 10, proc.stdout[-300:]  # before: every battery item, for each variant
    assert any("TestActivationBattery" in i for i in sigmoid)  # a battery's items are pruned too
