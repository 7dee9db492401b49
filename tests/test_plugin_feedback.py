"""How the grading plugin reports what goes wrong in a submission, and its results document."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import KIT, grade

SELECT = ["graders/test_losses.py", "graders/test_activations.py", "-k", "mse or relu"]


def _submission(tmp: Path, losses: str | None, name: str = "submission") -> Path:
    sub = tmp / name
    sub.mkdir()
    shutil.copy(KIT / "solutions" / "activations.py", sub / "activations.py")
    if losses is not None:
        (sub / "losses.py").write_text(losses)
    return sub


def _messages(run, exercise: str) -> set[str]:
    return {t["message"] for t in run.results["tests"] if t["exercise"] == exercise}


GOOD_MSE = (KIT / "solutions" / "losses.py").read_text()
SYNTAX_ERROR = "import torch\n\ndef mse_forward(pred, target):\n    return (\n"
SUMMED = GOOD_MSE.replace(
    "    return (diff * diff).mean(), (diff,)", "    return (diff * diff).sum(), (diff,)"
)
# The submissions graded on SELECT, each a losses.py beside the reference activations.py (None:
# none), in one run (``graded``): one start of pytest and of the worker's fork server for all.
LOSSES = {
    "syntax-error": SYNTAX_ERROR,
    "missing-function": GOOD_MSE.replace("def mse_backward(", "def mse_backward_renamed("),
    "missing-module": None,
    "raises": GOOD_MSE.replace(
        "    return dloss * 2 * diff / diff.numel()", "    return dloss * 2 * diff / diff.numel(1)"
    ),
    # the catalogued mse_sum: forward and backward sum
    "sums-both": SUMMED.replace(
        "    return dloss * 2 * diff / diff.numel()", "    return dloss * 2 * diff"
    ),
    "sums-forward": SUMMED,  # the backward right
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The run of every submission of LOSSES; returns what it gave one of them, by name."""
    tmp = tmp_path_factory.mktemp("feedback")
    folders = [str(_submission(tmp, losses, name)) for name, losses in LOSSES.items()]
    return grade(tmp, SELECT, folders).only


def test_syntax_error_is_reported_and_other_modules_still_graded(graded):
    run = graded("syntax-error")
    (message,) = _messages(run, "losses.mse")
    assert message.startswith("losses.py could not be imported: SyntaxError at line 4")
    relu = next(e for e in run.block("syntax-error")["exercises"] if e["id"] == "activations.relu")
    assert relu["status"] == "passed"
    assert "Traceback" not in run.output


def test_a_syntax_error_is_blamed_on_its_own_file_by_the_modules_importing_it(tmp_path):
    sub = _submission(tmp_path, SYNTAX_ERROR)
    shutil.copy(KIT / "solutions" / "layers.py", sub / "layers.py")  # imports losses.py
    run = grade(tmp_path, ["graders/test_layers.py", "-k", "relative_error"], [str(sub)])
    messages = _messages(run, "layers.relative_error")
    assert messages and all(
        m.startswith(
            "layers.py could not be imported: importing losses.py failed: SyntaxError at line 4"
        )
        for m in messages
    ), messages


def test_missing_function(graded):
    run = graded("missing-function")
    assert any("has no `mse_backward`" in m for m in _messages(run, "losses.mse"))
    mse = next(e for e in run.block("missing-function")["exercises"] if e["id"] == "losses.mse")
    assert mse["status"] == "partial"  # the forward-only checks still score


def test_missing_module(graded):
    run = graded("missing-module")
    (message,) = _messages(run, "losses.mse")
    assert message == "losses.py is missing from missing-module"  # the folder, by its name


def test_a_missing_module_is_an_error_where_a_refusal_was_due_too(tmp_path):
    """A check that a call refuses its arguments with ValueError meets the missing module
    first: the exercise is an error that names the file, with no likely mistake (it said
    "failed", the function has no check of its own, raise ValueError)."""
    sub = _submission(tmp_path, GOOD_MSE)  # no data.py
    run = grade(tmp_path, ["graders/test_data.py", "-k", "kfold"], [str(sub)])
    tests = [t for t in run.results["tests"] if t["exercise"] == "data.kfold_indices"]
    assert tests and {t["outcome"] for t in tests} == {"error"}
    assert {t["message"] for t in tests} == {"data.py is missing from submission"}
    assert not any(t["diagnosis"] or t["misconception"] for t in tests)
    (kfold,) = [e for e in run.block("submission")["exercises"] if e["id"] == "data.kfold_indices"]
    assert kfold["status"] == "error"


def test_exception_in_student_code_points_at_the_line(graded):
    run = graded("raises")
    messages = _messages(run, "losses.mse")
    assert any(
        m.startswith("your code raised TypeError") and "losses.py:" in m and "in mse_backward" in m
        for m in messages
    ), messages
    assert "kit defect" not in run.output


def test_cuda_tests_are_not_counted_without_a_gpu(tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: the CUDA lane runs for real")
    run = grade(tmp_path, ["graders/test_losses.py", "-k", "mse"], ["solutions"], "--device=all")
    cuda = [t for t in run.results["tests"] if t["device"] == "cuda"]
    assert cuda and all(t["outcome"] == "skipped" and not t["counted"] for t in cuda)
    assert {t["message"] for t in cuda} == {"CUDA is not available on this machine"}
    block = run.block("solutions")
    assert block["points"] == block["max_points"] > 0
    assert run.results["devices"] == ["cpu", "cuda"]


def test_results_document_schema(solutions_run):
    doc = solutions_run.results
    assert doc["schema"] == "descent.results/1"
    assert set(doc) >= {
        "suite",
        "started_at",
        "duration_s",
        "devices",
        "environment",
        "implementations",
        "tests",
    }
    assert doc["environment"]["isolation"]
    test = doc["tests"][0]
    assert set(test) >= {
        "nodeid",
        "implementation",
        "exercise",
        "name",
        "device",
        "weight",
        "points",
        "max_points",
        "counted",
        "outcome",
        "message",
        "misconception",
        "duration_s",
    }
    block = doc["implementations"][0]
    assert block["points"] == pytest.approx(sum(e["points"] for e in block["exercises"]))


def test_points_are_split_by_weight(solutions_run):
    tests = [t for t in solutions_run.results["tests"] if t["exercise"] == "losses.huber"]
    heavy = next(t for t in tests if "test_forward" in t["name"] and "delta-1.5" in t["name"])
    light = next(t for t in tests if "test_forward" in t["name"] and "delta-0.4" in t["name"])
    assert heavy["weight"] == 2 and light["weight"] == 1
    assert heavy["max_points"] == pytest.approx(2 * light["max_points"])
    exercise = next(
        e for e in solutions_run.block("solutions")["exercises"] if e["id"] == "losses.huber"
    )
    assert exercise["max_points"] == pytest.approx(10.0)


def test_misconception_is_named_in_the_message(graded):
    assert LOSSES["sums-both"] != SUMMED != GOOD_MSE
    run = graded("sums-both")  # the catalogued mse_sum: forward and backward sum
    failing = [
        t
        for t in run.results["tests"]
        if t["exercise"] == "losses.mse" and t["outcome"] == "failed"
    ]
    assert failing and all(
        t["misconception"] == "mse_sum" for t in failing if "forward" in t["name"]
    )
    message = next(t["message"] for t in failing if "test_forward" in t["name"])
    assert "likely mistake: your result matches code that sums the squared errors" in message
    assert "hint: The loss is the mean over every element" in message


def test_a_catalogued_bug_that_a_passing_check_contradicts_is_not_named(graded):
    # The forward sums, the backward is right: mse_sum (which sums in both) would get the
    # passing backward checks wrong, so the generic cause verified on the forward's checks is
    # named instead, in each check's own numbers.
    run = graded("sums-forward")
    forward = [
        t
        for t in run.results["tests"]
        if t["exercise"] == "losses.mse" and "test_forward" in t["name"]
    ]
    assert forward and all(t["misconception"] is None for t in forward)
    assert all(t["diagnosis"] == "sum-mean" for t in forward)
    assert all("a sum where the mean belongs" in t["message"] for t in forward)
    assert any("7 times the expected" in t["message"] for t in forward)  # the 1-d case's own
