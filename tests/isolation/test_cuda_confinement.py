"""What a worker confined for CUDA may do beyond a CPU worker, and what stays refused.

The NVIDIA driver needs two things while it initialises (found on an H100, where a worker could
not start CUDA at all without them): an AF_UNIX socket, and writing the names of the threads it
starts under /proc/PID/task. A worker confined with ``cuda`` gets exactly these two; these tests
run on any Linux machine with Landlock and seccomp, GPU or not, because they check the filters
rather than the driver.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading

import pytest

from descent.isolation import confinement, server

from .forked import in_child, outcome

pytestmark = pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine",
)


def _socket(family: int, kind: int = socket.SOCK_STREAM):
    return lambda: socket.socket(family, kind).close()


def _write_thread_name() -> None:
    path = f"/proc/{os.getpid()}/task/{threading.get_native_id()}/comm"
    with open(path, "w") as f:
        f.write("renamed")


def _write_oom_score() -> None:
    with open(f"/proc/{os.getpid()}/oom_score_adj", "w") as f:
        f.write("1000")


def _fork() -> None:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - only if the filter failed
        os._exit(0)
    os.waitpid(pid, 0)


CHECKS = {
    "unix": _socket(socket.AF_UNIX),
    "unix_pair": lambda: [s.close() for s in socket.socketpair(socket.AF_UNIX)],
    "tcp": _socket(socket.AF_INET),
    "udp": _socket(socket.AF_INET, socket.SOCK_DGRAM),
    "tcp6": _socket(socket.AF_INET6),
    "netlink": _socket(socket.AF_NETLINK, socket.SOCK_RAW),
    "thread_name": _write_thread_name,
    "oom_score": _write_oom_score,
    "read_outside": lambda: open("/etc/hostname").read(),
    "fork": _fork,
}


def _confined(cuda: bool) -> dict:
    """Confine a forked child as a worker (CUDA or not) and report what each check met."""
    scratch = tempfile.mkdtemp(prefix="cuda-confine-")

    def check(keep: int) -> dict:
        server.confine({"scratch": scratch, "cuda": cuda, "namespaces": False}, keep=keep)
        return {name: outcome(attempt) for name, attempt in CHECKS.items()}

    try:
        return in_child(check)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)  # one a run was left behind before


def test_a_cuda_worker_gets_unix_sockets_and_its_thread_names_only():
    seen = _confined(cuda=True)
    assert "error" not in seen, seen
    assert seen["unix"] == seen["unix_pair"] == seen["thread_name"] == "allowed", seen
    assert {seen[k] for k in ("tcp", "udp", "tcp6", "netlink")} == {"EACCES"}, seen
    assert seen["oom_score"] != "allowed" and seen["read_outside"] != "allowed", seen
    assert seen["fork"] == "EAGAIN", seen


def test_a_cpu_worker_gets_neither():
    seen = _confined(cuda=False)
    assert "error" not in seen, seen
    assert seen["unix"] == seen["unix_pair"] == "EACCES", seen
    assert seen["thread_name"] != "allowed" and seen["oom_score"] != "allowed", seen
    assert seen["tcp"] == "EACCES" and seen["fork"] == "EAGAIN", seen
