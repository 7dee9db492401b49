"""The notebook's worker as the trusted side sees it (``descent.labs.kernel``), over a stand-in
connection: only plain data reaches a check, a malformed reply is an error of the cell, and a
worker that was killed is restarted with the finished cells run again, a bounded number of
times. (A notebook in a real confined worker: test_labs_e2e.py and test_labs_redteam.py.)"""

from __future__ import annotations

import pytest
import torch

from descent.isolation.errors import WorkerFailure
from descent.labs import kernel

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

OK = {"stdout": "", "stderr": "", "result": None, "error": None, "refused": []}


class Connection:
    """Stands in for the worker's connection: replies in order; ``kill()`` as a time-out would."""

    def __init__(self, replies=()):
        self.replies, self.sent, self.test_failure, self.tests = list(replies), [], None, []

    def request(self, message, timeout=None):
        self.sent.append(message.get("source", message.get("op")))
        reply = self.replies.pop(0) if self.replies else OK
        if isinstance(reply, Exception):
            self.test_failure = reply
            raise reply
        return reply

    def begin_test(self, name):
        self.tests.append(name)
        self.test_failure = None


def _kernel(conn):
    nb = object.__new__(kernel.Kernel)  # no worker: the connection is the stand-in
    nb.conn, nb.timeout, nb.done, nb.restarts, nb.stopped = conn, 1.0, [], 0, None
    return nb


def test_plain_data_passes_and_an_object_of_the_notebooks_own_class_does_not():
    value = {"w": torch.ones(2), "shape": torch.Size([2]), "xs": [1, 2.5, (None, "a", 1j)]}
    assert kernel.data(value, "`v`") is value

    class Sneaky(list):  # an __eq__ of the student's would run on the trusted side
        def __eq__(self, other):
            return True

    for bad in (Sneaky(), [1, {"k": Sneaky()}], {Sneaky.__name__: object()}):
        with pytest.raises(kernel.NotData, match="`v` is a .* object, not plain data"):
            kernel.data(bad, "`v`")
    deep: list = []
    for _ in range(60):
        deep = [deep]
    with pytest.raises(kernel.NotData):
        kernel.data(deep, "`v`")


def test_a_malformed_reply_is_an_error_of_the_cell_and_is_not_run_again():
    nb = _kernel(Connection([{"stdout": "x"}]))
    assert nb.run("x = 1")["error"]["type"] == "ProtocolError" and nb.done == []


def test_a_killed_worker_is_restarted_with_the_finished_cells_run_again():
    conn = Connection([OK, WorkerFailure("time limit", "timeout")])
    nb = _kernel(conn)
    nb.run("a = 1")
    stopped = nb.run("while True: pass")
    assert stopped["error"]["type"] == "CellStopped" and "time limit" in stopped["error"]["msg"]
    assert nb.run("b = a + 1")["error"] is None
    assert conn.tests == ["restart 1"] and conn.sent[2:] == ["a = 1", "b = a + 1"]
    assert nb.done == ["a = 1", "b = a + 1"] and nb.restarts == 1


def test_after_its_last_restart_the_notebook_stops_saying_why():
    failure = WorkerFailure("out of memory", "crash")
    conn = Connection([failure, failure, failure])
    nb = _kernel(conn)
    for _ in range(kernel.MAX_RESTARTS + 1):
        nb.run("big = [0] * 10**12")
    last = nb.run("x = 1")
    assert last["error"] == {"type": "NotRun", "msg": "not run: the notebook's worker was "
                             f"stopped {kernel.MAX_RESTARTS + 1} times"}  # fmt: skip
    with pytest.raises(WorkerFailure, match="the notebook could not be run"):
        nb.value("x")


def test_a_graders_helper_is_not_run_again_after_a_restart():
    conn = Connection(
        [OK, {**OK, "error": {"type": "NameError", "msg": "name 'q' is not defined"}}]
    )
    nb = _kernel(conn)
    nb.define("def helper(): return 1")
    with pytest.raises(AssertionError, match="NameError: name 'q' is not defined"):
        nb.define("helper(q)")
    assert nb.done == []
