"""Judging a test file (``descent.testwriting.grading``): a test that fails a wheat fails the
file and is named with the wheat in words (a hidden wheat's assertion message never shown); a
chaff is caught by a failing test or missed by its misconception; a refused test, one not
collected and one whose outcome depends on what ran before do not count; a test that runs out
of time is not run again."""

from __future__ import annotations

import pytest

from descent.testwriting import declared
from descent.testwriting.grading import (
    CHAFF,
    WHEAT,
    Subject,
    SuiteRun,
    _settle,
    behaviour_message,
    chaff_message,
    judge,
    wheat_message,
)
from descent.testwriting.scan import scan

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

MSE = declared.get("losses.mse.tests")


def _mse(scale=1.0):
    def forward(pred, target):
        return ((pred - target) ** 2).mean() * scale, (pred, target)

    def backward(dloss, cache):
        pred, target = cache
        return dloss * 2 * (pred - target) / pred.numel() * scale

    return {"mse_forward": forward, "mse_backward": backward}


SUBJECTS = [
    Subject("reference", WHEAT, "the course staff wrote as the reference solution", _mse()),
    Subject("double", CHAFF, "doubles the loss", _mse(2.0), 2.0),
    Subject("triple", CHAFF, "triples the loss", _mse(3.0), 1.0),
]

SOURCE = """
import torch

def test_value(impl):
    loss, _ = impl.mse_forward(torch.ones(2), torch.zeros(2))
    assert loss < 1.5, f"loss {loss}"

def test_timed(impl):
    import time
    time.sleep(0)

def test_asks(impl, tmp_path):
    pass
"""


def test_a_chaff_is_caught_by_a_failing_test_and_a_missed_one_named_in_words():
    judged = judge(MSE, SOURCE, "test_mse.py", SUBJECTS)
    assert judged.failing("double") == ["test_value"] and judged.failing("triple") == ["test_value"]
    assert wheat_message(judged, SUBJECTS[0], show_message=False) is None
    assert chaff_message(judged, SUBJECTS[1], []) is None
    weak = judge(MSE, SOURCE.replace("1.5", "2.5"), "test_mse.py", SUBJECTS)
    assert chaff_message(weak, SUBJECTS[2], []) is None
    assert chaff_message(weak, SUBJECTS[1], []) == (
        "no test of yours catches code that doubles the loss"
    )


def test_a_test_that_fails_a_wheat_names_the_wheat_and_not_its_values():
    judged = judge(MSE, SOURCE.replace("< 1.5", "> 1.5"), "test_mse.py", SUBJECTS)
    hidden = wheat_message(judged, SUBJECTS[0], show_message=False)
    assert hidden == (
        "your tests fail on a correct version that the course staff wrote as the reference "
        'solution: test_value (line 6: `assert loss > 1.5, f"loss {loss}"`; an assertion '
        "failed). A test must pass on every correct version: this exercise scores 0 until they "
        "all do"
    )
    assert "AssertionError: loss 1.0" in wheat_message(judged, SUBJECTS[0], show_message=True)
    assert chaff_message(judged, SUBJECTS[1], ["reference"]).startswith(
        "not counted: your tests fail on a correct version"
    )


def test_refused_and_uncollected_tests_do_not_count_and_are_listed():
    judged = judge(MSE, SOURCE, "test_mse.py", SUBJECTS)
    assert judged.counted == ["test_value"]
    assert set(judged.refused) == {"test_timed", "test_asks"}
    message = behaviour_message(judged)
    assert message.startswith(
        "2 of your tests did not count. A test may tell implementations "
        "apart only by what they compute"
    )
    assert "test_timed: import time (measures how long calls take, line 9)" in message
    assert "test_asks: could not run: asks for tmp_path" in message


def test_a_test_whose_outcome_depends_on_the_order_of_the_runs_does_not_count():
    found = scan("def test_a(impl):\n    pass\n\ndef test_b(impl):\n    pass\n")
    first = {
        "w": SuiteRun(
            ["test_a", "test_b"],
            outcomes={"test_a": {"outcome": "passed"}, "test_b": {"outcome": "passed"}},
        )
    }
    second = {
        "w": SuiteRun(
            ["test_a", "test_b"],
            outcomes={"test_a": {"outcome": "failed"}, "test_b": {"outcome": "passed"}},
        )
    }
    judged = _settle(judge(MSE, "", "test_mse.py", []), found, first, second, {})
    assert (
        judged.counted == ["test_b"]
        and "depends on which implementations ran before it" in (judged.refused["test_a"])
    )


def test_a_test_that_ran_out_of_time_fails_everywhere_and_runs_once(monkeypatch):
    source = (
        "import torch\n\ndef test_slow(impl):\n    impl.mse_forward(torch.ones(1), "
        "torch.ones(1))\n    while True:\n        pass\n"
    )
    calls = []
    counting = [
        Subject(
            s.id,
            s.kind,
            s.title,
            {
                **s.functions,
                "mse_forward": (lambda *a, f=s.functions["mse_forward"]: calls.append(1) or f(*a)),
            },
            s.weight,
        )
        for s in SUBJECTS
    ]
    judged = judge(MSE, source, "test_mse.py", counting, seconds=0.3)
    assert len(calls) == 1 and judged.failing("reference") == ["test_slow"]
    assert "not run again on the others" in judged.outcomes["triple"]["test_slow"]["message"]


def test_a_file_that_cannot_run_fails_with_its_reason():
    judged = judge(MSE, "import torch\nraise ValueError('no')\n", "test_mse.py", SUBJECTS)
    assert judged.error == "importing it raised ValueError: no (line 2: raise ValueError('no'))"
