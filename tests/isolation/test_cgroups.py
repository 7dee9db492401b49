"""A cgroup per worker (:mod:`descent.isolation.cgroups`): which processes it holds, whether one
was killed for memory, and that only root makes one. The cgroup files are read from a folder
laid out as the kernel lays them out, so the checks run without root."""

from __future__ import annotations

import os
import signal

import pytest

from descent.isolation import cgroups
from descent.isolation.cgroups import Cgroup
from descent.isolation.limits import Limits

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_only_root_makes_a_cgroup(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert Cgroup.create("descent-test", Limits()) is None


def test_this_process_has_a_cgroup_path_where_the_kernel_has_cgroups():
    if not os.path.exists("/proc/self/cgroup"):
        pytest.skip("no cgroups on this machine")
    lines = open("/proc/self/cgroup").read().splitlines()
    own = cgroups._own_cgroup("")
    if any(line.startswith("0::") for line in lines):  # a v2 hierarchy
        assert own is not None and own.startswith("/")
    assert cgroups._own_cgroup("no-such-controller") is None


def test_the_processes_of_a_group_and_joining_it(tmp_path):
    (tmp_path / "cgroup.procs").write_text("12\n34\n")
    group = Cgroup({"unified": str(tmp_path)}, 2)
    assert group.pids() == {12, 34}
    group.join(56)  # the kernel adds the pid written to cgroup.procs
    assert (tmp_path / "cgroup.procs").read_text() == "56"
    assert Cgroup({"pids": str(tmp_path / "gone")}, 1).pids() == set()


@pytest.mark.parametrize(
    ("version", "name", "text", "killed"),
    [
        (2, "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n", True),
        (2, "memory.events", "low 0\noom 1\noom_kill 0\n", False),
        (1, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n", True),
        (1, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n", False),
    ],
)
def test_an_oom_kill_is_read_from_the_memory_controller(tmp_path, version, name, text, killed):
    (tmp_path / name).write_text(text)
    key = "unified" if version == 2 else "memory"
    assert Cgroup({key: str(tmp_path)}, version).oom_killed() is killed


def test_no_memory_controller_means_no_oom_kill_known(tmp_path):
    assert Cgroup({"pids": str(tmp_path)}, 1).oom_killed() is False
    assert Cgroup({"unified": str(tmp_path / "gone")}, 2).oom_killed() is False


def test_an_empty_group_is_swept_at_once_and_removed(tmp_path):
    folder = tmp_path / "worker"
    folder.mkdir()
    group = Cgroup({"unified": str(folder)}, 2)
    (folder / "cgroup.procs").write_text("")
    assert group.kill_all(rounds=3) is True
    assert (folder / "cgroup.kill").read_text() == "1"  # v2: the kernel's own sweep first
    (folder / "cgroup.procs").unlink()
    (folder / "cgroup.kill").unlink()
    group.remove()
    assert not folder.exists()


def _gone_pid() -> int:
    import subprocess

    child = subprocess.Popen(["true"])
    child.wait()
    assert not os.path.exists(f"/proc/{child.pid}")
    return child.pid


def test_a_group_is_signalled_once_without_waiting_for_its_end(tmp_path, monkeypatch):
    """A worker stopped without waiting (a grading moving on) costs its grading one signal per
    process, not the wait for their end: that wait is the reap's (kill_all)."""
    import subprocess
    import time

    children = [subprocess.Popen(["sleep", "30"]) for _ in range(2)]
    (tmp_path / "cgroup.procs").write_text("".join(f"{c.pid}\n" for c in children))
    group = Cgroup({"pids": str(tmp_path)}, 1)

    def no_waiting(seconds):
        raise AssertionError("signal_all waited")

    monkeypatch.setattr(time, "sleep", no_waiting)
    try:
        assert group.signal_all() == {c.pid for c in children}
        monkeypatch.undo()
        assert [c.wait(timeout=10) for c in children] == [-signal.SIGKILL] * 2
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()


def test_a_dead_gradings_leftover_cgroups_are_swept_and_nothing_else(tmp_path):
    gone, now = _gone_pid(), 1_000_000.0
    names = {
        f"descent-{gone}-0": (True, 3600),  # empty, old, its grading gone: removed
        f"descent-{gone}-1": (True, 10),  # too young: perhaps about to be used
        f"descent-{os.getpid()}-0": (True, 3600),  # its grading runs
        f"descent-{gone}-2": (False, 3600),  # still holds something: the kernel refuses
        "descent-other": (True, 3600),
        f"workers-{gone}-0": (True, 3600),
    }
    for name, (empty, age) in names.items():
        (tmp_path / name).mkdir()
        if not empty:
            (tmp_path / name / "cgroup.procs").write_text("123\n")
        os.utime(tmp_path / name, (now - age, now - age))
    assert cgroups.sweep_stale(tmp_path, now=now) == [f"descent-{gone}-0"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(set(names) - {f"descent-{gone}-0"})
    assert cgroups.sweep_stale(tmp_path / "missing", now=now) == []


def test_a_process_sweeps_each_parent_once(tmp_path, monkeypatch):
    swept = []
    monkeypatch.setattr(cgroups, "sweep_stale", lambda parent: swept.append(parent) or [])
    monkeypatch.setattr(cgroups, "_swept", set())
    for parent in (tmp_path / "pids", tmp_path / "memory", tmp_path / "pids"):
        cgroups._sweep_once(parent)
    assert swept == [tmp_path / "pids", tmp_path / "memory"]
