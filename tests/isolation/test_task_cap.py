"""A confined worker starts at most 63 threads besides its own, as root and as an ordinary user.

Before, only root's workers were capped (the cgroup's ``pids.max`` and a uid of their own); an
ordinary user's worker could start about 30,000 threads in its 4 GiB of address space (64 KiB
stacks), enough to use up the host's process ids for every user. Each lane here confines a
forked child as a worker would be confined (``server.confine``) and starts up to 200 threads
with small stacks: a small number, never enough to trouble the host.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest

from descent.isolation import confinement, server, task_cap

from .forked import in_child

pytestmark = pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine (Landlock and seccomp needed)",
)

NOBODY = 65534
WORKER_UID = 61997  # near the top of the leased range (gradings take the first free uid)
TRIES = 200
PR_SET_DUMPABLE = 4


def _threads_started() -> int:
    """Start up to ``TRIES`` threads that wait, count those that started, then end them all."""
    threading.stack_size(64 << 10)
    stop, started = threading.Event(), []
    try:
        for _ in range(TRIES):
            thread = threading.Thread(target=stop.wait, daemon=True)
            thread.start()
            started.append(thread)
    except RuntimeError:  # "can't start new thread": EAGAIN from clone
        pass
    stop.set()
    for thread in started:
        thread.join()
    return len(started)


def _become(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    # A process that changed its uid is not dumpable, and then its /proc/self files (uid_map)
    # belong to root; one started by the user (a real batch) is dumpable.
    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)


def _bystanders(uid: int, n: int) -> list[int]:
    """``n`` sleeping processes of ``uid``: other work of the grader's user."""
    pids = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            os.closerange(3, 1 << 16)
            _become(uid)
            threading.Event().wait(60)
            os._exit(0)
        pids.append(pid)
    return pids


LANES = {
    "root, worker uid": dict(namespaces=True, uid=WORKER_UID, gid=WORKER_UID),
    "ordinary user, user namespace": dict(namespaces=True, userns=True),
    "ordinary user, no user namespace": dict(namespaces=False),
}


@pytest.fixture
def scratch():
    confinement.interpreter_paths()  # its lazy imports, done while the interpreter is reachable
    path = Path(tempfile.mkdtemp(prefix="descent-threads-"))  # pytest's own is private to root
    os.chmod(path, 0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("lane", LANES)
def test_a_worker_starts_at_most_63_threads_besides_its_own(scratch, lane):
    if os.geteuid() != 0:
        pytest.skip("needs root to act as the worker's uid and as an ordinary user")
    if lane == "ordinary user, user namespace" and not confinement.user_namespaces_allowed():
        pytest.skip("this kernel refuses unprivileged user namespaces")
    others = _bystanders(NOBODY, 12) if lane.startswith("ordinary") else []

    def attempt(keep: int) -> dict:
        if lane.startswith("ordinary"):
            _become(NOBODY)
        # No address-space limit here, where threads are the subject: this child is a fork of
        # the test process, whose address space depends on what the tests before it did (on an
        # H200, once a test had asked torch for CUDA, a flat 4 GiB left no room for one stack).
        config = dict(LANES[lane], scratch=str(scratch), limits={"address_space": None})
        if "uid" in config:
            os.chown(scratch, WORKER_UID, WORKER_UID)
        applied = server.confine(config, keep=keep)["applied"]
        return {"applied": applied, "started": _threads_started()}

    try:
        report = in_child(attempt)
    finally:
        for pid in others:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    assert "error" not in report, report
    assert ("userns" in report["applied"]) == ("userns" in LANES[lane]), report
    assert report["started"] == 63, report  # 64 tasks with its own first thread


def test_the_cap_without_a_user_namespace_counts_the_users_tasks():
    """Where no user namespace can be had, the kernel counts every task of the grader's user:
    the limit is the number of its other tasks when the worker starts, plus the cap."""
    if os.geteuid() != 0:
        pytest.skip("needs root to act as an ordinary user")
    others = _bystanders(NOBODY, 5)
    try:
        seen = in_child(lambda _: {"tasks": task_cap.tasks_of(NOBODY)})
        assert seen["tasks"] >= 5, seen
        assert task_cap.nproc(64, own_uid=False, userns=True) == 64
        assert task_cap.nproc(64, own_uid=True, userns=False) == 64
        assert task_cap.nproc(64, own_uid=False, userns=False) is None  # uid 0: exempt
    finally:
        for pid in others:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
