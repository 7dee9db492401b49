"""A process's vitals read from outside, and what changed between two readings
(:mod:`descent.isolation.vitals`)."""

from __future__ import annotations

import copy
import os
import resource
import signal

import pytest

from descent.isolation import vitals

pytestmark = [
    pytest.mark.fast,  # the fast lane: ./dev test --fast
    pytest.mark.skipif(not os.path.exists("/proc/self/limits"), reason="Linux's /proc only"),
]


def test_a_reading_of_this_process_is_well_formed():
    me = vitals.of(os.getpid())
    assert set(me) == {"limits", "nice", "policy", "priority", "cpus", "io class", "oom score"}
    assert me["nice"] == os.getpriority(os.PRIO_PROCESS, 0)
    assert me["cpus"] == sorted(os.sched_getaffinity(0))
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft, hard = ("unlimited" if v == resource.RLIM_INFINITY else str(v) for v in nofile)
    assert me["limits"]["Max open files"] == f"{soft} {hard} files"
    assert me["io class"] is None or isinstance(me["io class"], int)


def test_a_process_that_has_gone_has_no_vitals():
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os._exit(0)
    os.waitpid(pid, 0)
    assert vitals.of(pid) is None


def test_a_renice_of_another_process_is_seen_as_a_change():
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child waits to be read
        signal.pause()
        os._exit(0)
    try:
        before = vitals.of(pid)
        os.setpriority(os.PRIO_PROCESS, pid, 19)
        after = vitals.of(pid)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert vitals.changes(before, after) == [f"nice {before['nice']} -> 19"]
    assert vitals.changes(before, before) == []


def test_changes_name_each_limit_and_ignore_a_process_that_has_gone():
    before = {"limits": {"Max address space": "4 4 bytes", "Max cpu time": "600 605 seconds"}}
    before["nice"] = 0
    after = copy.deepcopy(before)
    after["limits"]["Max address space"] = "1 1 bytes"
    after["nice"] = 5
    assert vitals.changes(before, after) == [
        "Max address space 4 4 bytes -> 1 1 bytes",
        "nice 0 -> 5",
    ]
    assert vitals.changes(before, None) == [] and vitals.changes(None, after) == []
