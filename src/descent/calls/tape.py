"""Value graphs recorded in the grader and rebuilt in the worker in one request.

The autograd graders build graphs of a student's ``Value`` objects from small functions
(``lambda a, b: [a, b, a * b + 2.0]``), call ``backward()`` on the last node and read every
node's ``data`` and ``grad``. Through a worker, each operation would be one pipelined request.
Instead, :func:`record` runs the build function once on :class:`Node` placeholders, which write
down every operator and method call as data (a *tape*); the worker replays the tape on real
``Value`` objects (:func:`replay`), so the whole graph costs one round trip. The replay applies
the same Python operators in the same order, so reflected methods (``2.0 + a`` reaching
``__radd__``) and exceptions happen exactly as they would in the grader's process.

A build function qualifies when it is straight-line code over its arguments: operators between
nodes and numbers, and method calls with node or number arguments. Anything that would need a
node's value while recording (``bool(a)``, ``float(a)``, hashing, reading an attribute without
calling it) makes :func:`record` give up, and the caller runs the build on proxies instead, as
before. The build may run twice, so it must not have side effects.

Tape format (plain JSON, checked by :func:`check` in the worker): ``ops`` is a list of
``[kind, name, operand, ...]``, each entry making the next node after the leaves; ``kind`` is
``"op"`` (a Python operator from :data:`OPERATORS`) or ``"meth"`` (a public method of the first
operand). An operand is a node index (an int) or a one-element list holding a constant number.
``outputs`` lists the node indices the build returned.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

OPERATORS: dict[str, Callable] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
    "mod": operator.mod,
    "pow": operator.pow,
    "neg": operator.neg,
    "pos": operator.pos,
    "abs": operator.abs,
}
_UNARY = frozenset(("neg", "pos", "abs"))
MAX_OPS = 100_000
MAX_LEAVES = 1000
MAX_METHOD_ARGS = 8


class NotRecordable(Exception):
    """The build function did something a tape cannot hold."""


class Node:
    """A placeholder for one Value while a build function is recorded."""

    __slots__ = ("_tape", "_index")

    def __init__(self, tape: _Tape, index: int):
        self._tape, self._index = tape, index

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return _MethodCall(self, name)

    def _refuse(self, *_args):
        raise NotRecordable("the build needs a node's value")

    __bool__ = __float__ = __int__ = __index__ = __len__ = __iter__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other):  # a comparison's result decides control flow: not recordable
        raise NotRecordable("the build compares nodes")

    __ne__ = __eq__


class _MethodCall:
    __slots__ = ("_node", "_name")

    def __init__(self, node: Node, name: str):
        self._node, self._name = node, name

    def __call__(self, *args, **kwargs):
        if kwargs or len(args) > MAX_METHOD_ARGS:
            raise NotRecordable("keyword or too many arguments")
        return self._node._tape.add("meth", self._name, self._node, *args)


def _binary(name: str):
    def op(self, other):
        return self._tape.add("op", name, self, other)

    def rop(self, other):
        return self._tape.add("op", name, other, self)

    return op, rop


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow"):
    _op, _rop = _binary(_name)
    setattr(Node, f"__{_name}__", _op)
    setattr(Node, f"__r{_name}__", _rop)
for _name in _UNARY:
    setattr(Node, f"__{_name}__", (lambda n: lambda self: self._tape.add("op", n, self))(_name))


class _Tape:
    def __init__(self, leaves: int):
        self.count = leaves
        self.ops: list[list] = []

    def operand(self, value: Any) -> Any:
        if type(value) is Node:
            if value._tape is not self:
                raise NotRecordable("a node of another recording")
            return value._index
        if type(value) is bool or type(value) is int and abs(value) < 2**53:
            return [value]
        if type(value) is float and math.isfinite(value):
            return [value]
        raise NotRecordable(f"an operand of type {type(value).__name__}")

    def add(self, kind: str, name: str, *operands) -> Node:
        if len(self.ops) >= MAX_OPS:
            raise NotRecordable("too many operations")
        self.ops.append([kind, name, *(self.operand(v) for v in operands)])
        node = Node(self, self.count)
        self.count += 1
        return node


def record(build: Callable, leaves: int) -> tuple[list, list] | None:
    """``(ops, outputs)`` for ``build`` called on ``leaves`` nodes, or None if it does not
    qualify (see the module docstring)."""
    tape = _Tape(leaves)
    try:
        nodes = build(*(Node(tape, i) for i in range(leaves)))
        if type(nodes) is not list or not nodes:
            return None
        outputs = [tape.operand(n) for n in nodes]
    except Exception:  # noqa: BLE001 - a placeholder went where a value was needed: run it for real
        return None
    if not all(type(i) is int for i in outputs):
        return None
    return tape.ops, outputs


def check(ops: Any, outputs: Any, leaves: int) -> None:
    """Raise ValueError unless ``ops`` and ``outputs`` form a well-made tape."""
    if not (
        0 <= leaves <= MAX_LEAVES
        and type(ops) is list
        and len(ops) <= MAX_OPS
        and type(outputs) is list
        and 0 < len(outputs) <= MAX_OPS + leaves
    ):
        raise ValueError("bad tape size")
    count = leaves
    for entry in ops:
        if not (type(entry) is list and len(entry) >= 3 and type(entry[1]) is str):
            raise ValueError("bad tape entry")
        kind, name, operands = entry[0], entry[1], entry[2:]
        if kind == "op":
            arity = 1 if name in _UNARY else 2
            if name not in OPERATORS or len(operands) != arity:
                raise ValueError("bad operator in a tape")
        elif kind == "meth":
            if not (
                name.isidentifier()
                and not name.startswith("_")
                and type(operands[0]) is int
                and len(operands) <= MAX_METHOD_ARGS + 1
            ):
                raise ValueError("bad method call in a tape")
        else:
            raise ValueError("bad tape entry")
        for o in operands:
            if type(o) is int:
                if not 0 <= o < count:
                    raise ValueError("a tape operand refers to a later node")
            elif not (type(o) is list and len(o) == 1 and type(o[0]) in (bool, int, float)):
                raise ValueError("bad constant in a tape")
        count += 1
    if not all(type(i) is int and 0 <= i < count for i in outputs):
        raise ValueError("bad tape outputs")


def replay(value_cls: Callable, leaves: list, ops: list, outputs: list) -> list:
    """The nodes ``outputs`` names, after building every node of a checked tape."""
    nodes = [value_cls(v) for v in leaves]
    for entry in ops:
        args = [nodes[o] if type(o) is int else o[0] for o in entry[2:]]
        if entry[0] == "op":
            nodes.append(OPERATORS[entry[1]](*args))
        else:
            nodes.append(getattr(args[0], entry[1])(*args[1:]))
    return [nodes[i] for i in outputs]


def evaluate(nodes: list) -> tuple[list, list]:
    """``backward()`` from the last node, then every node's ``data`` and ``grad``."""
    nodes[-1].backward()
    return [n.data for n in nodes], [n.grad for n in nodes]
