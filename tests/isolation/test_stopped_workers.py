"""A worker stopped without waiting (``WorkerProcess.kill(wait=False)``, the write-the-tests
worker at a session's end): the kill is sent at once, its teardown may run on any CPU its
fork server may use, and the rest (its end, its folder and cgroup) is finished by the next
``kill()``, the manager's ``reap`` (a split grading's copy, before it exits) or the fork
server's close."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from descent.isolation import confinement

SOLUTIONS = str(Path(__file__).resolve().parents[2] / "solutions")

pytestmark = pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine",
)


def _stopped(manager):
    worker = manager._spawn(None, None, ())
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})  # as a grading pins itself beside its workers
    try:
        worker.kill(wait=False)
    finally:
        os.sched_setaffinity(0, cpus)
    return worker


def test_a_worker_stopped_without_waiting_is_finished_by_the_manager_s_reap(manager):
    worker = _stopped(manager)
    assert not worker.alive and worker.cpu_seconds() is None
    assert worker in manager.server.workers  # not reaped yet: its folder is still there
    assert Path(worker.scratch).exists()
    try:
        assert os.sched_getaffinity(worker.pid) == manager.server.cpus()  # its fork server's
    except ProcessLookupError:  # already torn down
        pass
    manager.reap()
    assert worker not in manager.server.workers and not Path(worker.scratch).exists()
    assert worker.cgroup is None or not any(Path(d).exists() for d in worker.cgroup.dirs.values())
    with pytest.raises(ProcessLookupError):  # ended, and collected by the fork server
        os.kill(worker.pid, 0)
    assert worker.kill() is None  # killed by us: no reason of its own, and nothing left to do


def test_the_fork_server_s_close_finishes_a_worker_stopped_without_waiting(manager):
    worker = _stopped(manager)
    manager.close()
    assert not Path(worker.scratch).exists() and worker not in worker.server.workers


def test_the_end_of_a_run_weighs_each_worker_s_failures_then_stops_it_without_waiting(manager):
    """``plugin_workers.finish`` (a grading's last step before its results): each worker still
    running has its ledgers settled (their weighing may call into it), then is stopped without
    waiting, torn down while the results are built; the fork server's close finishes it."""
    import torch

    from descent.diagnoses.ledger import Ledger
    from descent.grading import plugin_workers
    from descent.isolation.remote import WorkerImplementation

    impl = WorkerImplementation("remote", manager, folder=SOLUTIONS)
    x = torch.randn(3, dtype=torch.float64)
    assert torch.equal(impl.losses.mse_forward(x, x)[0], torch.zeros((), dtype=x.dtype))
    worker = impl.conn.process
    ledgers = {("remote", "losses.mse"): Ledger("losses.mse"), ("other", "losses.mse"): Ledger()}
    try:
        plugin_workers.finish([impl], ledgers, None)
        assert list(ledgers) == [("other", "losses.mse")]  # its own settled, the other's kept
        assert impl.conn.process is None and not worker.alive
        assert worker in manager.server.workers  # left to the fork server's close
    finally:
        impl.close()
    manager.reap()
    assert worker not in manager.server.workers and not Path(worker.scratch).exists()
