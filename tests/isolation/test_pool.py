"""Starting the fork server and its workers (:mod:`descent.isolation.pool`), the parts read
without one: how a worker's end is told, and a process's state."""

from __future__ import annotations

import os
import signal

import pytest

from descent.isolation import pool

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (None, "the worker stopped answering"),
        ({"running": True}, "the worker stopped answering"),
        ({"unknown": True}, "the worker stopped answering"),
        ({"signal": signal.SIGXCPU}, "worker used up its CPU time"),
        ({"signal": signal.SIGKILL}, "worker was killed (SIGKILL: memory or CPU limit)"),
        ({"signal": signal.SIGSEGV}, "worker crashed (signal SIGSEGV)"),
        ({"signal": 200}, "worker crashed (signal 200)"),
        ({"exit": 3}, "student process exited (status 3)"),
    ],
)
def test_how_a_worker_ended_is_told_in_words(status, reason):
    assert pool._describe(status, None) == reason


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="Linux's /proc only")
def test_the_state_of_a_process_and_of_one_that_is_gone():
    assert pool._state(os.getpid()) in ("R", "S")
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os._exit(0)
    while pool._state(pid) not in ("Z", None):  # a child that ended, not yet waited for
        os.sched_yield()
    assert pool._state(pid) == "Z"
    os.waitpid(pid, 0)
    assert pool._state(pid) is None


def test_isolation_unavailable_is_a_runtime_error():
    assert issubclass(pool.IsolationUnavailable, RuntimeError)
