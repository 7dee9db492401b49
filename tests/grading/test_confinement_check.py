"""The confinement check of a grading (``plugin_workers._ConfinementCheck``): the confined probe
runs in a thread while the grading process collects, and its answer, or its error, is taken up
once collection ends."""

from __future__ import annotations

import threading

import pytest

from descent.grading.plugin_workers import _ConfinementCheck
from descent.isolation.manager import IsolationUnavailable

pytestmark = pytest.mark.fast


class _Manager:
    """What the check uses of an IsolationManager: ``server``, ``mode`` and ``prestart``."""

    def __init__(self, error: BaseException | None = None):
        self.error = error
        self.server_asked_by: list[threading.Thread] = []
        self.mode_asked_by: list[threading.Thread] = []
        self.prestart_asked_by: list[threading.Thread] = []

    def prestart(self, enough) -> None:
        self.prestart_asked_by.append(threading.current_thread())
        self.enough = enough

    @property
    def server(self):
        self.server_asked_by.append(threading.current_thread())
        return object()

    def mode(self) -> dict:
        self.mode_asked_by.append(threading.current_thread())
        if self.error is not None:
            raise self.error
        return {"mode": "landlock+seccomp"}


def test_the_probe_runs_in_a_thread_and_is_done_when_collection_ends():
    manager = _Manager()
    check = _ConfinementCheck(manager)
    check.pytest_collection(None)
    check.pytest_collection_finish(None)
    here = threading.current_thread()
    # the server is started by this thread (PR_SET_PDEATHSIG follows the starting thread)
    assert manager.server_asked_by == [here]
    assert manager.mode_asked_by[0] is not here and manager.mode_asked_by[1:] == [here]
    # the spare workers are started by the same thread, once the probe has answered
    assert manager.prestart_asked_by == manager.mode_asked_by[:1]
    assert manager.enough()  # and is told to start no more once collection has ended
    assert not check.early.is_alive()  # nothing left running when the split forks


def test_a_machine_without_confinement_stops_the_run_with_the_reason_asked_once():
    manager = _Manager(IsolationUnavailable("Landlock is not available in this kernel"))
    check = _ConfinementCheck(manager)
    check.pytest_collection(None)
    with pytest.raises(pytest.exit.Exception, match="Landlock is not available"):
        check.pytest_collection_finish(None)
    assert len(manager.mode_asked_by) == 1  # a server that hangs is waited for once, not twice
    assert manager.prestart_asked_by == []  # no worker is started where none can be confined


def test_without_the_thread_the_check_asks_for_the_mode_itself():
    """A run whose collection hook did not reach the check (it was registered later)."""
    manager = _Manager(IsolationUnavailable("the confined probe failed: EPERM"))
    with pytest.raises(pytest.exit.Exception, match="EPERM"):
        _ConfinementCheck(manager).pytest_collection_finish(None)


class _Starting(_Manager):
    """A manager whose prestart keeps starting workers until it is told it has enough."""

    def __init__(self):
        super().__init__()
        self.started = 0
        self.stopped = threading.Event()

    def prestart(self, enough) -> None:
        while not enough():
            self.started += 1
            threading.Event().wait(0.01)  # one worker's start
        self.stopped.set()


def test_a_run_that_ends_before_its_collection_did_starts_no_more_workers():
    """Ctrl-C during collection: pytest_collection_finish never comes, sessionfinish does."""
    manager = _Starting()
    check = _ConfinementCheck(manager)
    check.pytest_collection(None)
    while manager.started < 2:  # the thread is starting workers
        threading.Event().wait(0.005)
    check.pytest_sessionfinish(None)
    assert manager.stopped.is_set() and not check.early.is_alive()
    started = manager.started
    threading.Event().wait(0.05)
    assert manager.started == started


def test_the_end_of_a_run_without_the_thread_waits_for_nothing():
    check = _ConfinementCheck(_Manager())
    check.pytest_sessionfinish(None)  # the check was registered after collection began
    assert check.collected.is_set()
