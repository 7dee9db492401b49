"""A module's import out of time costs one limit in a grading, however many workers it has:
the record the grading processes share (descent.isolation.import_limits)."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from descent.calls.impl import SubmissionError
from descent.isolation import confinement
from descent.isolation.import_limits import ImportLimits
from descent.isolation.manager import IsolationManager, Settings
from descent.isolation.remote import WorkerImplementation

LIMIT = 0.5  # seconds: the smallest call limit that leaves a worker's own start well inside it


def test_a_record_is_found_only_for_the_same_module_and_bytes(tmp_path):
    limits = ImportLimits(tmp_path / "limits")
    limits.record("activations", b"while True: pass\n", "activations.py could not be imported")
    assert limits.find("activations", b"while True: pass\n") == (
        "activations.py could not be imported"
    )
    assert limits.find("activations", b"while True:  pass\n") is None  # the student changed it
    assert limits.find("layers", b"while True: pass\n") is None
    assert limits.modules() == {"activations"}
    assert not [p for p in (tmp_path / "limits").iterdir() if p.name.startswith(".writing")]
    assert (tmp_path / "limits").stat().st_mode & 0o077 == 0  # the grader's alone


def test_a_second_importer_waits_for_the_first_ones_outcome(tmp_path):
    limits = ImportLimits(tmp_path / "limits")
    seen: list[str | None] = []

    def second() -> None:
        with limits.importing("activations"):
            seen.append(limits.find("activations", b"x"))

    with limits.importing("activations"):
        waiting = threading.Thread(target=second)
        waiting.start()
        time.sleep(0.1)
        assert seen == []  # still waiting on the first
        limits.record("activations", b"x", "out of time")
    waiting.join(5)
    assert seen == ["out of time"]


def _looping(tmp_path) -> tuple[IsolationManager, WorkerImplementation]:
    """A submission laid out as intake lays one out, whose ``activations.py`` loops at line 3
    and whose ``layers.py`` imports it; its implementation with the grading's record."""
    sub = tmp_path / "taken" / "submission"
    sub.mkdir(parents=True)
    (sub / "activations.py").write_text("import torch\n\nwhile True:\n    pass\n")
    (sub / "layers.py").write_text("from .activations import relu_forward\n")
    manager = IsolationManager(Settings(call_timeout=LIMIT))
    impl = WorkerImplementation("loop", manager, folder=str(sub))
    impl.import_limits = ImportLimits.beside(sub)
    return manager, impl


def _refusals(impl: WorkerImplementation, *names: str) -> list[str]:
    messages = []
    for name in names:
        with pytest.raises(SubmissionError) as caught:
            impl.module(name)
        messages.append(str(caught.value))
    return messages


def _copy(manager, impl, writer: int) -> None:
    """What split's forked copy does: its own worker, then its share of the modules."""
    code = 1
    try:
        manager.forked()
        impl.forked()
        messages = _refusals(impl, "activations", "layers")
        os.write(writer, json.dumps([messages, impl.conn.process.cpu_seconds()]).encode())
        code = 0
    finally:
        impl.conn.close()
        os._exit(code)


confined = pytest.mark.skipif(
    not (confinement.landlock_abi() and confinement.seccomp_available()),
    reason="no confinement on this machine",
)


@confined
def test_two_processes_of_one_grading_pay_one_limit_for_a_loop_at_import(tmp_path):
    """Each process of a split grading has a worker of its own; before the shared record each
    ran the module-level loop to its limit. Now whichever asks second waits for the first's
    import and refuses the module at once, naming the same line, also where another module
    imports it."""
    manager, impl = _looping(tmp_path)
    manager.mode()  # the fork server runs before the fork, as in a grading
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reader)
        _copy(manager, impl, writer)
    os.close(writer)
    try:
        mine = _refusals(impl, "layers", "activations")  # layers imports activations
        cpu = [impl.conn.process.cpu_seconds()]
        with os.fdopen(reader, "rb") as fh:
            theirs, their_cpu = json.loads(fh.read() or b"[[], null]")
        cpu.append(their_cpu)
    finally:
        _, status = os.waitpid(pid, 0)
        impl.close()
        manager.close()
    assert os.waitstatus_to_exitcode(status) == 0
    for message in mine + theirs:
        assert "activations.py line 3" in message, message
    assert any(f"within {LIMIT:g} s" in m for m in theirs + mine)
    if None not in cpu:  # CPU time, not wall time: the same on a busy machine
        assert max(cpu) >= 0.8 * LIMIT  # one worker ran the loop to its limit...
        assert min(cpu) < 0.5 * LIMIT  # ...and the other never ran it


@confined
def test_a_worker_started_after_one_was_stopped_does_not_run_the_loop_again(tmp_path):
    """A call out of time stops the worker and the next test gets a fresh one, which knew
    nothing of the module its predecessor refused and ran its loop again (a second limit in
    a grading of one process too)."""
    manager, impl = _looping(tmp_path)
    try:
        first = _refusals(impl, "activations")
        impl.conn.close()  # as after a call out of time
        again = _refusals(impl, "layers", "activations")
        cpu = impl.conn.process.cpu_seconds()
    finally:
        impl.close()
        manager.close()
    for message in first + again:
        assert "activations.py line 3" in message, message
    if cpu is not None:
        assert cpu < 0.5 * LIMIT  # the fresh worker refused it without running it
