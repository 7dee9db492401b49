"""Public checks for starter/losses.py.

Each exercise gets a worked example you can verify on paper, a shape check and a gradient check.
They are quick and readable on purpose; the hidden graders run many more checks (other sizes,
class weights, extreme logits, properties), so passing here is necessary, not sufficient.

Run with ``pytest exercises/test_losses.py``; add ``-k mse`` to focus on one exercise.
"""

import math

import pytest
import torch

from descent.checker import Mistake

from . import T


@pytest.mark.exercise("losses.mse")
class TestMSE:
    def test_worked_example(self, check):
        # errors 0, 1, 2 -> squares 0, 1, 4 -> mean 5/3
        pred, target = T(1.0, 2.0, 3.0), T(1.0, 1.0, 1.0)
        check.matches(lambda m: m.losses.mse_forward(pred, target)[0], "mse_forward",
                      expected=torch.tensor(5 / 3, dtype=torch.float64))

    def test_gradient_by_hand(self, check):
        # d/dpred of mean(d^2) = 2*d/3 = [0, 2/3, 4/3], times the upstream gradient 2
        pred, target = T(1.0, 2.0, 3.0), T(1.0, 1.0, 1.0)
        check.matches(lambda m: m.losses.mse_backward(torch.tensor(2.0, dtype=torch.float64),
                                                      m.losses.mse_forward(pred, target)[1]),
                      "mse_backward", expected=T(0.0, 4 / 3, 8 / 3))

    @pytest.mark.supporting()  # checks the backward against your own forward
    def test_gradcheck(self, check, inputs):
        check.gradcheck("losses.mse", (inputs.randn(4, 3), inputs.randn(4, 3)), wrt=(0,))


@pytest.mark.exercise("losses.mae")
class TestMAE:
    def test_worked_example_with_a_tie(self, check):
        pred, target = T(2.0, -1.0, 0.5), T(0.0, 1.0, 0.5)  # |d| = 2, 2, 0 -> mean 4/3
        check.matches(lambda m: m.losses.mae_forward(pred, target)[0], "mae_forward",
                      expected=torch.tensor(4 / 3, dtype=torch.float64))
        check.matches(lambda m: m.losses.mae_backward(torch.tensor(1.0, dtype=torch.float64),
                                                      m.losses.mae_forward(pred, target)[1]),
                      "mae_backward (the tie gets 0)", expected=T(1 / 3, -1 / 3, 0.0))


@pytest.mark.exercise("losses.huber")
class TestHuber:
    def test_both_branches(self, check):
        # delta = 2: d = 1 is quadratic (0.5), d = -3 is linear (2 * (3 - 1) = 4) -> mean 2.25
        pred, target = T(1.0, -3.0), T(0.0, 0.0)
        check.matches(lambda m: m.losses.huber_forward(pred, target, delta=2.0)[0],
                      "huber_forward with delta=2", expected=torch.tensor(2.25, dtype=torch.float64))

    @pytest.mark.supporting()  # checks the backward against your own forward
    def test_gradcheck(self, check, inputs):
        pred = inputs.tensor([[0.3, -2.5, 4.0], [-0.7, 1.2, -3.3]])
        check.gradcheck("losses.huber", (pred, torch.zeros_like(pred)), wrt=(0,),
                        kwargs={"delta": 1.5})


@pytest.mark.exercise("losses.bce_with_logits")
class TestBCEWithLogits:
    def test_zero_logit_costs_log2(self, check):
        logits, target = T(0.0, 0.0), T(1.0, 0.0)
        check.matches(lambda m: m.losses.bce_with_logits_forward(logits, target)[0],
                      "bce at logit 0", expected=torch.tensor(math.log(2), dtype=torch.float64))

    def test_huge_logit_stays_finite(self, check):
        # A confident wrong answer: logit 100 for target 0 costs almost exactly 100.
        logits, target = torch.tensor([100.0]), torch.tensor([0.0])
        check.matches(lambda m: m.losses.bce_with_logits_forward(logits, target)[0],
                      "bce for logit 100, target 0 (float32)", expected=torch.tensor(100.0),
                      rtol=1e-6, hint="use softplus forms instead of log(sigmoid(z))")

    @pytest.mark.supporting()  # checks the backward against your own forward
    def test_gradcheck(self, check, inputs):
        check.gradcheck("losses.bce_with_logits", (inputs.randn(4, 3), inputs.uniform(4, 3)),
                        wrt=(0,), kwargs={"pos_weight": inputs.uniform(3, low=0.5, high=3.0)})


@pytest.mark.exercise("losses.log_softmax")
class TestLogSoftmax:
    def test_equal_logits(self, check):
        x = T([5.0, 5.0, 5.0, 5.0])
        check.matches(lambda m: m.losses.log_softmax_forward(x)[0], "log_softmax of equal logits",
                      expected=torch.full((1, 4), -math.log(4), dtype=torch.float64))

    def test_huge_logits_stay_finite(self, check):
        x = T([1000.0, 0.0])   # log-softmax is (0, -1000) up to rounding
        check.matches(lambda m: m.losses.log_softmax_forward(x)[0], "log_softmax of (1000, 0)",
                      expected=T([0.0, -1000.0]), check="stability",
                      hint="subtract the row maximum before exp: exp(1000) overflows to inf")

    @pytest.mark.supporting()  # checks the backward against your own forward
    def test_gradcheck(self, check, inputs):
        check.gradcheck("losses.log_softmax", (inputs.randn(3, 5),), wrt=(0,))


@pytest.mark.exercise("losses.cross_entropy")
class TestCrossEntropy:
    def test_uniform_prediction_costs_log_c(self, check):
        logits, target = torch.zeros(3, 10, dtype=torch.float64), torch.tensor([0, 4, 9])
        check.matches(lambda m: m.losses.cross_entropy_forward(logits, target)[0],
                      "cross-entropy of all-zero logits over 10 classes",
                      expected=torch.tensor(math.log(10), dtype=torch.float64),
                      hint="a mean over the batch gives ln 10 ~ 2.303; a sum gives 3 ln 10")

    def test_gradient_is_softmax_minus_onehot_over_n(self, check):
        logits, target = torch.zeros(2, 4, dtype=torch.float64), torch.tensor([1, 3])
        expected = torch.full((2, 4), 0.25 / 2, dtype=torch.float64)
        expected[0, 1] -= 0.5
        expected[1, 3] -= 0.5
        check.matches(lambda m: m.losses.cross_entropy_backward(
            torch.tensor(1.0, dtype=torch.float64),
            m.losses.cross_entropy_forward(logits, target)[1]),
            "cross_entropy_backward", expected=expected, mistakes=[
                Mistake("ce_grad_no_div_n", "forgets to divide the gradient by N",
                        "the loss is a mean over the N rows, so each row's softmax - onehot "
                        "is divided by N (here 2)", expected * 2),
                Mistake("ce_grad_sign", "returns onehot - softmax (the sign is flipped)",
                        "d loss / d logits = (softmax - onehot) / N: the true class's entry "
                        "is negative", -expected)])

    def test_float64_all_the_way(self, check, inputs):
        # The docstring fixes every intermediate to the logits' dtype: a one-hot or class weights
        # made in float32 still give a float64 loss (type promotion), off in the 8th digit.
        logits, target = inputs.randn(6, 5), inputs.randint(5, 6)
        weight = inputs.uniform(5, low=0.5, high=2.0)
        expected = torch.nn.functional.cross_entropy(logits, target, weight=weight)
        check.matches(lambda m: m.losses.cross_entropy_forward(logits, target, weight)[0],
                      "weighted cross-entropy in float64", expected=expected, rtol=1e-10,
                      atol=1e-12)

    def test_huge_logits_stay_finite(self, check):
        # Row maximum 1000: exp(1000) overflows, so subtract it first. The loss is
        # -(999 - 1000 - log(1 + e^-1 + e^-1000)) = 1 + log(1 + e^-1).
        logits, target = T([1000.0, 999.0, 0.0]), torch.tensor([1])
        check.matches(lambda m: m.losses.cross_entropy_forward(logits, target)[0],
                      "cross-entropy of logits around 1000",
                      expected=torch.tensor(1 + math.log1p(math.exp(-1)), dtype=torch.float64),
                      check="stability",
                      hint="exp(1000) is inf: subtract each row's maximum before exponentiating "
                           "(the shift cancels out of log-softmax)")

    @pytest.mark.supporting()  # checks the backward against your own forward
    def test_gradcheck_with_smoothing(self, check, inputs):
        check.gradcheck("losses.cross_entropy", (inputs.randn(4, 3), inputs.randint(3, 4)),
                        wrt=(0,), kwargs={"label_smoothing": 0.1})


@pytest.mark.exercise("losses.focal_loss")
class TestFocalLoss:
    def test_gamma_zero_alpha_half_is_half_bce(self, check):
        logits, target = T(0.3, -1.2, 2.0), T(1.0, 0.0, 0.0)
        p = torch.sigmoid(logits)
        half_bce = -0.5 * (target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()
        check.matches(lambda m: m.losses.focal_loss_forward(logits, target, alpha=0.5,
                                                            gamma=0.0)[0],
                      "focal loss with alpha=0.5, gamma=0", expected=half_bce)

    @pytest.mark.supporting()  # checks the backward against your own forward
    def test_gradcheck(self, check, inputs):
        check.gradcheck("losses.focal_loss",
                        (inputs.randn(4, 3), (inputs.uniform(4, 3) < 0.5).double()), wrt=(0,))


@pytest.mark.exercise("losses.kl_div")
class TestKLDiv:
    def test_worked_example_with_zero(self, check):
        # p = [0.5, 0.5, 0], q = [0.25, 0.25, 0.5]: 2 * 0.5*ln 2 = ln 2, one row so N = 1
        p, q = T([0.5, 0.5, 0.0]), T([0.25, 0.25, 0.5])
        check.matches(lambda m: m.losses.kl_div_forward(torch.log(q), p)[0], "kl_div_forward",
                      expected=torch.tensor(math.log(2), dtype=torch.float64),
                      hint="entries with p = 0 contribute 0, not NaN")

    @pytest.mark.supporting()  # checks the backward against your own forward
    def test_gradcheck(self, check, inputs):
        p = inputs.probabilities(3, 4)
        check.gradcheck("losses.kl_div", (torch.log(inputs.probabilities(3, 4)), p), wrt=(0,))
