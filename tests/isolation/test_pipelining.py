"""Pipelined worker requests: results that stay in the worker are not waited for, and behave
exactly as synchronous ones (values, exceptions, time limits, type changes)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from descent.calls import timelimit
from descent.calls.impl import FolderImplementation
from descent.isolation import confinement
from descent.isolation.manager import IsolationManager, Settings
from descent.isolation.remote import RemoteException, WorkerFailure, WorkerImplementation

KIT = Path(__file__).resolve().parents[2]
SOLUTIONS = KIT / "solutions"

pytestmark = [
    pytest.mark.skipif(
        not (confinement.landlock_abi() and confinement.seccomp_available()),
        reason="no confinement on this machine",
    ),
    pytest.mark.skipif(not (SOLUTIONS / "autograd.py").exists(), reason="no autograd exercise"),
]


@pytest.fixture(scope="module")
def manager():
    m = IsolationManager(Settings(call_timeout=3.0))
    yield m
    m.close()


def _chain(Value, n):
    x = Value(0.3)
    y = x
    for i in range(n):
        y = (
            (y * 1.05)
            if i % 4 == 0
            else (y + x)
            if i % 4 == 1
            else y.tanh()
            if i % 4 == 2
            else (y - 0.01)
        )
    y.backward()
    return y.data, x.grad


def test_a_chain_costs_few_round_trips_and_gives_the_same_values(manager):
    impl = WorkerImplementation("pipe", manager, folder=str(SOLUTIONS))
    local = FolderImplementation(SOLUTIONS, "local")
    before = impl.requests
    assert _chain(impl.autograd.Value, 1000) == _chain(local.autograd.Value, 1000)
    assert impl.requests - before < 40 and impl.pipelined > 900
    impl.close()


def test_queued_requests_leave_as_one_batch_that_only_holds_pipelined_requests(manager):
    impl = WorkerImplementation("batch", manager, folder=str(SOLUTIONS))
    Value = impl.autograd.Value
    x = Value(0.5)
    x * 2.0 + 1.0  # synchronous: learns that both return a Value
    y = x * 2.0 + 1.0  # queued: two pipelined requests
    assert [r["op"] for r in impl.conn.pipeline.queue] == ["apply", "apply"]
    assert y.data == 2.0  # the batch, then the read
    with pytest.raises(WorkerFailure, match="protocol"):  # a reply would be expected
        impl.conn.request({"op": "batch", "reqs": [{"op": "ping", "id": 10**6}]})
    impl.close()


def _student(tmp_path, source: str) -> Path:
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "autograd.py").write_text(source)
    return sub


SOURCE = """
import time

class Value:
    def __init__(self, data):
        self.data = data
        self.grad = 0.0
    def __add__(self, other):
        o = other.data if isinstance(other, Value) else other
        if o == 13:
            raise ValueError("thirteen is unlucky")
        while o == 99:  # works forever
            pass
        if o == 7:
            return self.data + o          # a plain float, unlike every other addition
        return Value(self.data + o)
"""


def test_a_deferred_error_has_the_same_type_and_message(manager, tmp_path):
    impl = WorkerImplementation("err", manager, folder=str(_student(tmp_path, SOURCE)))
    Value = impl.autograd.Value
    a = Value(1.0)
    b = a + 1.0  # synchronous: learns that Value + float gives a Value
    c = b + 2.0
    assert impl.pipelined >= 1
    d = c + 13.0  # pipelined: fails in the worker
    e = d + 1.0  # skipped there, as it would never run in-process
    with pytest.raises(ValueError, match="thirteen is unlucky") as info:
        e.data
    assert isinstance(info.value, RemoteException)
    assert a.data == 1.0 and c.data == 4.0  # the worker still serves the test
    with pytest.raises(ValueError, match="thirteen is unlucky"):
        d.data  # the failed result raises its error again when used
    f = c + 7.0  # predicted a Value, got a float: corrected
    assert float(f) == 11.0 and f._type == "float"  # corrected at the next reply
    g = c + 7.0  # that shape is now synchronous again: plain data
    assert g == 11.0 and type(g) is float
    impl.close()


def test_a_pipelined_hang_hits_the_time_limit_and_a_fresh_worker_follows(
    manager, tmp_path, monkeypatch
):
    monkeypatch.setattr(manager, "call_timeout", 1.0)
    impl = WorkerImplementation("hang", manager, folder=str(_student(tmp_path, SOURCE)))
    Value = impl.autograd.Value
    a = Value(1.0)
    a + 1.0
    b = a + 99.0  # pipelined, loops in the worker
    started = time.monotonic()
    with pytest.raises(WorkerFailure, match="time limit exceeded"):
        b.data
    assert time.monotonic() - started < 2 * timelimit.WALL_FACTOR
    impl.begin_test("next")
    assert impl.autograd.Value(2.0).data == 2.0
    assert [e["kind"] for e in impl.events] == ["timeout"]
    impl.close()
