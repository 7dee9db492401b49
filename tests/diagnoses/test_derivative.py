"""Generic diagnoses of a derivative's formula and of a loss's arguments: a backward's local
derivative read through its forward's input and output (``descent.diagnoses.derivative``), a
gradient off by exp of a log argument, and the re-runs that read a float argument as its
complement, scaled by n/(n - 1), one share of a mixture alone, or two distributions exchanged.
Each is named on a fit and silent on a near miss."""

import math

import pytest
import torch

from descent.calls.impl import FolderImplementation
from descent.diagnoses.base import Case
from descent.diagnoses.derivative import local_slip, log_argument, node_fits, pair_fits
from descent.diagnoses.parameter import _reproduces, one_diagnosis, parameter_fits
from descent.diagnoses.rerun import number_fits
from descent.diagnoses.values import Inputs
from descent.kit import kit_root

from .test_parameter import _Reference  # a toy reference of plain functions

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

G = torch.Generator().manual_seed(3)
X = torch.randn(6, 5, generator=G, dtype=torch.float64) * 2
DOUT = torch.rand(6, 5, generator=G, dtype=torch.float64) + 0.5


def _one(fits):
    assert len(fits) == 1, fits
    return fits[0]


def test_a_derivative_in_the_output_evaluated_at_the_input():
    y = torch.sigmoid(X)
    found = _one(local_slip(X, y, y * (1 - y), X * (1 - X)))
    assert found.kind == "argument" and "evaluated at the input x instead" in found.text
    # near miss: the right formula a hair off is no slip of the formula
    assert local_slip(X, y, y * (1 - y), 1.001 * y * (1 - y)) == []


def test_a_term_of_the_derivative_missing_or_a_power_too_low():
    y = torch.tanh(X)
    found = _one(local_slip(X, y, 1 - y * y, 1 - y))
    assert found.kind == "term" and "the term in y^2 written with y" in found.text
    s = torch.sigmoid(X)
    found = _one(local_slip(X, s, s * (1 - s), s))  # the function's value for its derivative
    assert found.kind == "term" and "with the term in y^2 left out" in found.text
    # near miss: 1 - y^3 is no slip the hypotheses know
    assert local_slip(X, y, 1 - y * y, 1 - y**3) == []


def test_the_product_rule_half_applied():
    s = torch.sigmoid(X)
    y = X * s  # SiLU
    found = _one(local_slip(X, y, s * (1 + X * (1 - s)), s))
    assert found.kind == "term" and "y / x" in found.text
    # near miss: a linear forward's derivative is y / x and right; nothing else fits either
    assert local_slip(X, 3 * X, torch.full_like(X, 3.0), torch.full_like(X, 2.0)) == []


def sigmoid_forward(x):
    y = torch.sigmoid(x)
    return y, (y,)


def sigmoid_backward(dy, cache):
    (y,) = cache
    return dy * y * (1 - y)


ACTIVATIONS = _Reference(
    activations={"sigmoid_forward": sigmoid_forward, "sigmoid_backward": sigmoid_backward}
)


def test_the_pair_is_recorded_from_one_run_of_the_recipe():
    def recipe(m):
        return m.activations.sigmoid_backward(DOUT, m.activations.sigmoid_forward(X)[1])

    expected = recipe(ACTIVATIONS)
    got = DOUT * X * (1 - X)
    found = _one(pair_fits(Case(recipe, got, expected, ACTIVATIONS, "activations.sigmoid")))
    assert found.kind == "argument"
    # the forward's own check (no backward call) and an unknown exercise name nothing
    assert (
        pair_fits(Case(lambda m: m.activations.sigmoid_forward(X)[0], X, X, ACTIVATIONS, None))
        == []
    )
    assert pair_fits(Case(recipe, 2 * expected, expected, ACTIVATIONS, "activations.sigmoid")) == []


TANH = FolderImplementation(kit_root() / "solutions", "reference")  # the kit's own tanh pair


def test_a_derivative_in_the_input_handed_the_output():
    def recipe(m):
        return m.activations.tanh_backward(DOUT, m.activations.tanh_forward(X)[1])

    expected = recipe(TANH)
    y = torch.tanh(X)
    # sech^2 written in the input, given the activation y where x belongs
    found = _one(
        pair_fits(Case(recipe, DOUT / torch.cosh(y) ** 2, expected, TANH, "activations.tanh"))
    )
    assert found.kind == "argument" and "evaluated at the forward's output" in found.text
    # near misses: 1 - tanh(y) (not squared) is no derivative at the output, nor is sech^2 a
    # hair off
    wrong = DOUT * (1 - torch.tanh(y))
    assert pair_fits(Case(recipe, wrong, expected, TANH, "activations.tanh")) == []
    off = 1.001 * DOUT / torch.cosh(y) ** 2
    assert pair_fits(Case(recipe, off, expected, TANH, "activations.tanh")) == []


def test_a_gradient_with_respect_to_exp_of_a_log_argument():
    p = torch.softmax(X, dim=1)
    log_q = torch.log_softmax(X.flip(0), dim=1)
    expected = -p / 6
    inputs = Inputs(tensors=[("log_q", log_q), ("p", p)])
    found = log_argument(expected, expected / log_q.exp(), inputs)
    assert found.kind == "factor" and "divided by exp(`log_q`)" in found.text
    assert log_argument(expected, 1.5 * expected, inputs) is None  # near miss: a constant
    # an argument with positive entries is no log-probability: exp(x) is no telling factor there
    assert log_argument(expected, expected / X.exp(), Inputs(tensors=[("x", X)])) is None


def focal_loss_forward(logits, target, alpha=0.25, gamma=2.0):
    weight = torch.where(target > 0.5, alpha, 1 - alpha)
    return (weight * logits.abs() ** gamma).mean(), None


FOCAL = _Reference(losses={"focal_loss_forward": focal_loss_forward})
TARGET = (X > 0).double()


def test_a_parameter_read_as_its_complement_passed_or_left_out():
    def recipe(m):
        return m.losses.focal_loss_forward(X, TARGET)[0]

    expected = recipe(FOCAL)
    got = focal_loss_forward(X, TARGET, alpha=0.75)[0]
    found = _one(parameter_fits(Case(recipe, got, expected, FOCAL, "losses.focal_loss")))
    assert found.kind == "argument" and "read as 1 - `alpha`" in found.text
    # near miss: another weight that is no complement
    got = focal_loss_forward(X, TARGET, alpha=0.7)[0]
    assert parameter_fits(Case(recipe, got, expected, FOCAL, "losses.focal_loss")) == []


def smoothed_nll(logits, target, eps):
    """A label-smoothed negative log-likelihood: ``(1 - eps) * onehot + eps / C``."""
    c = logits.shape[1]
    q = (1 - eps) * torch.nn.functional.one_hot(target, c) + eps / c
    return -(q * logits.log_softmax(1)).sum() / len(target)


def _reruns(recipe, got):
    expected = recipe(smoothed_nll)
    return one_diagnosis(number_fits(Case(recipe, got, expected, smoothed_nll)))


TARGETS = torch.tensor([0, 3, 1, 4, 2, 4])


def test_an_argument_spread_over_n_minus_1_where_n_belongs():
    # confident logits: the loss follows eps closely enough for a nudge of it to show
    eps, logits, target = 0.1, 10 * X, TARGETS

    def recipe(impl):  # the sizes of the tensors it closes over are the counts tried
        return impl(logits, target, eps)

    found = _reruns(recipe, smoothed_nll(logits, target, eps * 5 / 4))  # eps/(C-1) for eps/C
    assert found.kind == "factor" and "`eps` times 5/(5 - 1)" in found.text
    assert _reruns(recipe, smoothed_nll(logits, target, eps * 1.1)) is None  # near miss

    def ramp(impl):  # a result proportional to the argument: the ratio says nothing of it
        return impl(logits, eps)

    def scaled(x, rate):
        return rate * x.sum()

    got = scaled(logits, eps * 5 / 4)
    fits = number_fits(Case(ramp, got, ramp(scaled), scaled))
    assert not any("5/(5 - 1)" in d.text for d in fits)


def test_one_share_of_a_mixture_alone():
    eps = 0.1

    def recipe(impl):
        return impl(X, TARGETS, eps)

    got = (1 - eps) * smoothed_nll(X, TARGETS, 0.0)  # the uniform share never added
    found = _reruns(recipe, got)
    assert found.kind == "term" and "(1 - `eps`) times the result at `eps` = 0" in found.text
    assert _reruns(recipe, 0.9 * got) is None  # near miss
    assert _reruns(recipe, 0 * got) is None  # zeros: the share of any mixture with a zero part
    assert eps == 0.1


def kl(log_q, p):
    """KL(p || q) / N, entries with p = 0 giving 0."""
    plogp = torch.where(p > 0, p * torch.log(torch.where(p > 0, p, 1.0)), 0.0)
    return (plogp - p * log_q).sum() / len(p)


def test_two_distributions_exchanged():
    p = torch.softmax(X, dim=1)
    args = (torch.log_softmax(torch.randn(6, 5, generator=G, dtype=torch.float64), dim=1), p)

    def recipe(impl):
        return impl(*args)

    expected = recipe(kl)
    reversed_kl = kl(torch.log(p), args[0].exp())
    fits = number_fits(Case(recipe, reversed_kl, expected, kl))
    found = _one(fits)
    assert found.kind == "argument" and "`args[0]` (log-probabilities)" in found.text
    assert math.isfinite(float(reversed_kl))
    assert number_fits(Case(recipe, 2 * reversed_kl, expected, kl)) == []
    assert torch.equal(args[1], p)  # put back


class Node:
    """A toy scalar node recording ``(input, local derivative)`` pairs, as the kit's Value."""

    def __init__(self, data, _parents=()):
        self.data, self.grad, self._parents = float(data), 0.0, tuple(_parents)

    def tanh(self):
        y = math.tanh(self.data)
        return Node(y, ((self, 1.0 - y * y),))

    def relu(self):
        return Node(max(self.data, 0.0), ((self, float(self.data > 0)),))

    def grad_of_chain(self, ops):
        """d(ops applied in turn)/d(self) by the chain rule through the recorded locals."""
        node, total = self, 1.0
        for op in ops:
            node = getattr(node, op)()
            total *= node._parents[0][1]
        return total


AUTOGRAD = _Reference(autograd={"Value": Node})


def _reproducing(got, expected):
    return lambda theirs: _reproduces(theirs, got, expected)


def test_a_node_class_re_run_with_one_operation_s_derivative_slipped():
    def recipe(m):
        return [m.autograd.Value(a).grad_of_chain(["tanh", "relu", "tanh"]) for a in (0.4, 1.3)]

    expected = recipe(AUTOGRAD)
    slipped = [(1 - math.tanh(a)) * (1 - math.tanh(math.tanh(a))) for a in (0.4, 1.3)]
    found = _one(
        node_fits(
            Case(
                recipe,
                None,
                None,
                AUTOGRAD,
                "autograd.value",
                reproduces=_reproducing(slipped, expected),
            )
        )
    )
    assert found.kind == "term" and "derivative of `tanh`" in found.text
    assert "the term in y^2 written with y" in found.text
    assert Node.tanh is vars(Node)["tanh"] and Node(0.5).tanh()._parents[0][1] < 1  # put back
    # near miss: a gradient off by a constant factor is no slip of one operation's formula
    doubled = _reproducing([2 * g for g in expected], expected)
    assert node_fits(Case(recipe, None, None, AUTOGRAD, "autograd.value", reproduces=doubled)) == []
