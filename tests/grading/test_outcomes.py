"""How a graded test's report becomes its record (``descent.grading.outcomes``): each failure
classified by where it happened, with its message, misconception and diagnosis; skips counted or
not; whether the test drew its inputs. ``classify`` and ``root_exception`` called directly where
no collected test is needed, the rest on toy tests over the toy kit (tests/toykit.py), graded in
this process."""

from __future__ import annotations

import sys

import pytest

from descent import results
from descent.calls import timelimit
from descent.calls.impl import SubmissionError
from descent.grading import outcomes
from descent.isolation import errors

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast
pytest_plugins = ["pytester"]  # grade_toy: this file runs on its own too


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
    assert outcomes.classify(exc, None) == (outcome, message)


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
    assert outcomes.classify(crash, None) == (
        results.ERROR,
        "your code raised ValueError: bad shape (losses.py:3 in helper; losses.py:9 in mse)",
    )
    todo = raised_in_a_worker(["NotImplementedError", "RuntimeError", "Exception"], "todo")
    assert outcomes.classify(todo, None) == (results.NOT_IMPLEMENTED, "todo")


def test_a_call_refused_for_its_signature_is_named_so_in_a_worker_too():
    refused = raised_in_a_worker(
        ["TypeError", "Exception"], "mse_forward() takes 2 positional arguments but 3 were given"
    )
    outcome, message = outcomes.classify(refused, None)
    assert outcome == results.ERROR
    assert message.startswith("calling your `mse_forward` failed: mse_forward() takes 2")
    assert "keep the signature the docstring gives" in message


def test_hypothesis_groups_are_graded_on_their_first_failure():
    inner = NotImplementedError("first")
    group = BaseExceptionGroup("outer", [BaseExceptionGroup("inner", [inner, ValueError()])])
    assert outcomes.root_exception(group) is inner


# -- outcomes of graded toy tests ------------------------------------------------------------------
OUTCOMES = """
import sys

import pytest
from descent.grading.compare import GradingFailure

if sys.version_info < (3, 11):  # the backport pytest brings
    from exceptiongroup import ExceptionGroup

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
    # the CPU limit, or on a loaded machine the wall-clock ceiling first (seen at load 8 on 2 CPUs)
    limits = {timelimit.describe("huber_forward", 0.1, waited) for waited in (False, True)}
    assert first["message"] in limits
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
    assert cuda["message"] == outcomes.CUDA_ABSENT and cuda["device"] == "cuda"
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
