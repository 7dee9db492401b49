"""Hidden tests used by the red-team suite (not collected by the kit's own run: see conftest).

They grade ``losses.mse`` and ``activations.relu`` of each adversarial submission. The canary
below stands for hidden test content: it must never appear in any result, output, file or
network message produced by a submission.
"""

import math

import pytest
import torch

CANARY = "DESCENT-CANARY-HIDDEN-7f3a91c2"
SECRET_SCALE = 1.2345678  # hidden data: must never leak either


@pytest.mark.exercise("losses.mse")
class TestMSE:
    def test_forward(self, check, inputs):
        pred, target = inputs.randn(5, 3, scale=SECRET_SCALE), inputs.randn(5, 3)
        with check.unmodified(pred, target, who="mse_forward"):
            check.matches(
                lambda m: m.losses.mse_forward(pred, target)[0],
                "mse_forward output",
                expected=((pred - target) ** 2).mean(),
            )

    def test_forward_1d(self, check, inputs):
        pred, target = inputs.randn(7), inputs.randn(7)
        check.matches(
            lambda m: m.losses.mse_forward(pred, target)[0],
            "mse_forward (1d)",
            expected=((pred - target) ** 2).mean(),
        )

    def test_backward(self, check, inputs):
        pred, target = inputs.randn(4, 6), inputs.randn(4, 6)
        dout = torch.tensor(1.7, dtype=torch.float64)
        check.matches(
            lambda m: m.losses.mse_backward(dout, m.losses.mse_forward(pred, target)[1]),
            "mse_backward",
            expected=dout * 2 * (pred - target) / pred.numel(),
        )

    def test_inline_reference(self, check, inputs):
        # a hand-written check; the reference is computed on clones taken before the call
        pred, target = inputs.randn(3, 4), inputs.randn(3, 4)
        pristine = (pred.clone(), target.clone())
        got = check.impl.losses.mse_forward(pred, target)[0]
        pred, target = pristine
        check.that(
            type(got) is torch.Tensor
            and got.shape == ()
            and got.dtype == pred.dtype
            and bool(torch.isfinite(got))
            and math.isclose(float(got), float(((pred - target) ** 2).mean()), rel_tol=1e-9),
            "mse_forward equals the mean squared error",
        )


@pytest.mark.exercise("activations.relu")
class TestReLU:
    def test_forward(self, check, inputs):
        x = inputs.randn(6, 5)
        check.matches(
            lambda m: m.activations.relu_forward(x)[0],
            "relu_forward",
            expected=torch.clamp(x, min=0),
        )

    def test_backward(self, check, inputs):
        x = inputs.randn(6, 5)
        dy = inputs.randn(6, 5)
        check.matches(
            lambda m: m.activations.relu_backward(dy, m.activations.relu_forward(x)[1]),
            "relu_backward",
            expected=dy * (x > 0),
        )
