"""Public checks for starter/activations.py: values you can check by hand, plus gradient checks.

The hidden graders also try exact zeros, inputs of magnitude 1e4 in float32, other dimensions
for softmax and a non-unit upstream gradient everywhere.
"""

import math

import pytest
import torch

from descent.grading.checker import Mistake

from . import T


def _smooth(inputs):
    # Gradient checks use finite differences, which are meaningless across ReLU's kink at 0.
    return inputs.away_from(inputs.randn(3, 4), (0.0,), margin=0.1)


GRADCHECKED = ["sigmoid", "tanh", "relu", "leaky_relu", "gelu", "silu", "softmax"]


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.exercise(f"activations.{n}"))
                                  for n in GRADCHECKED])
@pytest.mark.supporting()  # checks the backward against your own forward
def test_gradcheck(name, check, inputs):
    check.gradcheck(f"activations.{name}", (_smooth(inputs),), wrt=(0,))


@pytest.mark.exercise("activations.sigmoid")
@pytest.mark.ordinary  # everyday inputs: failing it caps the exercise at half, as hidden
@pytest.mark.points(2)
def test_sigmoid_values(check):
    x = T(0.0, 2.0, -2.0)
    s2 = 1 / (1 + math.exp(-2))
    check.matches(lambda m: m.activations.sigmoid_forward(x)[0], "sigmoid_forward",
                  expected=T(0.5, s2, 1 - s2))


@pytest.mark.exercise("activations.sigmoid")
def test_sigmoid_of_large_inputs(check):
    # an edge, as in the hidden graders: only inputs of size ~100 and more overflow exp
    big = torch.tensor([1000.0, -1000.0])
    check.matches(lambda m: m.activations.sigmoid_forward(big)[0],
                  "sigmoid of +-1000 (float32)", expected=torch.tensor([1.0, 0.0]),
                  check="stability", hint="exp(1000) overflows: use exp(-|x|)")


@pytest.mark.exercise("activations.tanh")
def test_tanh_values(check):
    # tanh(0) = 0, tanh(1) = (e^2 - 1) / (e^2 + 1), odd: tanh(-2) = -tanh(2)
    t1, t2 = math.tanh(1.0), math.tanh(2.0)
    check.matches(lambda m: m.activations.tanh_forward(T(0.0, 1.0, -2.0))[0], "tanh_forward",
                  expected=T(0.0, t1, -t2))


@pytest.mark.exercise("activations.tanh")
def test_tanh_derivative(check):
    x = T(0.0, 1.0)
    y = torch.tanh(x)
    check.matches(lambda m: m.activations.tanh_backward(T(1.0, 1.0),
                                                        m.activations.tanh_forward(x)[1]),
                  "tanh_backward", expected=1 - y * y,
                  mistakes=[Mistake("tanh_backward_1_minus_y", "writes the derivative as 1 - y "
                                    "instead of 1 - y^2", "d tanh(x)/dx = 1 - tanh(x)^2", 1 - y),
                            Mistake("tanh_backward_at_input", "evaluates the derivative at the "
                                    "input x, 1 - x^2, instead of at the output y = tanh(x)",
                                    "the derivative is 1 - y^2 in the output y: keep y in the "
                                    "cache (what the forward returned), not x", 1 - x * x)])


@pytest.mark.exercise("activations.relu")
@pytest.mark.ordinary  # everyday inputs: failing it caps the exercise at half, as hidden
@pytest.mark.points(4)
def test_relu_values(check):
    x = T(-1.0, 0.5, 2.0)
    check.matches(lambda m: m.activations.relu_forward(x)[0], "relu_forward",
                  expected=T(0.0, 0.5, 2.0))
    check.matches(lambda m: m.activations.relu_backward(T(5.0, 5.0, 5.0),
                                                        m.activations.relu_forward(x)[1]),
                  "relu_backward", expected=T(0.0, 5.0, 5.0))


@pytest.mark.exercise("activations.relu")
def test_relu_at_zero(check):
    # an edge, as in the hidden graders: the derivative at exactly 0 is a convention
    x = T(-1.0, 0.0, 2.0)
    check.matches(lambda m: m.activations.relu_forward(x)[0], "relu_forward at 0",
                  expected=T(0.0, 0.0, 2.0))
    check.matches(lambda m: m.activations.relu_backward(T(5.0, 5.0, 5.0),
                                                        m.activations.relu_forward(x)[1]),
                  "relu_backward (derivative 0 at exactly 0)", expected=T(0.0, 0.0, 5.0),
                  check="edge case", mistakes=[
                      Mistake("relu_backward_ge0", "passes the gradient where x >= 0, so the "
                              "derivative at 0 is 1", "By convention the derivative at exactly 0 "
                              "is 0: use x > 0.", T(0.0, 5.0, 5.0))])


@pytest.mark.exercise("activations.leaky_relu")
def test_leaky_relu_default_slope(check):
    x = T(-100.0, 3.0)
    check.matches(lambda m: m.activations.leaky_relu_forward(x)[0], "leaky_relu_forward",
                  expected=T(-1.0, 3.0), hint="the default negative_slope is 0.01")


@pytest.mark.exercise("activations.leaky_relu")
def test_leaky_relu_backward_with_a_slope(check):
    # negative_slope 0.2: dx = dy where x > 0, 0.2 * dy where x < 0
    x, dy = T(-1.5, 0.5, -0.25), T(2.0, 3.0, -1.0)
    check.matches(lambda m: m.activations.leaky_relu_backward(
                      dy, m.activations.leaky_relu_forward(x, negative_slope=0.2)[1]),
                  "leaky_relu_backward with negative_slope=0.2", expected=T(0.4, 3.0, -0.2),
                  hint="the backward uses the slope the forward was given (keep it in the cache)")


@pytest.mark.exercise("activations.leaky_relu")
def test_leaky_relu_gradient_at_zero(check):
    # the docstring's convention: at exactly x = 0 the gradient is negative_slope * dy
    x, dy = T(-2.0, 0.0, 3.0), T(1.0, 1.0, 1.0)
    check.matches(lambda m: m.activations.leaky_relu_backward(dy,
                                                              m.activations.leaky_relu_forward(x)[1]),
                  "leaky_relu_backward at x = (-2, 0, 3)", expected=T(0.01, 0.01, 1.0),
                  mistakes=[Mistake("leaky_backward_ge0", "passes the whole gradient where "
                                    "x >= 0, so the derivative at exactly 0 is 1",
                                    "at exactly x = 0 the gradient is negative_slope * dy: test "
                                    "x > 0", T(0.01, 1.0, 1.0))])


@pytest.mark.exercise("activations.gelu")
def test_gelu_values(check):
    x = T(0.0, 1.0, -1.0)
    phi1 = 0.5 * (1 + math.erf(1 / math.sqrt(2)))
    check.matches(lambda m: m.activations.gelu_forward(x)[0], "gelu_forward (exact erf form)",
                  expected=T(0.0, phi1, -(1 - phi1)))


@pytest.mark.exercise("activations.gelu")
def test_gelu_derivative(check):
    # d/dx x*Phi(x) = Phi(x) + x*phi(x): at 1, Phi(1) + phi(1); at 0, 1/2
    phi1, pdf1 = 0.5 * (1 + math.erf(1 / math.sqrt(2))), math.exp(-0.5) / math.sqrt(2 * math.pi)
    x = T(0.0, 1.0)
    check.matches(lambda m: m.activations.gelu_backward(T(2.0, 2.0),
                                                        m.activations.gelu_forward(x)[1]),
                  "gelu_backward", expected=T(1.0, 2 * (phi1 + pdf1)),
                  hint="the product rule on x * Phi(x): Phi(x) + x * phi(x)")


@pytest.mark.exercise("activations.gelu")
def test_gelu_of_large_inputs(check):
    x = torch.tensor([-1e4, 1e4])  # Phi is 0 and 1 there: gelu is (-0, 1e4), finite
    check.matches(lambda m: m.activations.gelu_forward(x)[0], "gelu of (-1e4, 1e4) (float32)",
                  expected=torch.tensor([0.0, 1e4]), check="stability",
                  hint="x * Phi(x) with Phi from erf stays finite; avoid exp of large numbers")


@pytest.mark.exercise("activations.gelu")
def test_gelu_keeps_float32(check):
    # The exact values (float64) rounded once to float32: a float32 result is held to float32's
    # own rounding, which the comparison allows, whichever correct formula computed it.
    x = torch.tensor([0.5, -2.0])
    check.matches(lambda m: m.activations.gelu_forward(x)[0], "gelu_forward of float32 input",
                  expected=torch.nn.functional.gelu(x.double()).float())


@pytest.mark.exercise("activations.silu")
def test_silu_of_large_inputs(check):
    # silu is (-0, 1000) and its derivative (0, 1): exp(1000) must not appear, not even in the
    # backward (inf / inf is NaN)
    x = torch.tensor([-1000.0, 1000.0])
    check.matches(lambda m: m.activations.silu_backward(torch.ones(2),
                                                        m.activations.silu_forward(x)[1]),
                  "silu_backward at (-1000, 1000) (float32)", expected=torch.tensor([0.0, 1.0]),
                  check="stability",
                  hint="reuse a stable sigmoid s (see sigmoid_forward) in both directions: "
                       "dx = dy * (s + x * s * (1 - s))")


@pytest.mark.exercise("activations.silu")
def test_silu_derivative_at_zero(check):
    # d/dx x*sigmoid(x) at 0 = sigmoid(0) + 0 = 0.5
    check.matches(lambda m: m.activations.silu_backward(T(1.0),
                                                        m.activations.silu_forward(T(0.0))[1]),
                  "silu_backward at 0", expected=T(0.5))


@pytest.mark.exercise("activations.softmax")
def test_softmax_of_huge_logits(check):
    check.matches(lambda m: m.activations.softmax_forward(T([1000.0, 0.0]))[0],
                  "softmax of (1000, 0)", expected=T([1.0, 0.0]), check="stability",
                  hint="subtract the row maximum before exp: exp(1000) overflows to inf")


@pytest.mark.exercise("activations.softmax")
def test_softmax_rows_and_columns(check):
    x = torch.log(T([1.0, 3.0], [2.0, 2.0]))
    check.matches(lambda m: m.activations.softmax_forward(x)[0], "softmax over the last dim",
                  expected=T([0.25, 0.75], [0.5, 0.5]))
    check.matches(lambda m: m.activations.softmax_forward(x, dim=0)[0], "softmax over dim 0",
                  expected=T([1 / 3, 0.6], [2 / 3, 0.4]))
