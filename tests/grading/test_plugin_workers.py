"""The message of a borrowed library call says what it borrows where the name tells (issue 50:
the closed form through numpy.linalg.inv is an explicit inverse, as torch.linalg.inv is)."""

from __future__ import annotations

import importlib
import types

import pytest

from descent.grading import plugin_workers

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _flagged(used: str) -> str:
    exercise = "regression.linear_regression_closed_form"
    impl = types.SimpleNamespace(name="sub", hits={}, scan={exercise: [used]})
    test = types.SimpleNamespace(
        implementation="sub", exercise=exercise, counted=True, points=2.5, outcome="passed"
    )
    plugin_workers.apply_flags([test], [impl])
    assert test.points == 0.0
    return test.message


def test_an_inverse_borrowed_through_numpy_is_named_as_one():
    message = _flagged("numpy.linalg.inv (regression.py line 7)")
    assert "[library use]" in message and "what it borrows: an explicit inverse" in message
    assert "least-squares solver" in _flagged("scipy.linalg.lstsq (regression.py line 3)")
    assert "what it borrows" not in _flagged("torch.nn.functional.mse_loss (losses.py line 2)")


def test_a_layer_that_subclasses_torch_nn_module_is_told_the_docstring_s_rule():
    """Held-out UW and fast.ai layers subclass torch.nn.Module; the message said only that the
    exercise borrowed its operation, which they did not: they borrowed torch.nn's machinery."""
    message = _flagged("torch.nn.Module (called at run time)")
    assert "what it borrows: torch.nn itself" in message
    assert "a plain class with the same methods" in message
    # the run-time hit does not tell a ready-made layer from a subclass: both are said (held-out
    # NYU two-layer nets holding nn.ReLU() instances were told only of a subclass)
    assert "a ready-made layer such as nn.ReLU()" in message and "a class of your own" in message


def test_retiring_settles_that_implementation_s_ledgers_then_stops_its_worker(monkeypatch):
    """``retire``: the failures of an implementation whose tests are over are weighed while its
    worker still runs (a weighing may read what the worker holds), then the worker stops; the
    ledgers of the others stay for the end of the run."""
    # by its full name: after a pytester run in this process (tests/toykit.py) dropped the module
    # from sys.modules, `from descent.diagnoses import verified` still hands back the dropped
    # copy, while retire's own import loads a fresh one that the patch would miss
    verified = importlib.import_module("descent.diagnoses.verified")

    events: list = []
    monkeypatch.setattr(
        verified, "settle", lambda books, ref, impls: events.append(("settle", books, impls))
    )
    impl = types.SimpleNamespace(name="alice", retire=lambda wait: events.append(("retire", wait)))
    ledgers = {("alice", "losses.mse"): "a1", ("bob", "losses.mse"): "b1", ("alice", "x.y"): "a2"}
    plugin_workers.retire(impl, ledgers, reference="ref")
    assert events == [
        # with the worker still running: a repair search edits the student's code there
        ("settle", {("alice", "losses.mse"): "a1", ("alice", "x.y"): "a2"}, [impl]),
        ("retire", True),
    ]
    assert ledgers == {("bob", "losses.mse"): "b1"}


def test_the_end_of_a_run_retires_only_live_workers_and_never_loses_the_results(monkeypatch):
    """``finish``: each implementation run in a worker still alive is retired without waiting;
    one whose stop fails is left to ``close`` (the results are built either way)."""
    verified = importlib.import_module("descent.diagnoses.verified")
    monkeypatch.setattr(verified, "settle", lambda books, ref, impls: None)
    stopped: list = []

    def worker(name, alive=True, fails=False):
        def retire(wait):
            if fails:
                raise OSError("the fork server is gone")
            stopped.append((name, wait))

        conn = types.SimpleNamespace(process=object() if alive else None)
        return types.SimpleNamespace(name=name, isolated=True, conn=conn, retire=retire)

    in_process = types.SimpleNamespace(name="reference")
    impls = [worker("ada"), worker("bo", alive=False), worker("cy", fails=True), in_process]
    plugin_workers.finish(impls, {}, reference=None)
    assert stopped == [("ada", False)]


def test_a_test_file_its_exercise_graded_is_not_listed_as_not_graded():
    block = {
        "exercises": [{"id": "losses.mse.tests"}, {"id": "losses.mse"}],
        "intake": {
            "ignored": [
                {"path": "test_mse.py", "reason": "a test file"},
                {"path": "test_adam.py", "reason": "a test file"},  # optim.adam.tests not run
                {"path": "test_mine.py", "reason": "a test file"},  # no exercise's file
            ]
        },
    }
    plugin_workers._tests_read(block)
    assert block["intake"]["tests"] == ["test_mse.py"]
    assert [e["path"] for e in block["intake"]["ignored"]] == ["test_adam.py", "test_mine.py"]


def test_what_a_flagged_check_found_of_the_code_itself_is_kept_below_the_flag():
    """A two-layer net that borrows ``torch.sigmoid`` and also takes the log of a probability
    (a held-out NYU one, issue 79) heard only of the sigmoid: the check's own finding is what the
    student must fix whatever the review decides, so it stays, uncounted, below the flag."""
    exercise = "layers.two_layer_net"
    impl = types.SimpleNamespace(name="sub", hits={}, scan={exercise: ["torch.sigmoid (x.py)"]})
    own = "[stability] loss: expected 1000, got inf\nlikely mistake: the log of a probability."
    failed, passed = (
        types.SimpleNamespace(
            implementation="sub", exercise=exercise, counted=True, points=p, outcome=o, message=m
        )
        for p, o, m in ((0.0, "failed", own), (5.0, "passed", ""))
    )
    plugin_workers.apply_flags([failed, passed], [impl])
    assert failed.points == passed.points == 0.0
    assert failed.message.startswith("[library use]")
    assert failed.message.endswith(
        "this check's own result, not counted: failed [stability]\n"
        "likely mistake: the log of a probability."
    )
    assert "expected 1000" not in failed.message  # its numbers may differ from run to run
    assert passed.message.endswith("this check's own result, not counted: passed.")
    before = failed.message
    plugin_workers.apply_flags([failed], [impl])  # flagged twice: said once
    assert failed.message == before
