"""The slips of a backward's formula (``descent.diagnoses.backward``), written into the
reference's code and into the catalogued alternatives (a ``_backward`` closure per operation, a
textbook layer norm): a gate on another argument or at 1, a choice's branches exchanged, a
factor or a numerator left out, a reduction over another axis, another quantity of the
operation; a walk's bookkeeping gets no slip."""

from __future__ import annotations

import math

import pytest
import torch

from descent.diagnoses import backward

from .test_mutant import _backward_cases, _graded, _kinds, _named, _t
from .test_syntax import rules_of

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_a_relu_gradient_gated_on_the_upstream_gradient_is_a_gate():
    def relu_backward(dy, cache):
        return torch.where(dy > 0, dy, torch.zeros_like(dy))  # tested on dy, not on x

    failures = _named(
        "activations.relu", "relu_backward", relu_backward, _backward_cases("relu", ())
    )
    assert _kinds(failures) == {"gate"} and "tested on `dy` where it belongs on `x`" in str(
        failures[0]
    )


def test_leaky_relu_branches_exchanged_are_a_branch_slip():
    def leaky_relu_backward(dy, cache):
        x, slope = cache
        return torch.where(x > 0, slope * dy, dy)

    failures = _named(
        "activations.leaky_relu",
        "leaky_relu_backward",
        leaky_relu_backward,
        _backward_cases("leaky_relu", (0.1,)),
    )
    assert _kinds(failures) == {"branch"} and "branches of a choice exchanged" in str(failures[0])


def _layernorm(dxhat_of):
    """A textbook layer norm whose backward takes ``dxhat_of(dy, gamma)`` for dy * gamma."""

    def layernorm_forward(x, gamma, beta, eps=1e-5):
        mu = x.mean(-1, keepdim=True)
        std = (((x - mu) ** 2).mean(-1, keepdim=True) + eps).sqrt()
        xhat = (x - mu) / std
        return gamma * xhat + beta, (xhat, gamma, std)

    def layernorm_backward(dy, cache):
        xhat, gamma, std = cache
        g = dxhat_of(dy, gamma)
        dx = (g - g.mean(-1, keepdim=True) - xhat * (g * xhat).mean(-1, keepdim=True)) / std
        flat = dy.reshape(-1, dy.shape[-1])
        return dx, (flat * xhat.reshape(flat.shape)).sum(0), flat.sum(0)

    return {"layernorm_forward": layernorm_forward, "layernorm_backward": layernorm_backward}


def test_a_layer_norm_backward_without_gamma_is_a_factor_left_out():
    def case(n, d):
        x, gamma, beta, dy = _t(n, d), _t(d), _t(d), _t(n, d)

        def recipe(m):
            y, cache = m.normalization.layernorm_forward(x, gamma, beta)
            return m.normalization.layernorm_backward(dy, cache)

        return recipe

    functions = _layernorm(lambda dy, gamma: dy)  # dy where dy * gamma belongs
    failures = _graded("normalization.layernorm", functions, [case(4, 5), case(6, 3)])
    assert _kinds(failures) == {"factor"}
    assert "the factor `gamma` left out" in str(failures[0])
    assert "a correct solution written another way" in str(failures[0])


def _residual(db2_dim):
    def residual_block_forward(x, W1, b1, W2, b2):
        z = x @ W1.T + b1
        a = z.clamp(min=0)
        return x + a @ W2.T + b2, (x, W1, W2, z, a)

    def residual_block_backward(dy, cache):
        x, W1, W2, z, a = cache
        dz = (dy @ W2) * (z > 0)
        return dy + dz @ W1, dz.T @ x, dz.sum(0), dy.T @ a, dy.sum(db2_dim)

    return {
        "residual_block_forward": residual_block_forward,
        "residual_block_backward": residual_block_backward,
    }


def test_a_bias_gradient_summed_over_the_features_is_a_reduction_over_another_axis():
    def case(n, d, h):
        x, W1, b1, W2, b2, dy = _t(n, d), _t(h, d), _t(h), _t(d, h), _t(d), _t(n, d)

        def recipe(m):
            _, cache = m.layers.residual_block_forward(x, W1, b1, W2, b2)
            return m.layers.residual_block_backward(dy, cache)

        return recipe

    failures = _graded("layers.residual_block", _residual(1), [case(5, 3, 4), case(7, 4, 6)])
    assert _kinds(failures) == {"reduction"}
    assert "a sum over dimension 1 where it belongs over dimension 0" in str(failures[0])


def _inputs_first(root):
    """Every node ``root`` depends on, each after its inputs (an explicit stack)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        v, done = stack.pop()
        if done:
            order.append(v)
        elif id(v) not in seen:
            seen.add(id(v))
            stack.append((v, True))
            stack.extend((c, False) for c in v.children)
    return order


def _engine(relu_gate=0.0, log_local=None, divisor_top=None):
    """A micrograd-style Value (a closure per operation), with the slips asked for."""

    class Value:
        def __init__(self, data, children=()):
            self.data, self.grad, self.children = float(data), 0.0, tuple(children)
            self._backward = lambda: None

        def _lift(self, v):
            return v if isinstance(v, Value) else type(self)(v)

        def _node(self, data, children, push):
            out = type(self)(data, children)
            out._backward = lambda: push(out)
            return out

        def __add__(self, o):
            o = self._lift(o)

            def push(out):
                self.grad += out.grad
                o.grad += out.grad

            return self._node(self.data + o.data, (self, o), push)

        __radd__ = __add__

        def __mul__(self, o):
            o = self._lift(o)

            def push(out):
                self.grad += o.data * out.grad
                o.grad += self.data * out.grad

            return self._node(self.data * o.data, (self, o), push)

        __rmul__ = __mul__

        def __truediv__(self, o):
            o = self._lift(o)
            top = self.data if divisor_top is None else divisor_top

            def push(out):
                self.grad += out.grad / o.data
                o.grad += -top / o.data**2 * out.grad

            return self._node(self.data / o.data, (self, o), push)

        def log(self):
            def push(out):
                self.grad += (log_local(self, out) if log_local else 1 / self.data) * out.grad

            return self._node(math.log(self.data), (self,), push)

        def relu(self):
            def push(out):
                self.grad += (self.data > relu_gate) * out.grad

            return self._node(max(self.data, 0.0), (self,), push)

        def backward(self):
            self.grad = 1.0
            for v in reversed(_inputs_first(self)):
                v._backward()

    return Value


def _value_recipes(build, points):
    """Recipes: the grads of every node ``build`` returns (the last is the output)."""

    def recipe_at(*leaves):
        def recipe(m):
            nodes = build(*[m.autograd.Value(v) for v in leaves])
            nodes[-1].backward()
            return [v.grad for v in nodes]

        return recipe

    return [recipe_at(*p) for p in points]


def _relu_graph(a, b):
    c = a * b
    r = c.relu()
    return [a, b, c, r, r * 1.5 + c * a]


def _log_graph(a, b):
    c = a * b
    g = c.log()
    return [a, b, c, g, g * 1.5 + c * b]


def _quotient_graph(a, b):
    q = a / b
    p = a * b
    return [a, b, q, p, q * p + q]


def test_a_relu_gradient_gated_above_one_in_a_closure_is_a_gate():
    failures = _graded(
        "autograd.value",
        {"Value": _engine(relu_gate=1.0)},
        _value_recipes(_relu_graph, [(0.6, 1.2), (0.3, 2.5), (1.7, 0.9)]),
    )
    assert _kinds(failures) == {"gate"}


def test_a_log_derivative_written_with_the_output_is_another_quantity():
    failures = _graded(
        "autograd.value",
        {"Value": _engine(log_local=lambda node, out: 1 / out.data)},
        _value_recipes(_log_graph, [(0.3, 0.7), (2.2, 1.4)]),
    )
    assert _kinds(failures) == {"argument"}
    assert "another quantity of the operation" in str(failures[0])


def test_a_divisor_gradient_without_its_numerator_is_a_factor_left_out():
    class Value(_engine()):
        def __truediv__(self, o):  # the divisor's derivative written -1 / b**2
            o = self._lift(o)

            def push(out):
                self.grad += out.grad / o.data
                o.grad += -1 / o.data**2 * out.grad

            return self._node(self.data / o.data, (self, o), push)

    failures = _graded(
        "autograd.value",
        {"Value": Value},
        _value_recipes(_quotient_graph, [(1.3, -0.45), (2.0, 0.8)]),
    )
    assert _kinds(failures) == {"factor"}
    assert "left out" in str(failures[0])


def test_a_backward_pass_in_topological_order_gets_no_slip_of_the_walk():
    class Value(_engine()):
        def backward(self):
            self.grad = 1.0
            for v in _inputs_first(self):  # not reversed
                v._backward()

    failures = _graded(
        "autograd.value",
        {"Value": Value},
        _value_recipes(_quotient_graph, [(1.3, -0.45), (2.0, 0.8)]),
    )
    # a walk's bookkeeping changed (a membership test, a count of users) can mimic this
    # mistake; it names no gate, no count one off and no other quantity
    assert not _kinds(failures) & {"gate", "step", "frozen", "argument"}


def test_each_rule_writes_its_slips_into_one_node():
    """The rules alone, on a tree: a backward's gate tested on its other tensor, a strict
    comparison made inclusive, an axis moved; a forward's comparison gets no gate."""
    gate = "def relu_backward(dy, x):\n    return dy * (x > 0)"
    assert rules_of(gate, backward.gated_on_other)[0][0] == "gate"
    assert "on `dy` where it belongs on `x`" in rules_of(gate, backward.gated_on_other)[0][1]
    assert {k for k, _ in rules_of(gate, backward.comparison_slipped)} == {"gate", "branch"}
    forward = "def relu_forward(dy, x):\n    return dy * (x > 0)"
    assert rules_of(forward, backward.gated_on_other) == []
    summed = "def bias_backward(dy):\n    return dy.sum(0)"
    assert [k for k, _ in rules_of(summed, backward.reduced_over)] == ["reduction", "reduction"]
