"""A worker stopped without waiting (``WorkerProcess.kill(wait=False)``, the write-the-tests
worker at a session's end): the kill is sent at once, its teardown may run on any CPU the
process started with, and the rest (its end, its folder and cgroup) is finished by the next
``kill()``, the manager's ``reap`` (a split grading's copy, before it exits) or the fork
server's close."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from descent.isolation import confinement, pool

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
        spread = os.sched_getaffinity(worker.pid)
    except ProcessLookupError:  # already torn down
        spread = pool._START_CPUS
    assert spread == pool._START_CPUS
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
