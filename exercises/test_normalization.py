"""Public checks for starter/normalization.py.

Each exercise gets a small example you can verify on paper, a check of the raw gradient shapes and
a gradient check. The hidden graders compare with PyTorch on 3-D inputs, rows of tiny magnitude,
a nearly constant feature, momentum 0.5 and several chained batches, so passing here is
necessary, not sufficient.

Run with ``pytest exercises/test_normalization.py``; add ``-k rms`` to focus on one exercise.
"""

import math

import pytest
import torch

from descent.grading.checker import Mistake

from . import T


@pytest.mark.exercise("normalization.batchnorm")
class TestBatchNorm:
    def test_worked_example(self, check):
        # one feature with values 1, 2, 3: mean 2, biased variance 2/3, unbiased variance 1
        x = T([1.0], [2.0], [3.0])
        gamma, beta, rm, rv = T(1.0), T(0.0), T(0.0), T(1.0)
        s = math.sqrt(2 / 3 + 1e-5)
        def run(m):
            return m.normalization.batchnorm_forward(x, gamma, beta, rm, rv, True)

        check.matches(lambda m: run(m)[0], "y (train)", expected=T([-1 / s], [0.0], [1 / s]))
        # momentum 0.1: 0.9 * 0 + 0.1 * 2 = 0.2 and 0.9 * 1 + 0.1 * 1 (unbiased) = 1.0
        check.matches(lambda m: tuple(run(m)[1:3]), "(new_running_mean, new_running_var)",
                      expected=(T(0.2), T(1.0)), mistakes=[
                          Mistake("bn_running_var_biased", "updates the running variance with "
                                  "the biased batch variance",
                                  "the running variance is updated with the unbiased batch "
                                  "variance (divide by N - 1), as PyTorch does; only the "
                                  "normalization uses the biased one",
                                  (T(0.2), T(0.9 + 0.1 * 2 / 3)))])

    def test_eval_uses_running_statistics(self, check):
        x = T([1.0, 5.0], [3.0, 5.0], [2.0, 8.0])
        gamma, beta, rm, rv = T(2.0, 1.0), T(0.5, 0.0), T(1.0, 5.0), T(4.0 - 1e-5, 1.0 - 1e-5)
        # (x - running_mean) / sqrt(running_var + eps) * gamma + beta, with sqrt(rv + eps) = 2, 1
        check.matches(lambda m: m.normalization.batchnorm_forward(x, gamma, beta, rm, rv,
                                                                  False)[0],
                      "y (eval)", expected=T([0.5, 0.0], [2.5, 0.0], [1.5, 3.0]))

    def test_eval_backward_and_running_statistics(self, check):
        # eval mode is an affine map: dx = dy * gamma / sqrt(running_var + eps), and the running
        # statistics come back as they were
        x = T([1.0, 5.0], [3.0, 5.0], [2.0, 8.0])
        gamma, beta, rm, rv = T(2.0, 1.0), T(0.5, 0.0), T(1.0, 5.0), T(4.0 - 1e-5, 1.0 - 1e-5)
        dy = T([1.0, 1.0], [2.0, -1.0], [0.0, 3.0])

        def run(m):
            y, new_rm, new_rv, cache = m.normalization.batchnorm_forward(x, gamma, beta, rm, rv,
                                                                         False)
            return new_rm, new_rv, m.normalization.batchnorm_backward(dy, cache)[0]

        check.matches(run, "(new_running_mean, new_running_var, dx) in eval mode",
                      expected=(rm, rv, dy * gamma / T(2.0, 1.0)),
                      hint="in eval mode the batch plays no part: the statistics are constants, "
                           "so dx is dy * gamma / sqrt(running_var + eps), and nothing is updated")

    def test_a_large_mean_in_float32(self, check):
        # values 1e4 + (-1, 0, 1): mean(x^2) - mean(x)^2 cancels in float32; mean((x - mu)^2)
        # does not
        x = torch.tensor([[9999.0], [10000.0], [10001.0]])
        s = math.sqrt(2 / 3 + 1e-5)
        check.matches(lambda m: m.normalization.batchnorm_forward(
            x, torch.ones(1), torch.zeros(1), torch.zeros(1), torch.ones(1), True)[0],
            "batchnorm_forward of 1e4 + (-1, 0, 1) in float32",
            expected=torch.tensor([[-1 / s], [0.0], [1 / s]]), rtol=1e-4, atol=1e-4,
            check="stability")

    @pytest.mark.supporting()  # shapes, and the backward against your own forward
    def test_gradient_shapes_and_gradcheck(self, check, inputs):
        x = inputs.randn(5, 3)
        gamma, beta = inputs.randn(3), inputs.randn(3)
        rm = torch.zeros(3, dtype=torch.float64, device=x.device)
        rv = torch.ones(3, dtype=torch.float64, device=x.device)
        y, _, _, cache = check.impl.normalization.batchnorm_forward(x, gamma, beta, rm, rv, True)
        check.like(check.impl.normalization.batchnorm_backward(inputs.randn(5, 3), cache),
                   (x, gamma, beta), "batchnorm_backward (dx, dgamma, dbeta)")
        check.gradcheck("normalization.batchnorm", (x, gamma, beta, rm, rv, True), wrt=(0, 1, 2))


@pytest.mark.exercise("normalization.layernorm")
class TestLayerNorm:
    def test_worked_example(self, check):
        # the row (1, 2, 3) again: each row is normalized on its own
        x = T([1.0, 2.0, 3.0], [10.0, 10.0, 10.0])
        s = math.sqrt(2 / 3 + 1e-5)
        over_batch = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + 1e-5)
        check.matches(lambda m: m.normalization.layernorm_forward(x, T(1.0, 1.0, 1.0),
                                                                  T(0.0, 0.0, 0.0))[0],
                      "layernorm_forward", expected=T([-1 / s, 0.0, 1 / s], [0.0, 0.0, 0.0]),
                      mistakes=[Mistake("ln_stats_over_batch_axis", "takes the statistics over "
                                        "the batch axis (dim 0), like batch norm",
                                        "layer norm normalizes each row on its own: mean and "
                                        "variance over the last dimension, keepdim=True",
                                        over_batch)])

    def test_a_large_mean_in_float32(self, check):
        x = torch.tensor([[9999.0, 10000.0, 10001.0]])  # see batch norm's test of the same name
        s = math.sqrt(2 / 3 + 1e-5)
        check.matches(lambda m: m.normalization.layernorm_forward(x, torch.ones(3),
                                                                  torch.zeros(3))[0],
                      "layernorm_forward of 1e4 + (-1, 0, 1) in float32",
                      expected=torch.tensor([[-1 / s, 0.0, 1 / s]]), rtol=1e-4, atol=1e-4,
                      check="stability")

    @pytest.mark.supporting()  # shapes, and the backward against your own forward
    def test_gradient_shapes_and_gradcheck(self, check, inputs):
        x, gamma, beta = inputs.randn(2, 3, 4), inputs.randn(4), inputs.randn(4)
        _, cache = check.impl.normalization.layernorm_forward(x, gamma, beta)
        check.like(check.impl.normalization.layernorm_backward(inputs.randn(2, 3, 4), cache),
                   (x, gamma, beta), "layernorm_backward (dx, dgamma, dbeta) for a 3-D x")
        check.gradcheck("normalization.layernorm", (x, gamma, beta), wrt=(0, 1, 2))


@pytest.mark.exercise("normalization.rmsnorm")
class TestRMSNorm:
    def test_worked_example(self, check):
        # (3, 4): mean square 12.5; no centring
        x = T([3.0, 4.0])
        r = math.sqrt(12.5 + 1e-6)
        check.matches(lambda m: m.normalization.rmsnorm_forward(x, T(1.0, 2.0))[0],
                      "rmsnorm_forward", expected=T([3 / r, 8 / r]))

    @pytest.mark.supporting()  # shapes, and the backward against your own forward
    def test_gradient_shapes_and_gradcheck(self, check, inputs):
        x, gamma = inputs.randn(2, 3, 4), inputs.randn(4)
        _, cache = check.impl.normalization.rmsnorm_forward(x, gamma)
        check.like(check.impl.normalization.rmsnorm_backward(inputs.randn(2, 3, 4), cache),
                   (x, gamma), "rmsnorm_backward (dx, dgamma) for a 3-D x")
        check.gradcheck("normalization.rmsnorm", (x, gamma), wrt=(0, 1))
