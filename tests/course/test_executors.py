"""Where a batch's gradings run (``descent.course.executors``), with the grading stood in for:
locally, each request graded by a warm parent's fork and the outcomes handed back as they
finish; on a Dask cluster, one task per submission, a task that died reported as that student's
failure, and a cluster that cannot be used said so. (Real batches on both: test_batch.py,
test_dask.py.)"""

from __future__ import annotations

import sys
import threading
from types import SimpleNamespace

import pytest

from descent.course import executors
from descent.course.runner import Outcome, Request

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _requests(*students):
    return [Request(s, f"/subs/{s}", "/kit", "v1") for s in students]


def test_local_jobs_grade_each_request_from_a_warm_parent(monkeypatch):
    handed_back = threading.Event()

    def grade(req):
        # ann finishes only once bo's outcome has been handed back: outcomes come as they finish
        # (waiting for bo to return is not enough: on a busy machine ann could still be first)
        if req.student == "ann":
            handed_back.wait(10)
        return Outcome(req.student, req.path, "graded", message=f"warm={req.warm}")

    closed = []
    monkeypatch.setattr(executors, "grade_submission", grade)
    monkeypatch.setattr(executors.warm_parent, "close_all", lambda: closed.append(True))
    local = executors.LocalExecutor(jobs=2)
    assert (local.slots, local.describe()) == (2, "2 local jobs")
    outcomes = []
    for outcome in local.run(_requests("ann", "bo")):
        outcomes.append(outcome)
        handed_back.set()
    assert [o.student for o in outcomes] == ["bo", "ann"]
    assert {o.message for o in outcomes} == {"warm=True"}
    local.close()
    assert closed == [True] and executors.LocalExecutor(jobs=0).describe() == "1 local job"


class _Future:
    def __init__(self, key, fn, req):
        self.key, self.fn, self.req = key, fn, req

    def result(self):
        return self.fn(self.req)


def _fake_dask(monkeypatch, *, reachable=True):
    """A stand-in for ``distributed``: a client that runs each task when its result is read."""

    class Client:
        def __init__(self, address, timeout, set_as_default):
            if not reachable:
                raise OSError("connection refused")
            self.loop, self.cancelled = None, []

        def submit(self, fn, req, pure, retries, key):
            assert pure is False and retries == 0
            return _Future(key, fn, req)

        def scheduler_info(self):
            return {"workers": {"w1": {"nthreads": 2}, "w2": {"nthreads": 1}}}

        def cancel(self, futures, force):
            self.cancelled += futures

        def close(self):
            pass

    fake = SimpleNamespace(Client=Client, as_completed=lambda futures, loop: iter(futures))
    monkeypatch.setitem(sys.modules, "distributed", fake)


def test_a_dask_task_that_died_is_that_students_failure(monkeypatch):
    _fake_dask(monkeypatch)

    def grade(req):
        if req.student == "bo":
            raise MemoryError("the worker was killed")
        return Outcome(req.student, req.path, "graded")

    monkeypatch.setattr(executors, "grade_submission", grade)
    cluster = executors.DaskExecutor("tcp://10.0.0.2:8786")
    assert (
        cluster.slots == 3
        and cluster.describe() == "Dask cluster tcp://10.0.0.2:8786 (2 workers, 3 threads)"
    )
    ann, bo = cluster.run(_requests("ann", "bo"))
    assert ann.status == "graded"
    assert (
        bo.status == "failed"
        and bo.message == "the Dask task failed: MemoryError: the worker was killed"
    )
    cluster.stop()
    assert len(cluster.client.cancelled) == 2


def test_a_cluster_that_cannot_be_used_is_said_so(monkeypatch):
    _fake_dask(monkeypatch, reachable=False)
    with pytest.raises(
        executors.ExecutorError, match="cannot reach the Dask scheduler at tcp://h:1"
    ):
        executors.DaskExecutor("tcp://h:1")
    monkeypatch.setitem(sys.modules, "distributed", None)  # not installed
    with pytest.raises(executors.ExecutorError, match=r"pip install 'descent\[cluster\]'"):
        executors.DaskExecutor("tcp://h:1")
