"""Public checks for starter/losses.py.

Each exercise gets a worked example you can verify on paper, a shape check and a gradient check.
They are quick and readable on purpose; the hidden graders run many more checks (other sizes,
class weights, extreme logits, properties), so passing here is necessary, not sufficient.

Run with ``pytest exercises/test_losses.py``; add ``-k mse`` to focus on one exercise.
"""

import math

import pytest
import torch

from descent.grading.checker import Mistake

from . import T


@pytest.mark.exercise("losses.mse")
class TestMSE:
    def test_worked_example(self, check):
        # errors 0, 1, 2 -> squares 0, 1, 4 -> mean 5/3
        pred, target = T(1.0, 2.0, 3.0), T(1.0, 1.0, 1.0)
        check.matches(lambda m: m.losses.mse_forward(pred, target)[0], "mse_forward",
                      expected=torch.tensor(5 / 3, dtype=torch.float64))

    @pytest.mark.ordinary  # everyday use: failing it caps the exercise at half, as hidden
    def test_a_batch_of_rows(self, check):
        # (2, 3) errors 1, 2, 0 / 0, 1, 2: squares sum to 10 over N*D = 6 elements -> 5/3 (not
        # 10 / 2 = 5, a mean over the rows alone); the gradient is 2*d / 6, times 1
        pred, target = T([1.0, 2.0, 0.0], [0.0, 1.0, 2.0]), T([0.0, 0.0, 0.0], [0.0, 0.0, 0.0])
        rows = Mistake("mse_mean_over_rows", "divides the sum of squared errors by the number "
                       "of rows N instead of by every element N*D",
                       "the mean is over every element: divide by pred.numel(), here 6",
                       torch.tensor(5.0, dtype=torch.float64))
        check.matches(lambda m: m.losses.mse_forward(pred, target)[0],
                      "mse_forward of a (2, 3) batch", expected=torch.tensor(5 / 3,
                                                                             dtype=torch.float64),
                      mistakes=[rows])
        check.matches(lambda m: m.losses.mse_backward(torch.tensor(1.0, dtype=torch.float64),
                                                      m.losses.mse_forward(pred, target)[1]),
                      "mse_backward of a (2, 3) batch", expected=2 * (pred - target) / 6,
                      mistakes=[Mistake("mse_grad_div_batch", "divides the gradient by the "
                                        "batch size N instead of by every element",
                                        "the forward averages over all N*D elements, so the "
                                        "backward divides by pred.numel()",
                                        2 * (pred - target) / 2)])

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

    def test_mean_over_every_element(self, check):
        # (2, 2): |d| = 1, 2, 3, 2 -> the mean divides by all 4 elements, not by the 2 rows
        pred, target = T([1.0, -2.0], [3.0, 0.0]), T([0.0, 0.0], [0.0, 2.0])
        check.matches(lambda m: m.losses.mae_forward(pred, target)[0],
                      "mae_forward of a (2, 2) input", expected=torch.tensor(2.0, dtype=torch.float64),
                      mistakes=[Mistake("mae_mean_over_batch", "divides by the batch size N",
                                        "the mean is over every element: divide by pred.numel()",
                                        torch.tensor(4.0, dtype=torch.float64))])


@pytest.mark.exercise("losses.huber")
class TestHuber:
    def test_both_branches(self, check):
        # delta = 2: d = 1 and d = 1.5 are quadratic (0.5 and 1.125), d = -3 is linear
        # (2 * (3 - 1) = 4) -> mean 5.625 / 3 = 1.875. A boundary at 1 instead of delta would
        # charge d = 1.5 linearly, 2 * (1.5 - 1) = 1.
        pred, target = T(1.0, -3.0, 1.5), T(0.0, 0.0, 0.0)
        check.matches(lambda m: m.losses.huber_forward(pred, target, delta=2.0)[0],
                      "huber_forward with delta=2", expected=torch.tensor(1.875, dtype=torch.float64),
                      mistakes=[Mistake("huber_boundary_at_one",
                                        "switches to the linear piece at |d| = 1, not at delta",
                                        "compare |d| with delta: the quadratic zone is |d| <= delta",
                                        torch.tensor(5.5 / 3, dtype=torch.float64))])

    def test_default_delta(self, check):
        # delta = 1: d = 0.5 is quadratic (0.125), d = -2 linear (2 - 0.5 = 1.5) -> mean 0.8125
        pred, target = T(0.5, -2.0), T(0.0, 0.0)
        check.matches(lambda m: m.losses.huber_forward(pred, target)[0],
                      "huber_forward with the default delta=1",
                      expected=torch.tensor(0.8125, dtype=torch.float64))

    def test_gradient_by_hand(self, check):
        # delta = 2: d inside -> d (1, 1.5); outside -> delta * sign(d) = -2; / 3, times 3
        pred, target = T(1.0, -3.0, 1.5), T(0.0, 0.0, 0.0)
        check.matches(lambda m: m.losses.huber_backward(torch.tensor(3.0, dtype=torch.float64),
                                                        m.losses.huber_forward(pred, target,
                                                                               delta=2.0)[1]),
                      "huber_backward with delta=2", expected=T(1.0, -2.0, 1.5))

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

    def test_pos_weight_and_the_mean_over_every_element(self, check):
        # (2, 2) logits, pos_weight per class (3, 1): positives of class 0 weigh 3; the mean
        # divides by all 4 elements
        logits, target = T([0.5, -1.0], [2.0, 0.0]), T([1.0, 0.0], [0.0, 1.0])
        pos_weight = T(3.0, 1.0)
        sp = torch.nn.functional.softplus
        per = pos_weight * target * sp(-logits) + (1 - target) * sp(logits)
        check.matches(lambda m: m.losses.bce_with_logits_forward(logits, target, pos_weight)[0],
                      "bce_with_logits_forward with pos_weight=(3, 1)", expected=per.mean(),
                      mistakes=[
                          Mistake("bce_pos_weight_on_negatives", "weighs the negatives too",
                                  "pos_weight multiplies the positive term t * log(p) only",
                                  (pos_weight * per).mean()),
                          Mistake("bce_mean_over_batch", "divides by the batch size N",
                                  "the mean is over every element: divide by logits.numel()",
                                  per.sum() / 2)])

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

    def test_any_dim(self, check):
        x = torch.log(T([1.0, 3.0], [1.0, 1.0]))  # over dim 0, column 0 is (1/2, 1/2)
        check.matches(lambda m: m.losses.log_softmax_forward(x, dim=0)[0],
                      "log_softmax_forward over dim=0",
                      expected=torch.log(T([0.5, 0.75], [0.5, 0.25])),
                      hint="normalize along the `dim` you are given, not always the last one")

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
    @pytest.mark.ordinary  # everyday use: a batch; failing it caps the exercise at half
    def test_uniform_prediction_costs_log_c(self, check):
        logits, target = torch.zeros(3, 10, dtype=torch.float64), torch.tensor([0, 4, 9])
        check.matches(lambda m: m.losses.cross_entropy_forward(logits, target)[0],
                      "cross-entropy of all-zero logits over 10 classes",
                      expected=torch.tensor(math.log(10), dtype=torch.float64),
                      hint="a mean over the batch gives ln 10 ~ 2.303; a sum gives 3 ln 10")

    @pytest.mark.ordinary
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

    @pytest.mark.ordinary  # class weights are an everyday option, as hidden
    def test_float64_all_the_way(self, check, inputs):
        # The docstring fixes every intermediate to the logits' dtype: a one-hot or class weights
        # made in float32 still give a float64 loss (type promotion), off in the 8th digit.
        logits, target = inputs.randn(6, 5), inputs.randint(5, 6)
        weight = inputs.uniform(5, low=0.5, high=2.0)
        expected = torch.nn.functional.cross_entropy(logits, target, weight=weight)
        check.matches(lambda m: m.losses.cross_entropy_forward(logits, target, weight)[0],
                      "weighted cross-entropy in float64", expected=expected, rtol=1e-10,
                      atol=1e-12)

    @pytest.mark.ordinary  # as hidden: large logits are everyday early in training
    def test_huge_logits_stay_finite(self, check):
        # Row maximum 1000: exp(1000) overflows, so subtract it first. Each row's loss is
        # -(999 - 1000 - log(1 + e^-1 + e^-1000)) = 1 + log(1 + e^-1), and so is their mean.
        logits, target = T([1000.0, 999.0, 0.0], [999.0, 0.0, 1000.0]), torch.tensor([1, 0])
        check.matches(lambda m: m.losses.cross_entropy_forward(logits, target)[0],
                      "cross-entropy of logits around 1000",
                      expected=torch.tensor(1 + math.log1p(math.exp(-1)), dtype=torch.float64),
                      check="stability",
                      hint="exp(1000) is inf: subtract each row's maximum before exponentiating "
                           "(the shift cancels out of log-softmax)")

    @pytest.mark.ordinary  # an everyday option, as hidden
    def test_label_smoothing(self, check):
        # eps = 0.3 over C = 3: the target row is eps/C everywhere plus 1 - eps on the true
        # class; the loss is the mean of the two rows'
        logits, target = T([1.0, 0.0, -1.0], [0.5, 2.0, 0.0]), torch.tensor([0, 2])
        q = torch.full((2, 3), 0.3 / 3, dtype=torch.float64)
        q[0, 0] += 0.7
        q[1, 2] += 0.7
        expected = -(q * torch.log_softmax(logits, 1)).sum(1).mean()
        check.matches(lambda m: m.losses.cross_entropy_forward(logits, target,
                                                               label_smoothing=0.3)[0],
                      "cross_entropy_forward with label_smoothing=0.3", expected=expected,
                      hint="the smoothed target is (1 - eps) * onehot + eps / C on every class "
                           "(the true class included)")

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

    def test_defaults(self, check):
        # alpha = 0.25 for the positive, 0.75 for the negatives; gamma = 2 down-weighs the easy
        # examples by (1 - p_t)^2
        logits, target = T(0.3, -1.2, 2.0), T(1.0, 0.0, 0.0)
        p = torch.sigmoid(logits)
        p_t = torch.where(target > 0, p, 1 - p)
        alpha_t = torch.where(target > 0, 0.25, 0.75).double()
        expected = (-alpha_t * (1 - p_t) ** 2 * torch.log(p_t)).mean()
        swapped = torch.where(target > 0, 0.75, 0.25).double()
        check.matches(lambda m: m.losses.focal_loss_forward(logits, target)[0],
                      "focal_loss_forward with the defaults alpha=0.25, gamma=2", expected=expected,
                      mistakes=[Mistake("focal_alpha_swapped",
                                        "gives alpha to the negatives and 1 - alpha to the positives",
                                        "alpha weighs the positives (t = 1), 1 - alpha the negatives",
                                        (-swapped * (1 - p_t) ** 2 * torch.log(p_t)).mean())])

    def test_confident_logits_stay_finite(self, check):
        # logit -100 for a positive: p_t = sigmoid(-100) underflows in float32, log(p_t) must not
        logits, target = torch.tensor([-100.0]), torch.tensor([1.0])
        check.matches(lambda m: m.losses.focal_loss_forward(logits, target)[0],
                      "focal_loss_forward for logit -100, target 1 (float32)",
                      expected=torch.tensor(25.0), rtol=1e-5, check="stability",
                      hint="-log(p_t) = softplus(-s*z): never take log of a sigmoid")

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

    def test_the_order_of_the_arguments(self, check):
        # KL(p || q) weights by the target p; KL(q || p) by the model's q: on these rows
        # (no zeros) the two differ, and the second is the reverse divergence; N = 3 rows
        p = T([0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.25, 0.25, 0.5])
        q = T([0.3, 0.3, 0.4], [0.4, 0.4, 0.2], [0.5, 0.3, 0.2])
        expected = (p * (p.log() - q.log())).sum() / 3
        check.matches(lambda m: m.losses.kl_div_forward(torch.log(q), p)[0],
                      "kl_div_forward(log_q, p) of three rows without zeros", expected=expected,
                      mistakes=[Mistake("kl_reversed", "computes KL(q || p) instead of "
                                        "KL(p || q)", "kl_div(log_q, p) is sum p*(log p - log "
                                        "q) / N: the target p weights the sum",
                                        (q * (q.log() - p.log())).sum() / 3)])

    def test_gradient_by_hand(self, check):
        # d/dlog_q of sum p*(log p - log_q) / N = -p / N; N = 2 rows, upstream gradient 4
        p = T([0.5, 0.5, 0.0], [0.25, 0.25, 0.5])
        log_q = torch.log(T([0.2, 0.3, 0.5], [0.6, 0.2, 0.2]))
        check.matches(lambda m: m.losses.kl_div_backward(torch.tensor(4.0, dtype=torch.float64),
                                                         m.losses.kl_div_forward(log_q, p)[1]),
                      "kl_div_backward", expected=-2 * p)

    @pytest.mark.supporting()  # checks the backward against your own forward
    def test_gradcheck(self, check, inputs):
        p = inputs.probabilities(3, 4)
        check.gradcheck("losses.kl_div", (torch.log(inputs.probabilities(3, 4)), p), wrt=(0,))
