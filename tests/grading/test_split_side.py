"""The grading plugin's side of a split (``descent.grading.split_side``): what the copy hands over
is what the original takes in, in collection order, with its workers' counts added; only the
implementations graded through workers are pinned, moved to the copy and closed."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from toykit import record

from descent.grading.split_side import PluginSide

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


class Worker:
    """Stands in for an implementation graded through a worker (``isolation.remote``)."""

    isolated = True

    def __init__(self, name, manager):
        self.name, self.manager, self.calls, self.added = name, manager, [], []
        self.conn = SimpleNamespace(close=lambda: self.calls.append("closed"))

    def forked(self):
        self.calls.append("forked")

    def tally(self):
        return {"requests": 3}

    def add_tally(self, tally):
        self.added.append(tally)


class Manager:
    def __init__(self, colocate):
        self.settings, self.calls = SimpleNamespace(colocate=colocate), []

    def pin(self, cpu):
        self.calls.append(("pin", cpu))

    def forked(self, side):
        self.calls.append(("forked", side))

    def take_side(self, side):
        self.calls.append(("side", side))

    def drop_spares(self):
        self.calls.append("dropped")

    def reap(self):
        self.calls.append("reaped")


def _state(tests, impls):
    return SimpleNamespace(
        tests=tests,
        finished={t.nodeid for t in tests},
        supporting={},
        ordinary=set(),
        charged_to={},
        impls=impls,
        ledgers={},
        reference=None,
        test_processes=1,
    )


def test_the_copys_records_are_taken_in_collection_order_with_its_workers_counts():
    manager = Manager(colocate=True)
    ada, folder = Worker("ada", manager), SimpleNamespace(name="solutions")
    a, b, c = (record(f"test_{x}", impl="ada") for x in "abc")
    copy = _state([b], [ada, folder])
    copy.supporting = {b.nodeid: ("test_a",)}
    copy.ordinary = {b.nodeid}
    copy.charged_to = {b.nodeid: ("losses.mse",)}
    sent = json.loads(json.dumps(PluginSide(copy).export()))  # through the pipe: JSON only
    assert sent["workers"] == {"ada": {"requests": 3}}  # the folder runs in-process: no count
    original = _state([a, c], [ada, folder])
    PluginSide(original).absorb(sent, [a.nodeid, b.nodeid, c.nodeid])
    assert [t.nodeid for t in original.tests] == [a.nodeid, b.nodeid, c.nodeid]
    assert original.tests[1] == b and original.finished == {a.nodeid, b.nodeid, c.nodeid}
    assert original.supporting == {b.nodeid: ("test_a",)} and original.ordinary == {b.nodeid}
    assert original.charged_to == {b.nodeid: ("losses.mse",)}
    assert ada.added == [{"requests": 3}] and original.test_processes == 2


def test_only_workers_are_pinned_forked_and_closed():
    shared, apart = Manager(colocate=True), Manager(colocate=False)
    ada, bo, cy = Worker("ada", shared), Worker("bo", shared), Worker("cy", apart)
    side = PluginSide(_state([], [ada, SimpleNamespace(name="solutions"), bo, cy]))
    side.forked(1)
    # a manager shared by two workers moves to the copy once (taking the spare workers started
    # for the copy, side 1), before they are pinned
    assert shared.calls[0] == ("forked", 1) and set(shared.calls[1:]) == {("pin", 1)}
    assert apart.calls == [("forked", 1)]  # not colocated: never pinned
    assert ada.calls == bo.calls == cy.calls == ["forked"]
    side.close()
    assert ada.calls[-1] == bo.calls[-1] == cy.calls[-1] == "closed"
    # the spares no test of the copy took are stopped with it, once per manager, and then what
    # its tests stopped without waiting is finished
    assert shared.calls[-2:] == apart.calls[-2:] == ["dropped", "reaped"]
    assert shared.calls.count("dropped") == shared.calls.count("reaped") == 1


def test_the_original_keeps_its_own_spare_workers_when_it_is_pinned():
    manager = Manager(colocate=True)
    PluginSide(_state([], [Worker("ada", manager)])).pin(0)
    assert manager.calls == [("side", 0), ("pin", 0)]
