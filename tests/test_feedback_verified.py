"""The five messages that pointed real students at the wrong fix (issue 38), each graded by the
hidden graders in one run: every cause a failure names must now be verified on the exercise's
failing checks, so each becomes a right name or an observation.

One grading run of five submissions (about half a minute): a grading run is what produced the
wrong messages, through checks that only meet in the real graders.
"""

from __future__ import annotations

import pytest
from conftest import KIT, grade

# micrograd's shape: each operation keeps a closure that adds its share into its inputs' grads;
# exp's assigns instead of adding, and relu's gate is on the output above 1 (two mistakes).
MICROGRAD = """
import math


class Value:
    def __init__(self, data, _children=()):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    @staticmethod
    def _v(other):
        return other if isinstance(other, Value) else Value(other)

    def __add__(self, other):
        other = Value._v(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __radd__(self, other):
        return self + other

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-Value._v(other))

    def __rsub__(self, other):
        return Value._v(other) + (-self)

    def __mul__(self, other):
        other = Value._v(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __rmul__(self, other):
        return self * other

    def __pow__(self, k):
        out = Value(self.data**k, (self,))

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad

        out._backward = _backward
        return out

    def __truediv__(self, other):
        return self * Value._v(other) ** -1

    def __rtruediv__(self, other):
        return Value._v(other) * self**-1

    def exp(self):
        out = Value(math.exp(self.data), (self,))

        def _backward():
            self.grad = out.data * out.grad

        out._backward = _backward
        return out

    def log(self):
        out = Value(math.log(self.data), (self,))

        def _backward():
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self):
        out = Value(math.tanh(self.data), (self,))

        def _backward():
            self.grad += (1.0 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def relu(self):
        out = Value(self.data if self.data > 0 else 0.0, (self,))

        def _backward():
            self.grad += (1.0 if out.data > 1 else 0.0) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self):
        e = math.exp(-abs(self.data))
        s = 1.0 / (1.0 + e) if self.data >= 0 else e / (1.0 + e)
        out = Value(s, (self,))

        def _backward():
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
"""

# (module, a line of the reference, what the student wrote instead)
SLIPS = {
    "relu_rounds": (
        "activations",
        "    return torch.where(x > 0, x, torch.zeros_like(x)), (x,)\n",
        "    return torch.where(x > 0, x, torch.zeros_like(x)).float().to(x.dtype), (x,)\n",
    ),
    "adam_param_in_place": (
        "optim",
        "    return _adam_update(param, g, state, lr, betas, eps)\n",
        "    new_param, new_state = _adam_update(param, g, state, lr, betas, eps)\n"
        "    param.copy_(new_param)\n"
        "    return param, new_state\n",
    ),
    "dropout_p_over_p": (
        "regularization",
        "    mask = (u >= p).to(x.dtype) / (1 - p)\n",
        "    mask = (u < p / p).to(x.dtype) / (1 - p)\n",
    ),
    "adam_one_minus_beta": (
        "optim",
        "    bias1 = 1 - beta1 ** t\n    bias2 = 1 - beta2 ** t\n",
        "    bias1 = 1 - beta1\n    bias2 = 1 - beta2\n",
    ),
}

WRONG = {
    "exp_assigns": "topological order instead of reversed",
    "relu_rounds": "differentiate your forward formula again",
    "adam_param_in_place": "exp_avg and exp_avg_sq of the given state in place",
    "dropout_p_over_p": "do not follow the generator",
    "adam_one_minus_beta": "in your first update",
}

EXERCISE = {
    "exp_assigns": "autograd.value",
    "relu_rounds": "activations.relu",
    "adam_param_in_place": "optim.adam",
    "dropout_p_over_p": "regularization.dropout",
    "adam_one_minus_beta": "optim.adam",
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("five")
    folders = []
    exp = tmp / "exp_assigns"
    exp.mkdir()
    (exp / "autograd.py").write_text(MICROGRAD)
    folders.append(exp)
    for name, (module, right, wrong) in SLIPS.items():
        folder = tmp / name
        folder.mkdir()
        source = (KIT / "solutions" / f"{module}.py").read_text()
        assert right in source, (name, right)
        (folder / f"{module}.py").write_text(source.replace(right, wrong))
        folders.append(folder)
    suites = [
        "graders/test_autograd.py",
        "graders/test_activations.py",
        "graders/test_optim.py",
        "graders/test_regularization.py",
        "-k",
        "value or relu or adam or dropout",
        "--insecure",
        "--isolation=none",
    ]
    return grade(tmp, suites, [str(f) for f in folders])


def _failures(run, name: str) -> list[dict]:
    return [
        t
        for t in run.results["tests"]
        if t["implementation"].endswith(name)
        and t["exercise"] == EXERCISE[name]
        and t["outcome"] != "passed"
    ]


@pytest.mark.parametrize("name", list(WRONG))
def test_no_wrong_cause_is_named(graded, name):
    failures = _failures(graded, name)
    assert failures, f"{name} lost no points"
    told = [
        line
        for t in failures
        for line in t["message"].splitlines()
        if line.startswith(("likely mistake:", "hint:")) and WRONG[name] in line
    ]
    assert not told, told[0]


def test_an_exp_that_assigns_and_a_relu_gated_above_1_are_observed_not_misnamed(graded):
    failures = _failures(graded, "exp_assigns")
    assert all(t["misconception"] is None for t in failures), [t["misconception"] for t in failures]


def test_a_right_backward_after_a_rounding_forward_is_not_told_to_differentiate_again(graded):
    failures = _failures(graded, "relu_rounds")
    gradient = [t for t in failures if t["message"].startswith("[gradient check]")]
    assert gradient, [t["message"][:80] for t in failures]
    assert all("your backward gives the expected gradient" in t["message"] for t in gradient)
    # (issue 57) and the rounding is named: a forward computed in float32, not a menu in a hint
    assert all(
        "likely mistake: your forward's output agrees with the expected only to float32"
        in t["message"]
        for t in gradient
    ), [t["message"] for t in gradient]


def test_adam_with_one_minus_beta_is_named_by_a_verified_slip(graded):
    failures = _failures(graded, "adam_one_minus_beta")
    named = [t for t in failures if t["diagnosis"]]
    assert named and {t["diagnosis"] for t in named} == {"omitted"}, [
        (t["diagnosis"], t["message"][-200:]) for t in failures
    ]
    assert all("`** t` left out" in t["message"] for t in named)
