"""The objects a worker holds by handle, and snapshots of their attributes
(:mod:`descent.isolation.held`)."""

from __future__ import annotations

import pytest

from descent.isolation.held import Held, Poisoned, snapshots, type_name
from descent.isolation.protocol import ProtocolError

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


class Node:
    def __init__(self, data):
        self.data, self.label, self.children = data, "n", []


def test_an_object_keeps_one_handle_and_handles_count_up():
    held, a, b = Held(), Node(1.0), Node(2.0)
    assert held.handle(a, "autograd.value") == {"$h": [1, "Node"]}
    assert held.handle(b, None) == {"$h": [2, "Node"]}
    assert held.handle(a, "autograd.value") == {"$h": [1, "Node"]}
    assert held.get(1) is a and 2 in held and held.exercise(1) == "autograd.value"
    assert held.exercise_of([3, b, a]) is None  # b's exercise: none
    assert held.exercise_of([a, b]) == "autograd.value"


def test_unknown_and_malformed_handles_are_protocol_errors():
    held = Held()
    held.handle(Node(1.0), None)
    for hid in (2, "1", 1.0, True):
        with pytest.raises(ProtocolError, match="unknown handle"):
            held.get(hid)


def test_a_failed_pipelined_result_raises_its_error_again_when_used():
    held = Held()
    held.keep(-1, Node(1.0), None)
    held.fail(-2, {"type": "ValueError", "msg": "bad"})
    assert isinstance(held.get(-1), Node)
    with pytest.raises(Poisoned) as info:
        held.get(-2)
    assert info.value.info == {"type": "ValueError", "msg": "bad"}


def test_released_handles_are_forgotten_and_the_object_gets_a_new_one():
    held, a = Held(), Node(1.0)
    held.handle(a, None)
    held.release([1, "junk", 99])
    assert 1 not in held and held.ids == {}
    assert held.handle(a, None) == {"$h": [2, "Node"]}


def test_a_snapshot_carries_plain_attributes_only():
    class Shadowed:
        @property
        def label(self):
            return "from the property"

        @label.setter
        def label(self, value):
            pass

    b = Shadowed()
    b.__dict__.update(data=3, label="n")  # the dict's "label" is never what a read returns
    held, a = Held(), Node(float("inf"))
    held.handle(a, None)
    held.handle(b, None)
    held.handle(Node(2**70), None)
    assert held.snapshot(Node) == [
        [1, {"$d": [["data", {"$f": "inf"}], ["label", "n"]]}],  # the list is no plain value
        [3, {"$d": [["label", "n"]]}],  # an int too large to cross is left out
    ]
    assert held.snapshot(Shadowed) == [[2, {"$d": [["data", 3]]}]]  # "label" is a property's


def test_a_class_that_overrides_attribute_reads_is_never_snapshotted():
    class Sly(Node):
        def __getattribute__(self, name):
            return object.__getattribute__(self, name)

    held = Held()
    held.handle(Sly(1.0), None)
    assert held.snapshot(Sly) == []


def test_which_values_send_a_snapshot_and_a_hostile_type_name():
    assert snapshots(1.0) and snapshots("s") and snapshots(None) and not snapshots([1])

    class Meta(type):
        def __getattribute__(cls, name):
            if name == "__name__":
                raise RuntimeError("no name for you")
            return super().__getattribute__(name)

    assert type_name(Meta("Hostile", (), {})()) == "object"
    assert type_name(Node(1)) == "Node"
