"""Student-style bugs of autograd.py: micrograd-style ``Value`` classes (a ``_backward`` closure
per operation, a ``_prev`` set, a topological sort), each with one genuine mistake in one
operation or in ``backward`` (see ``descent.catalogue.student``).

Each entry is the same follow-along engine with one method written wrongly: ``_micrograd()``
returns a fresh class, which an entry subclasses to override the one method it gets wrong.
"""

import math

from descent.catalogue import student


def _micrograd():
    """A correct micrograd-style engine, as a learner following along writes it."""

    class Value:
        def __init__(self, data, _children=(), _op=""):
            self.data = float(data)
            self.grad = 0.0
            self._backward = lambda: None
            self._prev = set(_children)
            self._op = _op

        def __repr__(self):
            return f"Value(data={self.data}, grad={self.grad})"

        def _lift(self, other):
            return other if isinstance(other, Value) else type(self)(other)

        def __add__(self, other):
            other = self._lift(other)
            out = type(self)(self.data + other.data, (self, other), "+")

            def _backward():
                self.grad += out.grad
                other.grad += out.grad

            out._backward = _backward
            return out

        def __mul__(self, other):
            other = self._lift(other)
            out = type(self)(self.data * other.data, (self, other), "*")

            def _backward():
                self.grad += other.data * out.grad
                other.grad += self.data * out.grad

            out._backward = _backward
            return out

        def __pow__(self, k):
            assert isinstance(k, (int, float)), "only int/float powers"
            out = type(self)(self.data**k, (self,), f"**{k}")

            def _backward():
                self.grad += k * self.data ** (k - 1) * out.grad

            out._backward = _backward
            return out

        def __truediv__(self, other):
            other = self._lift(other)
            out = type(self)(self.data / other.data, (self, other), "/")

            def _backward():
                self.grad += out.grad / other.data
                other.grad += -self.data / other.data**2 * out.grad

            out._backward = _backward
            return out

        def __neg__(self):
            return self * -1

        def __sub__(self, other):
            return self + (-self._lift(other))

        def __radd__(self, other):
            return self + other

        def __rmul__(self, other):
            return self * other

        def __rsub__(self, other):
            return self._lift(other) - self

        def __rtruediv__(self, other):
            return self._lift(other) / self

        def _unary(self, y, local, op):
            out = type(self)(y, (self,), op)

            def _backward():
                self.grad += local(out) * out.grad

            out._backward = _backward
            return out

        def exp(self):
            return self._unary(math.exp(self.data), lambda out: out.data, "exp")

        def log(self):
            return self._unary(math.log(self.data), lambda out: 1 / self.data, "log")

        def tanh(self):
            return self._unary(math.tanh(self.data), lambda out: 1 - out.data**2, "tanh")

        def relu(self):
            y = self.data if self.data > 0 else 0.0
            return self._unary(y, lambda out: 1.0 if self.data > 0 else 0.0, "relu")

        def sigmoid(self):
            e = math.exp(-abs(self.data))
            y = 1 / (1 + e) if self.data >= 0 else e / (1 + e)
            return self._unary(y, lambda out: out.data * (1 - out.data), "sigmoid")

        def _topological_order(self):
            topo, visited, stack = [], set(), [(self, False)]
            while stack:
                v, done = stack.pop()
                if done:
                    topo.append(v)
                elif v not in visited:
                    visited.add(v)
                    stack.append((v, True))
                    stack.extend((child, False) for child in v._prev if child not in visited)
            return topo

        def backward(self):
            topo = self._topological_order()
            self.grad = 1.0
            for v in reversed(topo):
                v._backward()

    return Value


def _entry(id, title, generic, wrong_on):
    variant = student(id, "autograd.value", title, generic=generic, wrong_on=wrong_on)
    return variant.replaces


class _ExpAssigns(_micrograd()):
    def exp(self):
        out = type(self)(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad = out.data * out.grad  # = where += belongs

        out._backward = _backward
        return out


_ExpAssigns.__name__ = "Value"
_entry(
    "value_exp_backward_assigns",
    "exp's backward assigns its gradient to the input (self.grad = ...) instead of adding it, "
    "wiping out what other uses of the input had contributed",
    "accumulate",
    "ordinary",
)(_ExpAssigns)


class _ReluGateAboveOne(_micrograd()):
    def relu(self):
        out = type(self)(max(self.data, 0.0), (self,), "ReLU")

        def _backward():
            self.grad += (out.data > 1) * out.grad  # the gate should be out.data > 0

        out._backward = _backward
        return out


_ReluGateAboveOne.__name__ = "Value"
_entry(
    "value_relu_gate_above_one",
    "relu's backward passes the gradient where the output is above 1 instead of above 0, so "
    "inputs between 0 and 1 get no gradient",
    "gate",
    "ordinary",
)(_ReluGateAboveOne)


class _TwoWrongDerivatives(_micrograd()):
    def tanh(self):
        t = math.tanh(self.data)
        return self._unary(t, lambda out: 1 - out.data, "tanh")  # 1 - t, not 1 - t**2

    def sigmoid(self):
        e = math.exp(-abs(self.data))
        s = 1 / (1 + e) if self.data >= 0 else e / (1 + e)
        # the derivative written with the input where the output belongs
        return self._unary(s, lambda out: self.data * (1 - self.data), "sigmoid")


_TwoWrongDerivatives.__name__ = "Value"
_entry(
    "value_two_wrong_derivatives",
    "two wrong local derivatives: tanh's as 1 - y (not 1 - y^2) and sigmoid's as x * (1 - x) "
    "with the input x where the output y belongs",
    ("term", "argument"),
    "ordinary",
)(_TwoWrongDerivatives)


class _RecursiveTopo(_micrograd()):
    def _topological_order(self):
        topo, visited = [], set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        return topo


_RecursiveTopo.__name__ = "Value"
_entry(
    "value_recursive_topological_sort",
    "builds the topological order with a recursive depth-first search, which raises "
    "RecursionError on a chain deeper than Python's recursion limit",
    "recursion",
    "edge",
)(_RecursiveTopo)


class _NoReflectedSub(_micrograd()):
    __rsub__ = None  # never written: 2 - a has no method to call


_NoReflectedSub.__name__ = "Value"
_entry(
    "value_without_rsub",
    "defines a - b but not the reflected b - a (no __rsub__), so 2 - a raises TypeError",
    "operator",
    "ordinary",
)(_NoReflectedSub)


class _DivisorGradient(_micrograd()):
    def __truediv__(self, other):
        other = self._lift(other)
        out = type(self)(self.data / other.data, (self, other), "/")

        def _backward():
            self.grad += out.grad / other.data
            other.grad += -1 / other.data**2 * out.grad  # -a / b**2 without the a

        out._backward = _backward
        return out


_DivisorGradient.__name__ = "Value"
_entry(
    "value_division_divisor_gradient",
    "the divisor's derivative in a / b is written -1 / b^2, leaving out the numerator a",
    ("omitted", "factor"),
    "ordinary",
)(_DivisorGradient)


class _ForwardOrder(_micrograd()):
    def backward(self):
        topo = self._topological_order()
        self.grad = 1.0
        for v in topo:  # inputs first: not reversed
            v._backward()


_ForwardOrder.__name__ = "Value"
_entry(
    "value_backward_not_reversed",
    "runs the nodes' backward steps in topological order (inputs first) instead of reversed, "
    "so a node passes its gradient on before it has received it",
    "order",
    "ordinary",
)(_ForwardOrder)


class _LogAtOutput(_micrograd()):
    def log(self):
        y = math.log(self.data)
        return self._unary(y, lambda out: 1 / out.data, "log")  # 1 / y, not 1 / x


_LogAtOutput.__name__ = "Value"
_entry(
    "value_log_derivative_of_output",
    "log's local derivative is written 1 / y with the output y = log(x) instead of 1 / x",
    "argument",
    "ordinary",
)(_LogAtOutput)
