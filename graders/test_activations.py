"""Hidden graders for starter/activations.py: the standard battery plus activation properties."""

import pytest
import torch
import torch.nn.functional as F
from battery import Case, PairSpec, battery
from hypothesis import given
from hypothesis import strategies as st

from descent.grading.strategies import shapes, tensors

N, D, C = 4, 5, 6


def _with_landmarks(inputs):
    """Random values plus exact zeros and the points where approximations are worst (|x| ~ 2.7)."""
    x = inputs.randn(N, D, scale=2.0)
    landmarks = inputs.tensor([0.0, -0.0, 2.7, -2.7, 0.5, -0.5, 1e-3, -1e-3, 6.0, -6.0])
    return torch.cat([x.flatten(), landmarks]).reshape(6, 5)


def _smooth(inputs):
    return (inputs.away_from(inputs.randn(N, D, scale=2.0), (0.0,), margin=0.1),), {}


def _large(inputs):
    x = inputs.randn(3, 4, scale=1e3, dtype=torch.float32)
    big = inputs.tensor([1e4, -1e4, 80.0, -80.0], dtype=torch.float32)
    return (torch.cat([x, big.reshape(1, 4)]),), {}


def _elementwise(name, oracle, **kwargs_cases):
    # Random values are everyday inputs; the landmarks add exact zeros, where a ReLU's
    # derivative is a convention, so that case is an edge case.
    cases = [
        Case("random", lambda I: ((I.randn(N, D, scale=2.0),), {}), points=2),
        Case("landmarks", lambda I: ((_with_landmarks(I),), {}), ordinary=False),
    ]
    for case_name, kwargs in kwargs_cases.items():
        cases.append(Case(case_name, lambda I, kw=kwargs: ((I.randn(N, D, scale=2.0),), kw)))
    return PairSpec(
        f"activations.{name}", oracle, cases=cases, smooth=_smooth, stable=[Case("large", _large)]
    )


SPECS = [
    _elementwise("sigmoid", torch.sigmoid),
    _elementwise("tanh", torch.tanh),
    _elementwise("relu", torch.relu),
    _elementwise("leaky_relu", F.leaky_relu, **{"slope-0.2": {"negative_slope": 0.2}}),
    _elementwise("gelu", F.gelu),
    _elementwise("silu", F.silu),
    PairSpec(
        "activations.softmax",
        lambda x, dim=-1: torch.softmax(x, dim=dim),
        cases=[
            Case("last-dim", lambda I: ((I.randn(N, C, scale=2),), {}), points=2),
            Case("dim-0-of-3d", lambda I: ((I.randn(N, D, C),), {"dim": 0}), ordinary=False),
            Case("dim-1-of-3d", lambda I: ((I.randn(N, D, C),), {"dim": 1}), ordinary=False),
        ],
        smooth=lambda I: ((I.randn(N, C),), {}),
        stable=[Case("large", lambda I: ((I.randn(N, C, scale=1e4, dtype=torch.float32),), {}))],
    ),
]

TestActivationBattery = battery(SPECS)


@pytest.mark.exercise("activations.softmax")
class TestSoftmaxProperties:
    @given(data=st.data())
    def test_rows_sum_to_one_and_shift_invariant(self, data, check):
        # At least two dimensions of size >= 2, and dim 0 always among those checked: a softmax
        # that ignores `dim` fails on every drawn example, not only on lucky ones.
        x = data.draw(
            tensors(shape=shapes(min_dims=2, min_side=2), scale=st.sampled_from([0.1, 1.0, 50.0]))
        )
        for dim in sorted({0, data.draw(st.integers(0, x.dim() - 1))}):
            y = check.matches(
                lambda m, dim=dim: m.activations.softmax_forward(x, dim=dim)[0],
                f"softmax along dim {dim}",
                expected=torch.softmax(x, dim=dim),
            )
            check.that(
                bool(torch.allclose(y.sum(dim), torch.ones_like(y.sum(dim)), atol=1e-9)),
                "softmax outputs must sum to 1 along `dim`",
                check="property",
            )
            check.matches(
                lambda m, dim=dim: m.activations.softmax_forward(x + 123.0, dim=dim)[0],
                "softmax after adding 123 to every input",
                expected=y,
                check="property",
                rtol=1e-7,
                atol=1e-9,
                hint="softmax is unchanged by a shift; subtract the maximum before exp",
            )
        # one vector (the docstring allows any rank): its own shape back, not the (1, C) row
        # that code written for batches of rows gives
        v = x.reshape(-1)[: x.shape[-1]]
        check.matches(
            lambda m: m.activations.softmax_forward(v)[0],
            "softmax of a vector (1-D input)",
            expected=torch.softmax(v, dim=0),
        )


@pytest.mark.exercise("activations.sigmoid")
class TestSigmoidProperties:
    @given(data=st.data())
    def test_symmetry(self, data, check):
        x = data.draw(tensors(scale=st.sampled_from([0.5, 5.0, 40.0])))
        # one entry far in a tail on every draw, where exp overflows and a clamp shows
        x.view(-1)[0] = data.draw(st.sampled_from([-1.0, 1.0])) * data.draw(st.floats(61.0, 300.0))
        pos = check.matches(
            lambda m: m.activations.sigmoid_forward(x)[0], "sigmoid(x)", expected=torch.sigmoid(x)
        )
        check.matches(
            lambda m: m.activations.sigmoid_forward(-x)[0],
            "sigmoid(-x)",
            expected=1 - pos,
            check="property",
            rtol=1e-7,
            atol=1e-12,
            hint="sigmoid(-x) = 1 - sigmoid(x)",
        )


@pytest.mark.exercise("activations.gelu")
class TestGeluDtype:
    @pytest.mark.ordinary  # float32 is the dtype networks train in
    @pytest.mark.supporting("test_forward")  # zeros of the input's dtype pass it
    def test_float32_stays_float32(self, check, inputs):
        x = inputs.randn(N, D, scale=2.0, dtype=torch.float32)
        dy = inputs.randn(N, D, dtype=torch.float32)
        gelu = next(spec for spec in SPECS if spec.exercise == "activations.gelu")
        check.like(gelu.forward(check.impl)(x)[0], x, "gelu_forward result for a float32 input")
        grad = gelu.backward_of_forward(check.impl, (x,), {}, dy)
        check.like(grad, x, "gelu_backward result for a float32 input")
