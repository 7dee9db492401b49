"""The second pass of a graded test file (``descent.testwriting.harness.Tape``): a call made as
the first pass made it is answered from that run's tape without a round trip, and the first call
that differs, and every one after it, goes to the dispatcher, which first serves again the calls
the worker answered itself; what each test sees is what it would see without the tape."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from descent.testwriting import harness
from descent.testwriting.dispatch import Dispatcher
from descent.testwriting.harness import Tape, identical, run_cases

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_identical_means_the_same_data_bit_for_bit():
    x = torch.tensor([1.0, -0.0, math.nan])
    assert identical([x, {"a": 1, "b": (2.5, None)}], [x.clone(), {"a": 1, "b": (2.5, None)}])
    assert identical(math.nan, float("nan")) and identical(x, x.clone())
    g = torch.Generator().manual_seed(3)
    assert identical(g, torch.Generator().manual_seed(3))
    assert identical(np.arange(3), np.arange(3))
    for a, b in [
        (torch.tensor([0.0]), torch.tensor([-0.0])),  # equal values, other bytes
        (x, x.double()),
        (x, x.clone().requires_grad_()),
        (torch.ones(2, 3), torch.ones(3, 2)),
        (1, True),
        (1, 1.0),
        ([1, 2], (1, 2)),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),  # the order a dict is read in
        (g, torch.Generator().manual_seed(4)),
        (np.arange(3), np.arange(3.0)),
        (object(), object()),  # anything else: the call goes to the trusted side
    ]:
        assert not identical(a, b), (a, b)


def _toy() -> dict:
    """A forward that returns a cache (a token once it crosses), a backward that reads it, and
    a ``noise`` that draws from the global generator."""

    def forward(x):
        return x * 3, {"x": x}

    def backward(dout, cache):
        return dout * cache["x"]

    def noise(n):
        return torch.rand(n)

    return {"forward": forward, "backward": backward, "noise": noise}


SOURCE = """
import torch

def test_chain(impl):
    out, cache = impl.forward(torch.arange(3.0))
    out.add_(100)  # the test changes what it was given: the tape keeps what came back
    assert torch.equal(impl.backward(torch.ones(3), cache), torch.arange(3.0))

def test_draws(impl):
    a = impl.noise(2)
    b = impl.noise(2)
    assert not torch.equal(a, b)
"""


class Counting:
    """The dispatcher behind a worker's callbacks, counting what reaches it."""

    def __init__(self, replay=None):
        self.dispatcher = Dispatcher(_toy(), {"forward": 1}, replay=replay)
        self.replayed: list[int] = []

    def serve(self, name, args, kwargs, rng, replayed=0):
        self.replayed.append(replayed)
        # what a worker's call would carry: copies, decoded on the trusted side
        args, kwargs = harness._snapshot((args, kwargs), {})
        return self.dispatcher.serve(name, args, kwargs, rng, replayed)


@pytest.fixture
def loaded():
    harness._tapes.clear()
    harness.load(SOURCE, "test_toy.py")
    yield
    harness._tapes.clear()


def _run(serving, tape):
    harness.load(SOURCE, "test_toy.py")
    return run_cases(
        ["test_chain", "test_draws"], serving.serve, ["forward", "backward", "noise"], tape
    )


def test_a_second_run_that_calls_as_the_first_makes_no_round_trip(loaded):
    first = Counting()
    recorded = _run(first, ["record", 4])
    second = Counting(replay=first.dispatcher.calls_seen)
    replayed = _run(second, ["replay", 4])
    assert recorded == replayed == [{"outcome": "passed"}] * 2
    assert len(first.replayed) == 4 and second.replayed == []
    assert 4 not in harness._tapes  # a tape is answered from once


def test_from_the_first_call_that_differs_every_call_goes_to_the_dispatcher_caught_up():
    """The dispatcher serves again what the worker answered from the tape (here the forward,
    whose cache the backward reads), then answers as if it had seen every call."""
    first = Counting()
    caller = harness.Caller(first.serve, Tape())
    out, cache = caller("forward", (torch.arange(3.0),), {})
    caller("backward", (torch.ones(3), cache), {})
    tape = caller.tape
    second = Counting(replay=first.dispatcher.calls_seen)
    again = harness.Caller(second.serve, tape, replay=True)
    _, cache = again("forward", (torch.arange(3.0),), {})  # from the tape
    got = again("backward", (torch.full((3,), 2.0), cache), {})  # differs: sent, caught up
    assert second.replayed == [1] and torch.equal(got, torch.arange(3.0) * 2)
    assert torch.equal(again("forward", (torch.arange(3.0),), {})[0], torch.arange(3.0) * 3)
    assert second.replayed == [1, 1]  # after the first difference, never the tape again


def test_a_worker_that_claims_more_calls_than_a_tape_holds_gets_no_more_served(monkeypatch):
    from descent.testwriting import dispatch

    first = Counting()
    for n in range(4):
        first.serve("noise", [n], {}, torch.get_rng_state())
    monkeypatch.setattr(dispatch, "MAX_TAPE_CALLS", 2)
    second = Dispatcher(_toy(), replay=first.dispatcher.calls_seen)
    second.serve("noise", [1], {}, torch.get_rng_state(), 10**9)
    assert second.calls == 3  # the two a tape may hold, then the call itself


def test_a_tape_keeps_nothing_once_a_call_got_no_answer_or_the_caps_are_met(monkeypatch):
    def failing(*call):
        raise RuntimeError("the grader's function raised")

    caller = harness.Caller(failing, Tape())
    with pytest.raises(RuntimeError):
        caller("forward", (torch.ones(1),), {})
    assert caller.tape.closed and caller.tape.calls == []
    monkeypatch.setattr(harness, "MAX_TAPE_CALLS", 1)
    caller = harness.Caller(Counting().serve, Tape())
    caller("noise", (1,), {})
    caller("noise", (1,), {})
    assert len(caller.tape.calls) == 1 and caller.tape.closed


def test_loading_another_file_drops_the_tapes(loaded):
    _run(Counting(), ["record", 0])
    assert 0 in harness._tapes
    harness.load(SOURCE + "\n", "test_toy.py")
    assert harness._tapes == {}


# -- in a worker ---------------------------------------------------------------------------------
WRITTEN = """
import torch

def test_value(impl):
    assert impl.mse_forward(torch.ones(3), torch.zeros(3)).item() == 1.0

def test_first_seen(impl):
    # a setting the harness does not reset carries "a run came before" to the next run
    first = not torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    assert not first
    assert impl.mse_forward(torch.ones(3), torch.zeros(3)).item() == 1.0
"""


@pytest.fixture(scope="module")
def worker():
    import os

    from descent.isolation.manager import IsolationManager, Settings
    from descent.testwriting.runner import InWorker

    cpus, threads = os.sched_getaffinity(0), torch.get_num_threads()
    manager = IsolationManager(Settings(call_timeout=5.0))
    manager.colocate()  # as a grading runs it: the worker beside this process, on its CPU
    yield InWorker(manager)
    manager.close()
    os.sched_setaffinity(0, cpus)
    torch.set_num_threads(threads)


def test_in_a_worker_the_second_pass_reaches_no_dispatcher_and_still_finds_order_dependence(
    worker, monkeypatch
):
    from descent.testwriting import grading
    from descent.testwriting.declared import EXERCISES
    from descent.testwriting.grading import Subject, judge

    served = {"first": 0, "second": 0}

    class Watched(Dispatcher):
        def serve(self, name, args, kwargs, rng, replayed=0):
            served["second" if self.replay else "first"] += 1
            return super().serve(name, args, kwargs, rng, replayed)

    monkeypatch.setattr(grading, "Dispatcher", Watched)
    mse = {"mse_forward": lambda p, t: ((p - t) ** 2).mean(), "mse_backward": None}
    summed = {"mse_forward": lambda p, t: ((p - t) ** 2).sum(), "mse_backward": None}
    subjects = [
        Subject("right", grading.WHEAT, "averages", mse),
        Subject("sums", grading.CHAFF, "sums", summed, 1.0),
        Subject("right-again", grading.WHEAT, "averages too", mse),
    ]
    judged = judge(EXERCISES["losses.mse.tests"], WRITTEN, "test_mse.py", subjects, worker=worker)
    assert list(judged.refused) == ["test_first_seen"], judged.refused
    assert "depends on which implementations ran before it" in judged.refused["test_first_seen"]
    assert judged.failing("sums") == ["test_value"] and not judged.failing("right")
    # the first pass sent every call (test_first_seen failed before its call in the first
    # run); the second sent only the call that first run had not made
    assert served == {"first": 5, "second": 1}, served
