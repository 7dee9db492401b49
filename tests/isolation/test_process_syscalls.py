"""A confined worker cannot touch any process but itself, as root or as an ordinary user.

Before these rules a submission's worker lowered its fork server's address-space limit with
``prlimit64``, reniced it to 19 and gave it ``SCHED_IDLE``: the next honest submissions graded by
that server crashed with ``MemoryError`` (80/80 became 0/80, recorded as graded). With ``-j 2``
a worker found the other job's workers by reading their limits and capped them too. Each case
here confines a forked child exactly as a worker is confined and aims every call that names
another process at a bystander of the same uid (the fork server's place), then checks the
bystander's limits, nice value, scheduler, CPUs and I/O class from outside. The worker's own
process stays its own to change.
"""

from __future__ import annotations

import ctypes
import os
import resource
import shutil
import signal
import struct
import tempfile
import time
from pathlib import Path

import pytest

from descent.isolation import confinement, server
from descent.isolation.syscalls import NR

from .forked import in_child, outcome

pytestmark = pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine (Landlock and seccomp needed)",
)

NOBODY = 65534
WORKER_UID = 61998
IOPRIO_WHO_PROCESS, IOPRIO_WHO_USER, IOPRIO_CLASS_IDLE = 1, 3, 3
SCHED_ATTR_IDLE = struct.pack("<IIQiIQQQ", 48, os.SCHED_IDLE, 0, 0, 0, 0, 0, 0)
AT_EMPTY_PATH = 0x1000
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _syscall(name: str, *args) -> int:
    result = _libc.syscall(NR[name], *args)  # the x86_64 numbers
    if result < 0:
        raise OSError(ctypes.get_errno(), name)
    return result


def _cpu_clock(pid: int) -> int:
    """The clock id of process ``pid``'s CPU time (what ``clock_getcpuclockid`` returns)."""
    return (~pid << 3) | 2


def _shared_memory() -> None:
    """A System V segment: without an IPC namespace, one that every process of the uid can
    attach (removed again at once where the call is still allowed)."""
    segment = _syscall("shmget", 0, 4096, 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600
    _syscall("shmctl", segment, 0, None)  # IPC_RMID


def _on_others(target: int, uid_wide: bool) -> dict:
    """Every call that reads or changes another process's limits, priority, scheduling or I/O
    class, aimed at ``target``; ``uid_wide`` adds those that hit every process of the uid."""
    buf = ctypes.create_string_buffer(64)
    head, size = ctypes.c_void_p(), ctypes.c_size_t()
    attacks = {
        "prlimit64 set": lambda: resource.prlimit(target, resource.RLIMIT_AS, (1 << 20, 1 << 20)),
        "prlimit64 read": lambda: resource.prlimit(target, resource.RLIMIT_AS),
        "setpriority": lambda: os.setpriority(os.PRIO_PROCESS, target, 19),
        "getpriority": lambda: os.getpriority(os.PRIO_PROCESS, target),
        "setpriority group": lambda: os.setpriority(os.PRIO_PGRP, target, 19),
        "sched_setscheduler": lambda: os.sched_setscheduler(
            target, os.SCHED_IDLE, os.sched_param(0)
        ),
        "sched_setparam": lambda: os.sched_setparam(target, os.sched_param(0)),
        "sched_setattr": lambda: _syscall("sched_setattr", target, SCHED_ATTR_IDLE, 0),
        "sched_setaffinity": lambda: os.sched_setaffinity(target, {min(os.sched_getaffinity(0))}),
        "sched_getscheduler": lambda: os.sched_getscheduler(target),
        "sched_getparam": lambda: os.sched_getparam(target),
        "sched_getaffinity": lambda: os.sched_getaffinity(target),
        "sched_getattr": lambda: _syscall("sched_getattr", target, buf, 48, 0),
        "sched_rr_get_interval": lambda: os.sched_rr_get_interval(target),
        "ioprio_set": lambda: _syscall(
            "ioprio_set", IOPRIO_WHO_PROCESS, target, IOPRIO_CLASS_IDLE << 13
        ),
        "ioprio_get": lambda: _syscall("ioprio_get", IOPRIO_WHO_PROCESS, target),
        "getpgid": lambda: os.getpgid(target),
        "getsid": lambda: os.getsid(target),
        "get_robust_list": lambda: _syscall(
            "get_robust_list", target, ctypes.byref(head), ctypes.byref(size)
        ),
        "cpu clock": lambda: time.clock_gettime(_cpu_clock(target)),
        "memfd_create": lambda: os.close(os.memfd_create("payload")),
        "execveat": lambda: _syscall("execveat", -1, b"", None, None, AT_EMPTY_PATH),
        "shmget": _shared_memory,
    }
    if uid_wide:  # every process of the worker's uid: the fork server's too, where it shares it
        attacks["setpriority user"] = lambda: os.setpriority(os.PRIO_USER, 0, 19)
        attacks["ioprio_set user"] = lambda: _syscall(
            "ioprio_set", IOPRIO_WHO_USER, 0, IOPRIO_CLASS_IDLE << 13
        )
    return {name: outcome(fn) for name, fn in attacks.items()}


def _on_itself() -> dict:
    """What a worker may still do to itself (torch, numpy and the standard library do some)."""
    me = os.getpid()
    checks = {
        "own prlimit": lambda: resource.prlimit(0, resource.RLIMIT_NOFILE),
        "own prlimit by pid": lambda: resource.prlimit(me, resource.RLIMIT_CORE, (0, 0)),
        "own setrlimit": lambda: resource.setrlimit(resource.RLIMIT_CORE, (0, 0)),
        "own nice": lambda: os.setpriority(  # lower only: raising it needs a capability
            os.PRIO_PROCESS, 0, min(19, os.getpriority(os.PRIO_PROCESS, 0) + 1)
        ),
        "own nice by pid": lambda: os.getpriority(os.PRIO_PROCESS, me),
        "own affinity": lambda: os.sched_setaffinity(0, os.sched_getaffinity(me)),
        "own scheduler": lambda: os.sched_getscheduler(0),
        "own cpu time": lambda: (time.process_time(), time.clock_gettime(_cpu_clock(0))),
        "own cpu time by pid": lambda: time.clock_gettime(_cpu_clock(me)),
        "own ioprio": lambda: _syscall("ioprio_get", IOPRIO_WHO_PROCESS, 0),
        "own process group": lambda: (os.getpgid(0), os.getsid(0)),
    }
    return {name: outcome(fn) for name, fn in checks.items()}


def _state(pid: int) -> dict:
    """What the attacks try to change, read from outside."""
    limits = Path(f"/proc/{pid}/limits").read_text()
    return {
        "limits": limits,
        "nice": os.getpriority(os.PRIO_PROCESS, pid),
        "policy": os.sched_getscheduler(pid),
        "cpus": sorted(os.sched_getaffinity(pid)),
        "ioprio": _syscall("ioprio_get", IOPRIO_WHO_PROCESS, pid),
    }


def _bystander() -> int:
    """A process that only sleeps (the fork server's place), of this process's uid."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.closerange(3, 1 << 16)  # the report's pipe among them: the parent waits for its end
        os.setsid()
        signal.pause()
        os._exit(0)
    return pid


LANES = ["root", "root, worker uid", "ordinary user"]


@pytest.fixture
def scratch():
    confinement.interpreter_paths()  # its lazy imports, done while the interpreter is reachable
    """A folder another uid can write (pytest's own temporary folder is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="descent-process-"))
    os.chmod(path, 0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("lane", LANES)
def test_a_worker_cannot_read_or_change_another_process(scratch, lane):
    if os.geteuid() != 0 and lane != "ordinary user":
        pytest.skip("not root: the ordinary-user lane is this run's own uid")
    uid = NOBODY if lane == "ordinary user" and os.geteuid() == 0 else None
    worker_uid = WORKER_UID if lane == "root, worker uid" else None
    # The uid-wide calls are tried only where that uid has no other process: as plain root
    # they would renice every root process of the machine if a rule were missing.
    uid_wide = lane != "root"
    victims = []

    def attempt(keep: int) -> dict:
        if uid is not None:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        target = _bystander()
        before = _state(target)  # read now: Landlock hides other processes' /proc once confined
        config = {"scratch": str(scratch), "namespaces": uid is None}
        if worker_uid is not None:
            os.chown(scratch, worker_uid, worker_uid)
            config["uid"] = config["gid"] = worker_uid
        applied = server.confine(config, keep=keep)["applied"]
        return {
            "target": target,
            "before": before,
            "others": _on_others(target, uid_wide),
            "itself": _on_itself(),
            "applied": applied,
        }

    report = {}
    try:
        report = in_child(attempt)
        assert "error" not in report, report
        victims.append(report["target"])
        after = _state(report["target"])
    finally:
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
    got_through = {k: v for k, v in report["others"].items() if v != "EPERM"}
    assert not got_through, f"calls on another process not refused: {got_through}"
    refused = {k: v for k, v in report["itself"].items() if v != "allowed"}
    assert not refused, f"calls on the worker itself refused: {refused}"
    assert after == report["before"], (report["before"], after)
