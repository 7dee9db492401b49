"""A scalar reverse-mode automatic differentiation engine: the ``Value`` class.

Every ``Value`` holds one number (``data``) and, after ``backward()``, the derivative of the
output with respect to that number (``grad``). Arithmetic on Values builds a graph: each result
remembers the Values it was computed from and how to send its gradient back to them.

Conventions for this file:

* ``data`` and ``grad`` are Python floats, whatever number a Value is built from:
  ``Value(2).data`` is ``2.0``. ``grad`` is 0.0 until ``backward()`` runs.
* Operators take a Value or a plain number (int or float) on either side: ``a + 1``, ``1 + a``,
  ``2 - a``, ``2 / a`` and so on all return Values. Powers are ``Value ** number`` only.
* ``backward()`` is called once per graph, on its output.
* Only the Python standard library (``math``) is needed; no torch in this file.
"""

import math


class Value:
    """A scalar that records the operations applied to it, so gradients can flow back.

    ``Value(data)`` wraps a number; you may add optional arguments of your own to the
    constructor (the graders only ever call ``Value(x)`` with one number).

    Supported, each returning a new Value:
        a + b, a - b, a * b, a / b     with a Value or a number on either side
        a ** k                         k a number (int or float), not a Value
        -a
        a.exp(), a.log(), a.tanh(), a.relu(), a.sigmoid()

    Local derivatives to use in the backward pass (y is the result):
        a + b: 1 and 1            a * b: b and a          a ** k: k * a ** (k - 1)
        a - b: 1 and -1           a / b: 1/b and -a/b^2   -a: -1
        exp: y                    log: 1/a                tanh: 1 - y^2
        relu: 1 where a > 0, else 0 (0 at exactly a = 0)
        sigmoid: y * (1 - y)
    ``sigmoid`` and ``tanh`` must work for any finite input, 1000 and -1000 included, values
    and gradients: ``math.exp`` raises OverflowError above about 709, so never exponentiate a
    large positive number. For sigmoid use exp(-|a|), as in activations.py; for tanh use
    ``math.tanh``, or exp(-2|a|) (the common (exp(2a) - 1) / (exp(2a) + 1) overflows).
    ``exp`` and ``log`` may fail outside their usual range (an overflow, a log of a number
    <= 0); they are not graded there.

    ``backward()`` sets the output's own grad to 1, then visits every Value that the output
    depends on in reverse topological order (a node only after every node that uses it) and
    adds (``+=``, never ``=``) the local derivative times the node's grad into each input's
    grad. A Value used several times (``b = a + a``) thus collects one contribution per use.
    Values the output does not depend on keep grad 0.

    Depth: the graders build chains of 3000 operations, deeper than Python's default recursion
    limit of 1000. A recursive depth-first search raises RecursionError there, so build the
    topological order with an explicit stack (a list) instead of recursion.
    """

    def __init__(self, data, _parents=()):
        # BEGIN SOLUTION
        self.data = float(data)
        self.grad = 0.0
        # (input Value, local derivative d self / d input) for every input of this node.
        self._parents = tuple(_parents)
        # END SOLUTION

    def __repr__(self):
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    # BEGIN SOLUTION
    @staticmethod
    def _wrap(other):
        return other if isinstance(other, Value) else Value(other)
    # END SOLUTION

    def __add__(self, other):
        # BEGIN SOLUTION
        other = self._wrap(other)
        return Value(self.data + other.data, ((self, 1.0), (other, 1.0)))
        # END SOLUTION

    def __radd__(self, other):
        # BEGIN SOLUTION
        return self + other
        # END SOLUTION

    def __sub__(self, other):
        # BEGIN SOLUTION
        other = self._wrap(other)
        return Value(self.data - other.data, ((self, 1.0), (other, -1.0)))
        # END SOLUTION

    def __rsub__(self, other):
        # BEGIN SOLUTION
        return self._wrap(other) - self
        # END SOLUTION

    def __mul__(self, other):
        # BEGIN SOLUTION
        other = self._wrap(other)
        return Value(self.data * other.data, ((self, other.data), (other, self.data)))
        # END SOLUTION

    def __rmul__(self, other):
        # BEGIN SOLUTION
        return self * other
        # END SOLUTION

    def __truediv__(self, other):
        # BEGIN SOLUTION
        other = self._wrap(other)
        q = self.data / other.data
        return Value(q, ((self, 1.0 / other.data), (other, -q / other.data)))
        # END SOLUTION

    def __rtruediv__(self, other):
        # BEGIN SOLUTION
        return self._wrap(other) / self
        # END SOLUTION

    def __pow__(self, k):
        # BEGIN SOLUTION
        if not isinstance(k, (int, float)):
            raise TypeError("only Value ** number is supported")
        return Value(self.data ** k, ((self, k * self.data ** (k - 1)),))
        # END SOLUTION

    def __neg__(self):
        # BEGIN SOLUTION
        return Value(-self.data, ((self, -1.0),))
        # END SOLUTION

    def exp(self):
        # BEGIN SOLUTION
        y = math.exp(self.data)
        return Value(y, ((self, y),))
        # END SOLUTION

    def log(self):
        # BEGIN SOLUTION
        return Value(math.log(self.data), ((self, 1.0 / self.data),))
        # END SOLUTION

    def tanh(self):
        # BEGIN SOLUTION
        y = math.tanh(self.data)
        return Value(y, ((self, 1.0 - y * y),))
        # END SOLUTION

    def relu(self):
        # BEGIN SOLUTION
        positive = self.data > 0
        return Value(self.data if positive else 0.0, ((self, 1.0 if positive else 0.0),))
        # END SOLUTION

    def sigmoid(self):
        # BEGIN SOLUTION
        e = math.exp(-abs(self.data))
        y = 1.0 / (1.0 + e) if self.data >= 0 else e / (1.0 + e)
        return Value(y, ((self, y * (1.0 - y)),))
        # END SOLUTION

    def backward(self):
        """Fill in ``grad`` of every Value this one depends on (this one's own grad becomes 1).

        The order is the lesson: a node may pass its gradient on only once every node that uses
        it has added its contribution. Walking the graph breadth-first, or running a node's step
        as soon as a depth-first walk first reaches it, breaks that rule on any graph where a
        node feeds two paths of different lengths (``d = b + f(b)`` with ``f`` several
        operations long) and is graded on such graphs.
        """
        # BEGIN SOLUTION
        # Iterative depth-first search: a node is appended after all of its inputs.
        order, visited = [], set()
        stack = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            for parent, _ in node._parents:
                if id(parent) not in visited:
                    stack.append((parent, False))
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in node._parents:
                parent.grad += local * node.grad
        # END SOLUTION
