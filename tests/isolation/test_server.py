"""The fork server (:mod:`descent.isolation.server`): its answers to control messages."""

from __future__ import annotations

import os

import pytest

pytestmark = [
    pytest.mark.fast,  # the fast lane: ./dev test --fast
    pytest.mark.skipif(
        not hasattr(os, "fork") or not os.path.exists("/proc/self/ns"),
        reason="Linux only (the fork server forks)",
    ),
]


def test_the_fork_server_forks_one_probe_child_per_configuration(monkeypatch):
    """A server lent to one grading after another answers a repeated probe from what it
    found the first time, without forking another probe child."""
    import json

    from descent.isolation import server

    forked = []
    monkeypatch.setattr(server, "probe_child", lambda config: forked.append(config) or {"ok": 1})
    probes: dict = {}

    def ask(config: dict) -> dict:
        message = json.dumps({"op": "probe", "config": config}).encode()
        return server._answer(None, message, [], {}, {}, {}, probes)

    assert ask({"userns": True}) == ask({"userns": True}) == {"probe": {"ok": 1}}
    ask({"userns": False})
    assert [c["userns"] for c in forked] == [True, False]


def test_the_collector_rests_during_the_preload_and_is_on_for_the_workers():
    done = _with_the_server_module(
        "import gc\nseen = []\nserver._preload = lambda: seen.append(gc.isenabled())\n"
        "server._start()\nprint(seen, gc.isenabled())"
    )
    assert done.stdout.strip() == "[False] True", done.stderr[-2000:]


def _with_the_server_module(code: str):
    """``code`` run in a fresh interpreter, the fork server's module imported as ``server``."""
    import subprocess
    import sys

    code = f"from descent.isolation import server\n{code}"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_the_caller_s_preload_is_imported_after_the_server_s_own_and_a_failure_is_named():
    """What the caller names (``ForkServer(preload)``) is in the server, hence in every worker
    it forks; a module that cannot be imported is named in the hello, not fatal."""
    done = _with_the_server_module(
        "import sys\nserver._preload = lambda: None\n"
        "hello = server._start(['colorsys', 'descent_no_such_module'])\n"
        "print('colorsys' in sys.modules, hello['preload_failed'], hello.get('error'))",
    )
    assert done.stdout.strip() == "True ['descent_no_such_module'] None", done.stderr[-2000:]


def test_a_grading_s_fork_server_preloads_what_a_student_s_test_file_imports(monkeypatch):
    """``descent grade`` and the grading plugin start the server with pytest and numpy.random
    preloaded: each worker that runs a student's test file finds them loaded (about 0.08 s
    less per worker)."""
    from descent.grading import plugin_workers
    from descent.isolation import manager

    warmed = []

    class Manager:
        def warm(self, preload=()):
            warmed.append(preload)

    monkeypatch.setattr(manager, "shared", lambda settings=None: Manager())
    plugin_workers.start_early("auto", ["some/submission"])
    assert warmed == [("pytest", "numpy.random")] == [plugin_workers.WORKER_PRELOAD]


def test_a_fork_server_closed_without_waiting_ends_by_itself():
    """``close(wait=False)``, the end of a grading, tells the server to exit without waiting
    for its teardown (about 20 ms, docs/explanation/isolation/): the server must still end by
    itself, with status 0, its folder gone."""
    import time

    from descent.isolation.pool import ForkServer

    server = ForkServer()
    server.hello()
    proc, base = server.proc, server.base
    server.close(wait=False)
    assert not base.exists()
    deadline = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.returncode == 0


def test_a_worker_s_cpu_time_is_read_from_its_cpu_clock_until_it_is_marked_dead():
    """``WorkerProcess.cpu_seconds`` reads another process's CPU-time clock: it grows while
    that process computes, and none is read once the worker is marked dead (a pid may be
    reused) or once the process has gone."""
    import subprocess
    import sys
    import time

    from descent.isolation.pool import WorkerProcess

    spin = "import time\nend = time.process_time() + 0.2\nwhile time.process_time() < end: pass\n"
    child = subprocess.Popen([sys.executable, "-c", spin + "input()"], stdin=subprocess.PIPE)
    try:
        worker = object.__new__(WorkerProcess)  # the child stands in for a worker
        worker.pid, worker.alive = child.pid, True
        first = worker.cpu_seconds()
        assert first is not None
        deadline = time.monotonic() + 30
        while worker.cpu_seconds() < first + 0.1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert first + 0.1 <= worker.cpu_seconds() < 30
        worker.alive = False
        assert worker.cpu_seconds() is None
        worker.alive = True
    finally:
        child.communicate(b"\n", timeout=30)
    assert worker.cpu_seconds() is None  # reaped: no such process


def test_a_worker_that_cannot_be_confined_is_reported_as_such(tmp_path):
    """A worker whose first frame says it could not confine itself is killed and reported
    with that reason (its start ends before anything was read from /proc)."""
    import socket
    import subprocess
    import types

    from descent.isolation import protocol
    from descent.isolation.limits import Limits
    from descent.isolation.manager import IsolationUnavailable
    from descent.isolation.pool import WorkerProcess

    ours, theirs = socket.socketpair()
    stand_in = subprocess.Popen(["sleep", "30"], start_new_session=True)
    protocol.send_frame(theirs, {"fatal": "landlock_restrict_self: EPERM"})
    server = types.SimpleNamespace(
        base=tmp_path,
        workers=[],
        spawn=lambda config: (ours, stand_in.pid),
        status=lambda pid, wait=0.0: {"running": False, "signal": 9},
        cpus=lambda: os.sched_getaffinity(0),
    )
    try:
        with pytest.raises(IsolationUnavailable, match="could not be confined: landlock"):
            WorkerProcess(server, {}, Limits(), use_cgroup=False)
    finally:
        stand_in.kill()
        stand_in.wait()
        theirs.close()
    assert server.workers == []


def test_letting_go_of_a_worker_closes_this_process_s_descriptors_only():
    """What a forked copy of the grading process does with the original's worker: its socket
    is closed here, and the worker is not marked dead (nor killed)."""
    import socket

    from descent.isolation.pool import WorkerProcess

    worker = object.__new__(WorkerProcess)
    worker.pid, worker.alive = os.getpid(), True
    worker.sock, other_end = socket.socketpair()
    worker.let_go()
    assert worker.sock.fileno() == -1 and worker.alive and worker.cpu_seconds() is not None
    assert other_end.recv(1) == b""  # the other end sees this side closed
    other_end.close()
