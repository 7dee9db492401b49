"""Value graphs as tapes (``descent.calls.tape``), the parts the worker's checks leave aside: a
replay gives the values and gradients the build gives when run directly, recordings stay apart,
and a build too long for a tape is run on proxies instead. (What a recording holds and the
checks of a malformed tape are in tests/isolation/test_tape.py.)"""

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
