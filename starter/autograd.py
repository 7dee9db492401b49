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
        raise NotImplementedError("autograd.value: Value.__init__ is not implemented yet (starter/autograd.py)")

    def __repr__(self):
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    def __add__(self, other):
        raise NotImplementedError("autograd.value: Value.__add__ is not implemented yet (starter/autograd.py)")

    def __radd__(self, other):
        raise NotImplementedError("autograd.value: Value.__radd__ is not implemented yet (starter/autograd.py)")

    def __sub__(self, other):
        raise NotImplementedError("autograd.value: Value.__sub__ is not implemented yet (starter/autograd.py)")

    def __rsub__(self, other):
        raise NotImplementedError("autograd.value: Value.__rsub__ is not implemented yet (starter/autograd.py)")

    def __mul__(self, other):
        raise NotImplementedError("autograd.value: Value.__mul__ is not implemented yet (starter/autograd.py)")

    def __rmul__(self, other):
        raise NotImplementedError("autograd.value: Value.__rmul__ is not implemented yet (starter/autograd.py)")

    def __truediv__(self, other):
        raise NotImplementedError("autograd.value: Value.__truediv__ is not implemented yet (starter/autograd.py)")

    def __rtruediv__(self, other):
        raise NotImplementedError("autograd.value: Value.__rtruediv__ is not implemented yet (starter/autograd.py)")

    def __pow__(self, k):
        raise NotImplementedError("autograd.value: Value.__pow__ is not implemented yet (starter/autograd.py)")

    def __neg__(self):
        raise NotImplementedError("autograd.value: Value.__neg__ is not implemented yet (starter/autograd.py)")

    def exp(self):
        raise NotImplementedError("autograd.value: Value.exp is not implemented yet (starter/autograd.py)")

    def log(self):
        raise NotImplementedError("autograd.value: Value.log is not implemented yet (starter/autograd.py)")

    def tanh(self):
        raise NotImplementedError("autograd.value: Value.tanh is not implemented yet (starter/autograd.py)")

    def relu(self):
        raise NotImplementedError("autograd.value: Value.relu is not implemented yet (starter/autograd.py)")

    def sigmoid(self):
        raise NotImplementedError("autograd.value: Value.sigmoid is not implemented yet (starter/autograd.py)")

    def backward(self):
        """Fill in ``grad`` of every Value this one depends on (this one's own grad becomes 1).

        The order is the lesson: a node may pass its gradient on only once every node that uses
        it has added its contribution. Walking the graph breadth-first, or running a node's step
        as soon as a depth-first walk first reaches it, breaks that rule on any graph where a
        node feeds two paths of different lengths (``d = b + f(b)`` with ``f`` several
        operations long) and is graded on such graphs.
        """
        raise NotImplementedError("autograd.value: Value.backward is not implemented yet (starter/autograd.py)")
