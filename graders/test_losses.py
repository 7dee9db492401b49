"""Hidden graders for starter/losses.py: the standard battery plus loss-specific properties."""

import math

import pytest
import torch
import torch.nn.functional as F
from battery import Case, PairSpec, battery
from hypothesis import given
from hypothesis import strategies as st

from descent.grading.strategies import classification, tensors

N, D, C = 5, 3, 4  # all different, N >= 3


def _regression(inputs, ties=False):
    pred, target = inputs.randn(N, D), inputs.randn(N, D)
    if ties:  # exact ties (pred == target) are where |d| has no derivative: one in every row,
        # at a drawn column, so every draw holds N of them and never a run of them (a last row
        # all ties also read as a sequence that changes at one step, and named no cause)
        tie = torch.zeros_like(pred, dtype=torch.bool)
        tie[torch.arange(N, device=pred.device), inputs.randint(D, N)] = True
        target = torch.where(tie, pred, target)
    return pred, target


def _smooth_regression(inputs, kinks=(0.0,)):
    pred, target = _regression(inputs)
    return inputs.away_from(pred - target, kinks, margin=0.1) + target, target


def _focal_oracle(logits, target, alpha=0.25, gamma=2.0):
    # Independent float64-friendly form through PyTorch's own stable pieces.
    logp = F.logsigmoid(logits)
    log1mp = F.logsigmoid(-logits)
    p = torch.exp(logp)
    loss_pos = -alpha * (1 - p) ** gamma * logp
    loss_neg = -(1 - alpha) * p**gamma * log1mp
    return torch.where(target > 0.5, loss_pos, loss_neg).mean()


def _confidently_wrong(I):
    """Large float32 logits whose target is each row's smallest logit: every row's loss is in
    the hundreds, so a probability floored before its log (clip at 1e-12) shows on every row,
    whatever the draw (with random targets a row whose target is its maximum keeps its small
    loss, and a mean over the batch hides the floor)."""
    logits = I.randn(N, C, scale=1e3, dtype=torch.float32)
    return (logits, logits.argmin(dim=1)), {}


def _binary_targets(inputs, *shape):
    return (inputs.uniform(*shape) < 0.4).to(inputs.dtype)


SPECS = [
    PairSpec(
        "losses.mse",
        F.mse_loss,
        cases=[
            Case("2d", lambda I: (_regression(I), {})),
            Case("1d", lambda I: ((I.randn(7), I.randn(7)), {})),
        ],
        smooth=lambda I: (_regression(I), {}),
    ),
    PairSpec(
        "losses.mae",
        F.l1_loss,
        cases=[
            Case("2d", lambda I: (_regression(I), {})),
            Case("with-ties", lambda I: (_regression(I, ties=True), {}), ordinary=False),
        ],
        smooth=lambda I: (_smooth_regression(I), {}),
    ),
    PairSpec(
        "losses.huber",
        F.huber_loss,
        cases=[
            Case("delta-1", lambda I: ((I.randn(N, D, scale=1.5), I.randn(N, D)), {})),
            Case(
                "delta-1.5",
                lambda I: ((I.randn(N, D, scale=2.5), I.randn(N, D)), {"delta": 1.5}),
                points=2,
            ),
            Case("delta-0.4", lambda I: ((I.randn(N, D), I.randn(N, D)), {"delta": 0.4})),
        ],
        smooth=lambda I: (_smooth_regression(I, kinks=(0.0, 1.5, -1.5)), {"delta": 1.5}),
    ),
    PairSpec(
        "losses.bce_with_logits",
        F.binary_cross_entropy_with_logits,
        cases=[
            Case(
                "hard-targets", lambda I: ((I.randn(N, D, scale=3), _binary_targets(I, N, D)), {})
            ),
            Case("soft-targets", lambda I: ((I.randn(N, D, scale=3), I.uniform(N, D)), {})),
            Case(
                "pos-weight",
                lambda I: (
                    (I.randn(N, D, scale=3), _binary_targets(I, N, D)),
                    {"pos_weight": I.uniform(D, low=0.5, high=4.0)},
                ),
            ),
        ],
        smooth=lambda I: ((I.randn(N, D, scale=3), I.uniform(N, D)), {}),
        stable=[
            Case(
                "logits-1e2",
                lambda I: (
                    (
                        I.tensor([[100.0, -100.0, 30.0], [-30.0, 1.0, 0.0]], dtype=torch.float32),
                        I.tensor([[0.0, 1.0, 0.0], [1.0, 1.0, 0.5]], dtype=torch.float32),
                    ),
                    {},
                ),
            ),
            Case(
                "logits-1e4",
                lambda I: (
                    (
                        I.randn(N, D, scale=1e4, dtype=torch.float32),
                        _binary_targets(I, N, D).float(),
                    ),
                    {},
                ),
            ),
        ],
    ),
    PairSpec(
        "losses.log_softmax",
        lambda x, dim=-1: F.log_softmax(x, dim=dim),
        cases=[
            Case("last-dim", lambda I: ((I.randn(N, C, scale=2),), {})),
            Case("dim-0-of-3d", lambda I: ((I.randn(N, D, C),), {"dim": 0}), ordinary=False),
        ],
        smooth=lambda I: ((I.randn(N, C),), {}),
        stable=[
            Case("logits-1e4", lambda I: ((I.randn(N, C, scale=1e4, dtype=torch.float32),), {}))
        ],
    ),
    PairSpec(
        "losses.cross_entropy",
        F.cross_entropy,
        cases=[
            Case("plain", lambda I: ((I.randn(N, C, scale=2), I.randint(C, N)), {})),
            Case(
                "weighted",
                lambda I: (
                    (I.randn(N, C, scale=2), I.randint(C, N)),
                    {"weight": I.uniform(C, low=0.2, high=3.0)},
                ),
            ),
            Case(
                "smoothed",
                lambda I: ((I.randn(N, C, scale=2), I.randint(C, N)), {"label_smoothing": 0.1}),
            ),
            Case(
                "weighted-smoothed",
                lambda I: (
                    (I.randn(N, C, scale=2), I.randint(C, N)),
                    {"weight": I.uniform(C, low=0.2, high=3.0), "label_smoothing": 0.2},
                ),
            ),
        ],
        smooth=lambda I: ((I.randn(N, C), I.randint(C, N)), {"label_smoothing": 0.1}),
        stable=[
            Case("logits-1e3", lambda I: _confidently_wrong(I)),
            # far from 0 but close to each other: exp overflows unless the row's maximum is
            # subtracted first, while no probability underflows (the log of a softmax is right
            # here: one of the two slips fails where the other does not, on every draw)
            Case(
                "logits-shifted-1e3",
                lambda I: (
                    (I.randn(N, C, scale=3.0, dtype=torch.float32) + 1e3, I.randint(C, N)),
                    {},
                ),
            ),
            Case(
                "logits-1e4",
                lambda I: (
                    (I.randn(N, C, scale=1e4, dtype=torch.float32), I.randint(C, N)),
                    {"label_smoothing": 0.1},
                ),
            ),
        ],
    ),
    PairSpec(
        "losses.focal_loss",
        _focal_oracle,
        cases=[
            Case("defaults", lambda I: ((I.randn(N, D, scale=2), _binary_targets(I, N, D)), {})),
            Case(
                "alpha-0.6-gamma-1.5",
                lambda I: (
                    (I.randn(N, D, scale=2), _binary_targets(I, N, D)),
                    {"alpha": 0.6, "gamma": 1.5},
                ),
            ),
        ],
        smooth=lambda I: ((I.randn(N, D, scale=2), _binary_targets(I, N, D)), {}),
        stable=[
            Case(
                "logits-1e4",
                lambda I: (
                    (
                        I.randn(N, D, scale=1e4, dtype=torch.float32),
                        _binary_targets(I, N, D).float(),
                    ),
                    {},
                ),
            )
        ],
    ),
    PairSpec(
        "losses.kl_div",
        lambda log_q, p: F.kl_div(log_q, p, reduction="batchmean"),
        cases=[
            Case(
                "softmax-target",
                lambda I: ((torch.log(I.probabilities(N, C)), I.probabilities(N, C)), {}),
            ),
            Case(
                "zeros-in-target",
                lambda I: (
                    (torch.log(I.probabilities(N, C)), I.probabilities(N, C, zeros=0.3)),
                    {},
                ),
                ordinary=False,
            ),
        ],
        smooth=lambda I: ((torch.log(I.probabilities(N, C)), I.probabilities(N, C)), {}),
    ),
]

TestLossBattery = battery(SPECS)


@pytest.mark.exercise("losses.cross_entropy")
class TestCrossEntropyProperties:
    @given(data=st.data())
    def test_uniform_logits_give_log_c(self, data, check):
        logits, target = data.draw(classification())
        flat = torch.zeros_like(logits) + logits[0, 0]
        check.matches(
            lambda m: m.losses.cross_entropy_forward(flat, target)[0],
            "cross-entropy of identical logits (must be ln C)",
            expected=flat.new_tensor(math.log(logits.shape[1])),
            check="property",
            hint="equal logits give a uniform prediction, whose loss is ln C (the natural log); "
            "a different value comes from the formula (a log in another base, a binary loss "
            "for each class) or from the reduction (the mean over the batch)",
        )

    @given(data=st.data())
    def test_shift_invariance(self, data, check):
        logits, target = data.draw(classification())
        # one target far below its row's maximum on every draw: a probability under 1e-12,
        # where a floor before the log shows
        logits[0, target[0]] = logits[0].max() - data.draw(st.floats(35.0, 60.0))
        shift = data.draw(st.sampled_from([-50.0, 7.0, 300.0]))
        base = check.matches(
            lambda m: m.losses.cross_entropy_forward(logits, target)[0],
            "cross-entropy",
            expected=F.cross_entropy(logits, target),
        )
        check.matches(
            lambda m: m.losses.cross_entropy_forward(logits + shift, target)[0],
            f"cross-entropy after adding {shift} to every logit",
            expected=base,
            check="property",
            rtol=1e-9,
            atol=1e-9 * (1 + abs(shift)),
            hint="softmax ignores a constant added to a row; subtract the row maximum before exp",
        )


@pytest.mark.exercise("losses.kl_div")
class TestKLProperties:
    @given(data=st.data())
    def test_divergence_from_itself_is_zero(self, data, check):
        logits = data.draw(tensors())
        if logits.dim() < 2:
            logits = logits.reshape(1, -1)
        # a class far below the others in every row: an exact zero of p on every draw
        logits = torch.cat([logits, logits.amax(dim=-1, keepdim=True) - 50], dim=-1)
        p = torch.softmax(logits, dim=-1)
        p = torch.where(p < 1e-3, torch.zeros_like(p), p)  # include exact zeros
        p = p / p.sum(dim=-1, keepdim=True)
        log_q = torch.log(torch.where(p > 0, p, torch.ones_like(p)))
        check.matches(
            lambda m: m.losses.kl_div_forward(log_q, p)[0],
            "KL(p || p)",
            expected=p.new_tensor(0.0),
            check="property",
            atol=1e-12,
            hint="KL(p || p) is 0; entries with p = 0 must contribute exactly 0",
        )
        # A loss that is always 0 has the property above: two different distributions must
        # give a positive divergence.
        other_p = p.new_tensor([[0.7, 0.3], [0.1, 0.9]])
        other_log_q = torch.log(p.new_tensor([[0.4, 0.6], [0.5, 0.5]]))
        got = check.impl.losses.kl_div_forward(other_log_q, other_p)[0]
        check.that(
            bool(torch.isfinite(got)) and float(got) > 1e-3,
            f"KL(p || q) of two different distributions is {float(got):.6g}, not positive",
            check="property",
            hint="KL(p || q) = sum p (log p - log q) / N is > 0 whenever p != q",
        )


@pytest.mark.exercise("losses.log_softmax")
class TestLogSoftmaxProperties:
    @given(data=st.data())
    def test_exp_sums_to_one(self, data, check):
        x = data.draw(tensors(scale=st.sampled_from([1.0, 30.0, 1000.0])))
        y = check.matches(
            lambda m: m.losses.log_softmax_forward(x)[0],
            "log_softmax",
            expected=F.log_softmax(x, dim=-1),
            rtol=1e-9,
            atol=1e-9,
        )
        check.that(
            bool(torch.allclose(torch.exp(y).sum(-1), torch.ones_like(y[..., 0]))),
            "exp(log_softmax(x)) must sum to 1 along the last dimension",
        )


@pytest.mark.exercise("losses.mse")
class TestMSEProperties:
    def test_mean_over_every_element(self, check, inputs):
        pred = inputs.randn(N, D)
        check.matches(
            lambda m: m.losses.mse_forward(pred, pred + 2.0)[0],
            "MSE when every error is 2",
            expected=pred.new_tensor(4.0),
            check="property",
            hint="average over all N*D elements, not over N",
        )
