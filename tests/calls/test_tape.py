"""Value graphs as tapes (``descent.calls.tape``): what a recording holds, which builds fall back
to proxies, the checks the worker applies before it replays a tape, and that a replay gives the
values and gradients the build gives when run directly, recordings stay apart, and a build too
long for a tape is run on proxies instead."""

from __future__ import annotations

import pytest

from descent.calls import impl, tape

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


class Value:
    """A scalar autograd value, as a student writes one (add, mul, a power, tanh)."""

    def __init__(self, data, children=()):
        self.data, self.grad, self._children, self._back = float(data), 0.0, children, None

    def _new(self, data, children, back):
        out = Value(data, children)
        out._back = back
        return out

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = self._new(self.data + other.data, (self, other), None)
        out._back = lambda: (setattr(self, "grad", self.grad + out.grad),
                             setattr(other, "grad", other.grad + out.grad))  # fmt: skip
        return out

    __radd__ = __add__

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = self._new(self.data * other.data, (self, other), None)
        out._back = lambda: (setattr(self, "grad", self.grad + other.data * out.grad),
                             setattr(other, "grad", other.grad + self.data * out.grad))  # fmt: skip
        return out

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def backward(self):
        order, seen = [], set()

        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                for c in v._children:
                    visit(c)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            if v._back:
                v._back()


def build(a, b):
    c = a * b
    return [a, b, c, 3.0 + c * -a, -c]


def test_a_replayed_tape_gives_the_values_and_gradients_of_the_build_run_directly():
    direct = tape.evaluate(build(Value(2.0), Value(-3.0)))
    ops, outputs = tape.record(build, 2)
    tape.check(ops, outputs, 2)
    replayed = tape.evaluate(tape.replay(Value, [2.0, -3.0], ops, outputs))
    assert replayed == direct
    # d(-c)/da = -b, d(-c)/db = -a, reached through the last node only
    assert direct == ([2.0, -3.0, -6.0, 15.0, 6.0], [3.0, -2.0, -1.0, 0.0, 1.0])


def test_run_graph_in_this_process_is_the_build_evaluated():
    assert impl.run_graph(Value, build, [2.0, -3.0]) == tape.evaluate(
        build(Value(2.0), Value(-3.0))
    )


def test_a_node_of_another_recording_is_refused():
    kept = []

    def first(a):
        kept.append(a)
        return [a * 2]

    assert tape.record(first, 1) is not None
    assert tape.record(lambda a: [a + kept[0]], 1) is None


def test_a_build_longer_than_a_tape_holds_is_run_on_proxies_instead(monkeypatch):
    monkeypatch.setattr(tape, "MAX_OPS", 3)

    def long(a):
        for _ in range(4):
            a = a * 2
        return [a]

    assert tape.record(long, 1) is None
    assert tape.record(lambda a: [a * 2, a + 1], 1) == (
        [["op", "mul", 0, [2]], ["op", "add", 0, [1]]],
        [1, 2],
    )


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
