"""Workers started ahead of need (``IsolationManager.prestart``): a grading starts them while it
collects, and its first tests take them instead of starting their own. A spare serves only a
connection that loads what it was started for, in the process (the side of a split grading) it
was started for; one that cannot serve is stopped and replaced as if it had never been; and
none outlives the grading."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import torch

from descent.isolation import confinement
from descent.isolation.connection import Connection
from descent.isolation.remote import WorkerImplementation

SOLUTIONS = str(Path(__file__).resolve().parents[2] / "solutions")

pytestmark = pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine",
)


def _started(manager, keys, sides=1) -> list:
    manager.want_spares(keys, sides)
    manager.prestart()
    assert manager.wanted == []
    return [worker for _, _, worker in manager.spares]


def _gone(worker) -> bool:
    try:
        os.kill(worker.pid, 0)
    except ProcessLookupError:
        return True
    return worker.server.status(worker.pid).get("running") is False


def test_a_spare_serves_the_first_connection_that_loads_what_it_was_started_for(manager):
    impl = WorkerImplementation("remote", manager, folder=SOLUTIONS)
    (spare,) = _started(manager, [impl.conn.key, (None, None, ())])[:1]
    x = torch.randn(4, 3, dtype=torch.float64)
    try:
        loss = impl.losses.mse_forward(x, torch.zeros_like(x))[0]
        assert impl.conn.process is spare  # taken, not started anew
        assert torch.allclose(loss, (x**2).mean())
        assert any(a.startswith("seccomp") for a in impl.conn.applied)  # confined as any worker
        if manager.cpu is not None:  # pinned beside this process, as a worker it starts
            assert os.sched_getaffinity(spare.pid) == {manager.cpu}
        # the other spare is for a connection that loads nothing of the submission
        assert [key for key, _, _ in manager.spares] == [(None, None, ())]
    finally:
        impl.close()
        manager.drop_spares()


def test_a_spare_taken_by_a_process_that_is_not_pinned_is_not_pinned_either():
    """With ``--worker-cpu any`` a worker goes where the scheduler puts it: a spare, which
    confined itself on one CPU, is given back every CPU the fork server may use."""
    from descent.isolation.manager import IsolationManager, Settings

    loose = IsolationManager(Settings(call_timeout=5.0, colocate=False))
    try:
        impl = WorkerImplementation("remote", loose, folder=SOLUTIONS)
        (spare,) = _started(loose, [impl.conn.key])
        x = torch.ones(2, dtype=torch.float64)
        impl.losses.mse_forward(x, x)
        assert impl.conn.process is spare and loose.cpu is None
        assert os.sched_getaffinity(spare.pid) == os.sched_getaffinity(spare.server.proc.pid)
        impl.close()
    finally:
        loose.close()


def test_the_spares_of_the_other_side_are_left_to_it(manager):
    """What the original of a split grading does once the copy is made: the copy's spares are
    the copy's to use and stop; this process only closes its descriptors of them."""
    key = (SOLUTIONS, None, ())
    mine, theirs = _started(manager, [key], sides=2)
    try:
        manager.take_side(0)
        assert [worker for _, _, worker in manager.spares] == [mine]
        assert theirs.sock.fileno() == -1 and theirs not in theirs.server.workers
        assert not _gone(theirs)  # still running, for the copy
    finally:
        theirs.kill()  # the copy's part, done here
        manager.drop_spares()
    assert _gone(mine) and _gone(theirs) and manager.spares == []


def test_a_spare_that_died_before_it_was_taken_is_replaced(manager):
    impl = WorkerImplementation("remote", manager, folder=SOLUTIONS)
    (spare,) = _started(manager, [impl.conn.key])
    os.kill(spare.pid, signal.SIGKILL)
    try:
        x = torch.randn(3, dtype=torch.float64)
        assert torch.allclose(impl.losses.mse_forward(x, x)[0], torch.zeros((), dtype=x.dtype))
        assert impl.conn.process is not spare and not spare.alive
        assert manager.spares == []
    finally:
        impl.close()


def test_a_spare_that_cannot_be_started_is_left_to_the_first_test(manager, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the fork server said no")

    monkeypatch.setattr(manager, "_spawn", broken)
    manager.want_spares([(SOLUTIONS, None, ())], 2)
    manager.prestart()  # never raises: the first test meets the problem, and says so
    assert manager.spares == [] and manager.wanted == []


def test_spares_are_started_in_order_until_it_is_enough(manager):
    """The modules' spares of both processes first, then the tests'; once collection has ended
    (``enough``), no more: what is left starts when first needed."""
    modules, tests = (SOLUTIONS, None, ()), (None, None, ())
    manager.want_spares([modules, tests], 2)
    assert manager.wanted == [(modules, 0), (modules, 1), (tests, 0), (tests, 1)]
    started = []
    manager.prestart(lambda: len(started) == 2 or started.append(1))
    try:
        assert [(key, side) for key, side, _ in manager.spares] == [(modules, 0), (modules, 1)]
    finally:
        manager.drop_spares()


def test_a_connection_s_key_is_what_its_worker_loads_and_may_read(manager):
    conn = Connection("c", manager, folder="f", variant={"id": "v"}, read_extra=["x"])
    assert conn.key == ("f", {"id": "v"}, ("x",))
