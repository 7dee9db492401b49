"""Value-graph tapes (descent.calls.tape): what a recording holds, which builds fall back to
proxies, and the checks the worker applies before it replays a tape."""

from __future__ import annotations

import pytest

from descent.calls import tape

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_a_recording_keeps_operand_order_and_constants():
    ops, outputs = tape.record(lambda a, b: [a, 2.0 - a, (a * b).tanh(), 5**-b], 2)
    assert ops == [
        ["op", "sub", [2.0], 0],
        ["op", "mul", 0, 1],
        ["meth", "tanh", 3],
        ["op", "neg", 1],
        ["op", "pow", [5], 5],
    ]
    assert outputs == [0, 2, 4, 6]


class _Recorder:
    """Stands in for Value in a replay: remembers every call it gets."""

    log: list = []

    def __init__(self, x, name=None):
        self.name = name or f"leaf{x}"
        self.log.append(("new", x))

    def _make(self, what):
        self.log.append(what)
        return _Recorder(None, name=what)

    def __add__(self, other):
        return self._make(f"{self.name}.__add__({getattr(other, 'name', other)})")

    def __radd__(self, other):
        return self._make(f"{self.name}.__radd__({other})")

    def exp(self):
        return self._make(f"{self.name}.exp()")


def test_a_replay_makes_the_same_calls_as_running_the_build():
    build = lambda a, b: [a, 1.5 + a, (a + b).exp()]  # noqa: E731
    _Recorder.log = []
    build(_Recorder(1), _Recorder(2))
    direct = list(_Recorder.log)
    ops, outputs = tape.record(build, 2)
    tape.check(ops, outputs, 2)
    _Recorder.log = []
    nodes = tape.replay(_Recorder, [1, 2], ops, outputs)
    assert _Recorder.log == direct
    assert [n.name for n in nodes] == ["leaf1", "leaf1.__radd__(1.5)", "leaf1.__add__(leaf2).exp()"]


@pytest.mark.parametrize(
    "build",
    [
        lambda a: [a, a.relu() if a > 0 else a],  # a comparison decides control flow
        lambda a: [a, a * float(a)],  # needs the value
        lambda a: [a, a.data * 2],  # reads an attribute as a value
        lambda a: [a, a + "x"],  # an operand that is not a number
        lambda a: [a, a + float("nan")],  # not finite: JSON cannot carry it
        lambda a: [a, a.pow(exponent=2)],  # keyword arguments
        lambda a: (a, a * 2),  # not a list
        lambda a: [a, 2.0],  # an output that is not a node
        lambda a: [a, {a: 1}],  # hashing a node
    ],
)
def test_builds_that_a_tape_cannot_hold_are_refused(build):
    assert tape.record(build, 1) is None


@pytest.mark.parametrize(
    "ops,outputs,why",
    [
        ([["op", "add", 0, 2]], [1], "refers to a later node"),
        ([["op", "getitem", 0, [1]]], [1], "bad operator"),
        ([["op", "neg", 0, 0]], [1], "bad operator"),
        ([["meth", "__class__", 0]], [1], "bad method call"),
        ([["meth", "exp", [1.0]]], [1], "bad method call"),
        ([["op", "add", 0, ["x"]]], [1], "bad constant"),
        ([["call", "add", 0, 0]], [1], "bad tape entry"),
        ([["op", "add", 0, 0]], [2], "bad tape outputs"),
        ([], [], "bad tape size"),
    ],
)
def test_the_worker_refuses_a_malformed_tape(ops, outputs, why):
    with pytest.raises(ValueError, match=why):
        tape.check(ops, outputs, 1)
