"""Sharing one grading's tests between two processes (``descent.grading.split``), the decisions
made before any fork: which tests go to which side and which to the shared tail, how the tail is
handed out, when a run splits at all, and what the original does with a copy's answer it cannot
read. (Two processes grading exactly as one does, through real workers, is
tests/isolation/test_split.py.)"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from descent.grading import split

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _items(spec: dict[str, list[str | None]]) -> list[SimpleNamespace]:
    """Collected tests in order: ``{file stem: [the exercise of each of its tests]}``."""
    return [
        SimpleNamespace(path=Path(f"graders/{stem}.py"), nodeid=f"{stem}::{n}", ex=ex)
        for stem, exercises in spec.items()
        for n, ex in enumerate(exercises)
    ]


def _stems(side) -> list[str]:
    return list(dict.fromkeys(item.path.stem for item in side))


def _every_test_once(shares, items) -> bool:
    shared = [item for group in shares.tail for item in group]
    return sorted(shares.mine + shares.theirs + shared, key=items.index) == items


def test_files_that_share_an_exercise_go_to_one_side_in_collection_order():
    items = _items(
        {
            "test_data": ["data.mixup"] * 3,
            "test_losses": ["losses.mse", "losses.mae"],
            "test_extra_losses": ["losses.mae", None],
            "test_optim": ["optim.sgd"] * 4,
        }
    )
    shares = split.plan(items, lambda item: item.ex, tail_share=0.0)
    assert not shares.tail and _every_test_once(shares, items)
    sides = [_stems(shares.mine), _stems(shares.theirs)]
    together = next(s for s in sides if "test_losses" in s)
    assert "test_extra_losses" in together
    for side in (shares.mine, shares.theirs):
        assert side == sorted(side, key=items.index)
    # the two costliest files (by the measured seconds) are on different sides
    assert ("test_data" in sides[0]) != ("test_optim" in sides[0])
    assert split.plan(list(items), lambda item: item.ex, tail_share=0.0) == shares


def test_the_cheapest_write_the_tests_exercises_make_the_tail_costliest_first():
    written = ["optim.adam.tests", "losses.mse.tests", "layers.linear.tests"]
    items = _items(
        {
            "test_train": ["train.fit"],
            "test_data": ["data.mixup"],
            "test_basics": ["basics.x"],
            "test_written": [ex for ex in written for _ in range(3)],
        }
    )
    shares = split.plan(items, lambda item: item.ex, tail_share=0.3)
    assert _every_test_once(shares, items)
    tail = [{item.ex for item in group} for group in shares.tail]
    assert tail == [{"losses.mse.tests"}, {"layers.linear.tests"}]  # by the table, in 30 %
    # a file of the student's modules stays in a fixed share, however cheap
    assert "test_basics" in _stems(shares.mine + shares.theirs)
    # whatever the share asked, each side keeps a group of its own
    everything = split.plan(items, lambda item: item.ex, tail_share=1.0)
    assert everything.mine and everything.theirs and len(everything.tail) == 3


def test_the_write_the_tests_file_is_shared_by_exercise_each_exercise_whole():
    written = [f"{e}.tests" for e in ("losses.mse", "optim.adam", "layers.linear")]
    items = _items(
        {"test_written": [ex for ex in written for _ in range(6)], "test_basics": ["basics.x"]}
    )
    shares = split.plan(items, lambda item: item.ex, tail_share=0.0)
    mine, theirs = shares.mine, shares.theirs
    assert mine and theirs and _every_test_once(shares, items)
    for ex in written:  # every check of one exercise reads one judgement: one side
        assert len({id(side) for side in (mine, theirs) for i in side if i.ex == ex}) == 1
    # the file's measured seconds shared out: its exercises on both sides
    assert {i.ex for i in mine} & set(written) and {i.ex for i in theirs} & set(written)


def test_one_file_leaves_nothing_to_share():
    shares = split.plan(_items({"test_losses": ["losses.mse"] * 5}), lambda i: i.ex)
    assert not shares.mine or not shares.theirs


def test_two_processes_take_each_group_of_the_tail_once():
    claims = split.Claims(300)
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the copy: takes groups as fast as it can, and says which
        code = 1
        try:
            os.close(reader)
            taken = []
            while (index := claims.take()) is not None:
                taken.append(index)
            os.write(writer, json.dumps(taken).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(writer)
    mine = []
    while (index := claims.take()) is not None:
        mine.append(index)
    theirs = json.loads(split._read(reader))
    os.close(reader)
    os.waitpid(pid, 0)
    claims.close()
    assert sorted(mine + theirs) == list(range(300))  # each once, none lost
    assert mine == sorted(mine) and theirs == sorted(theirs)  # in the order they were given


def test_a_copys_answer_is_taken_only_whole():
    good = {"reports": [], "records": {"tests": []}}
    assert split._parse(json.dumps(good).encode()) == good
    for sent in (b"", b"{not json", b"[1, 2]", json.dumps({"reports": []}).encode()):
        assert split._parse(sent) is None


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="no CPU affinity here")
def test_the_run_splits_only_where_the_option_and_the_cpus_allow(monkeypatch):
    assert split.cpus("1", True) is None
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3})
    assert split.cpus("auto", True) is None
    assert split.cpus("2", True) == (3, 3)  # asked for: two processes on the one CPU
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 5})
    monkeypatch.setattr(split, "_current_cpu", lambda allowed: 5)
    assert split.cpus("auto", False) is None  # several submissions: the batch has the CPUs
    assert split.cpus("auto", True) == (5, 0)


@pytest.mark.parametrize(
    "option", [{"collectonly": True}, {"usepdb": True}, {"maxfail": 1}], ids=str
)
def test_a_run_that_lists_debugs_or_stops_at_a_failure_is_left_to_pytest(option):
    settings = {"collectonly": False, "usepdb": False, "maxfail": 0, **option}
    session = SimpleNamespace(
        testsfailed=0, config=SimpleNamespace(option=SimpleNamespace(**settings)), items=[]
    )
    splitter = split.Split(side=None, cpus=(0, 1), exercise_of=lambda item: None)
    assert splitter.pytest_runtestloop(session) is None
