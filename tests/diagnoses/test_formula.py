"""The slips of one operation of a formula (``descent.diagnoses.formula``), written into the
reference's code and verified on two inputs: a root or a power left out, a hyperparameter for
another, eps left out, a log clamped or a floor moved, a power one off, a matrix read
transposed. Each student writes the whole function their own way with that one mistake."""

from __future__ import annotations

import math
import warnings

import pytest
import torch

from descent.diagnoses import formula
from descent.diagnoses import mutant as mutant_diagnoses

from .test_mutant import GEN, REFERENCE, _graded, _kinds, _named, _steps, _t
from .test_syntax import rules_of

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_rmsprop_without_its_square_root_is_an_operation_left_out():
    def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        v = alpha * state.get("square_avg", torch.zeros_like(grad)) + (1 - alpha) * grad**2
        return param - lr * grad / (v + eps), {**state, "square_avg": v}

    failures = _named("optim.rmsprop", "rmsprop_step", rmsprop_step, _steps("rmsprop_step"))
    assert _kinds(failures) == {"omitted"} and "with no square root" in str(failures[0])


def test_the_learning_rate_where_one_minus_the_decay_belongs_is_a_swap():
    def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        v = alpha * state.get("square_avg", torch.zeros_like(grad)) + lr * grad * grad
        return param - lr * grad / (v.sqrt() + eps), {**state, "square_avg": v}

    # (alpha = 0.9: at the default 0.99, 1 - alpha is the default lr, and the slip is invisible)
    recipes = _steps("rmsprop_step", alpha=0.9)
    failures = _named("optim.rmsprop", "rmsprop_step", rmsprop_step, recipes)
    assert _kinds(failures) == {"swapped"}
    assert "`lr` used where `1 - alpha` belongs" in str(failures[0])


def test_adam_dividing_by_one_minus_beta_leaves_the_power_out():
    def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        b1, b2 = betas
        t = state.get("step", 0) + 1
        m = b1 * state.get("exp_avg", torch.zeros_like(grad)) + (1 - b1) * grad
        v = b2 * state.get("exp_avg_sq", torch.zeros_like(grad)) + (1 - b2) * grad * grad
        update = (m / (1 - b1)) / ((v / (1 - b2)).sqrt() + eps)
        return param - lr * update, {"step": t, "exp_avg": m, "exp_avg_sq": v}

    def state_after_three(p0, grads):  # the step it stores advances as it should
        def recipe(m):
            p, state = p0, {}
            for g in grads:
                p, state = m.optim.adam_step(p, g, state, lr=0.1)
            return float(state["step"])

        return recipe

    recipes = _steps("adam_step", lr=0.1) + [state_after_three(_t(3, 4), [_t(3, 4)] * 3)]
    failures = _named("optim.adam", "adam_step", adam_step, recipes)
    # a counter that never advances gives the same parameters, but the passing state check
    # contradicts it: the power left out is the one explanation of every check
    assert _kinds(failures) == {"omitted"} and "every power `** t` left out" in str(failures[0])
    assert "(1 - beta1) instead of (1 - beta1 ** t)" in str(failures[0])  # the stub's names
    assert "first update" not in str(failures[0])


def test_layer_norm_without_eps_is_an_eps_left_out():
    def layernorm_forward(x, gamma, beta, eps=1e-5):
        mu = x.mean(-1, keepdim=True)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)
        xhat = (x - mu) / var.sqrt()
        return gamma * xhat + beta, (xhat, gamma, 1 / var.sqrt())

    def case(n, d):
        x, gamma, beta = 0.01 * _t(n, d), _t(d), _t(d)
        return lambda m: m.normalization.layernorm_forward(x, gamma, beta)[0]

    failures = _named(
        "normalization.layernorm", "layernorm_forward", layernorm_forward, [case(4, 5), case(6, 3)]
    )
    assert _kinds(failures) == {"eps"} and "`eps`" in str(failures[0])


def test_the_log_of_a_softmax_clamped_at_a_floor_is_a_clamp():
    def log_softmax_forward(x, dim=-1):
        p = torch.softmax(x, dim)
        return torch.log(p.clamp(min=1e-10)), (p,)

    def case(n, c):
        x = 40 * _t(n, c)  # logits far apart: some probabilities under the floor
        return lambda m: m.losses.log_softmax_forward(x)[0]

    failures = _named(
        "losses.log_softmax", "log_softmax_forward", log_softmax_forward, [case(4, 5), case(3, 6)]
    )
    # the values themselves show the floor (a fact of the check), and the slip reproduces them
    assert _kinds(failures) == {"clamp"} and "at 1e-10" in str(failures[0])


@pytest.mark.parametrize(
    "floor, dtype, wide",
    [(1e-5, torch.float64, False), (1e-7, torch.float32, False), (1e-8, torch.float32, True)],
)
def test_a_binary_loss_of_clipped_sigmoid_probabilities_is_a_clamp(floor, dtype, wide):
    """(held-out USTC labs) a binary cross-entropy taken of sigmoid probabilities clipped to
    [f, 1 - f] in NumPy: each term stops near -log(f) at large logits. The slip writes both
    softplus terms of the reference so, in the input's precision and in float64."""
    import numpy as np

    def bce_with_logits_forward(logits, target, pos_weight=None):
        z, t = logits.detach().numpy(), target.numpy()
        z = z.astype(np.float64) if wide else z
        p = np.clip(1 / (1 + np.exp(-z)), floor, 1 - floor)
        loss = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
        return torch.tensor(loss, dtype=logits.dtype), (logits, target)

    def case(n, scale):
        z = (scale * _t(n)).to(dtype)
        t = (torch.rand(n, generator=GEN) > 0.5).to(dtype)
        return lambda m: m.losses.bce_with_logits_forward(z, t)[0]

    recipes = [case(8, 60.0), case(6, 80.0)]
    failures = _named(
        "losses.bce_with_logits", "bce_with_logits_forward", bce_with_logits_forward, recipes
    )
    assert _kinds(failures) == {"clamp"}, [str(f) for f in failures]
    # (clipped, or the floor added under each log: the two agree wherever p saturates, and a
    # draw whose other entries lie far from the floor cannot tell them apart)
    assert "logs of the sigmoid's probabilities" in str(failures[0])
    assert f"{-math.log(floor):.4g}" in str(failures[0])


@pytest.mark.parametrize("floor", [1e-12, 1e-13])  # (issue 57) a floor of any power of ten
def test_a_cross_entropy_through_the_log_of_a_softmax_plus_a_floor_is_a_clamp(floor):
    # (issue 50) log(softmax + 1e-12), as real learners write it: every loss moves a little,
    # and one whose probability underflows stops near 27.63
    def cross_entropy_forward(logits, target, weight=None, label_smoothing=0.0):
        e = torch.exp(logits - logits.max(dim=1, keepdim=True).values)
        p = e / e.sum(dim=1, keepdim=True)
        picked = p[torch.arange(logits.shape[0]), target]
        return -torch.log(picked + floor).mean(), (p, target)

    def case(n, c, scale):
        x, y = scale * _t(n, c), torch.randint(c, (n,), generator=GEN)
        return lambda m: m.losses.cross_entropy_forward(x, y)[0]

    def small(gaps):  # true-class probabilities near 1e-10: the added 1e-12 moves the loss
        x = torch.tensor([[0.0, -g] for g in gaps], dtype=torch.float64)
        y = torch.ones(len(gaps), dtype=torch.int64)
        return lambda m: m.losses.cross_entropy_forward(x, y)[0]

    recipes = [case(5, 3, 60.0), small([23.0, 21.0, 20.0]), small([22.0, 24.0])]
    failures = _named(
        "losses.cross_entropy", "cross_entropy_forward", cross_entropy_forward, recipes
    )
    # the recipes draw from the module's generator: which failure comes first depends on the
    # tests run before in this process, so any of them may be the one that shows the floor
    assert _kinds(failures) == {"clamp"}
    assert any(f"log(p + {floor:g})" in str(f) for f in failures), [str(f) for f in failures]


def test_a_schedule_that_counts_one_drop_too_many_is_a_power_one_too_high():
    # counts a drop at every s % step_size == 0 up to the step, step 0 included: every rate has
    # one drop too many
    def step_lr(step, base_lr, step_size, gamma=0.1):
        drops = sum(1 for s in range(step + 1) if s % step_size == 0)
        return float(base_lr * gamma**drops)

    def rates(step_size, *gamma):
        return lambda m: [m.schedules.step_lr(s, 0.3, step_size, *gamma) for s in range(15)]

    # (with gamma passed on every check, "times `gamma`" reads the values as well: a factor; the
    # default gamma's check reads as a constant, and only the slip explains both)
    failures = _named("schedules.step_lr", "step_lr", step_lr, [rates(3, 0.5), rates(4)])
    assert _kinds(failures) == {"step"}, [str(f) for f in failures]
    assert "a power one too high" in str(failures[0])


def test_a_floor_raised_above_the_formulas_is_a_clamp():
    def relative_error(a, b):
        return ((a - b).abs() / (a.abs() + b.abs()).clamp(min=1e-8)).max().item()

    def case(tiny):
        a = torch.tensor([0.0, tiny, 2.0, 0.0], dtype=torch.float64)
        b = torch.tensor([0.0, 0.0, 2.0 + 2e-9, 0.0], dtype=torch.float64)
        return lambda m: m.layers.relative_error(a, b)

    failures = _graded(
        "layers.relative_error", {"relative_error": relative_error}, [case(1e-20), case(3e-19)]
    )
    assert _kinds(failures) == {"clamp"} and "a floor higher than the 1e-12" in str(failures[0])


def test_an_argument_read_transposed_warns_for_no_rank():
    """The slip reads an argument as ``.T`` does (the axes reversed, a matrix's rows for its
    columns) without torch's deprecation warning of ``.T`` on a tensor that is not 2-D, which
    every audit printed: a vector or a scalar comes through unchanged, a 3-D tensor reversed."""
    from descent.diagnoses.rerun import transposed

    slipped = [
        m for m in mutant_diagnoses.mutants(REFERENCE, "losses.mse") if m.text == transposed("pred")
    ]
    assert len(slipped) == 1
    forward = slipped[0].apply(REFERENCE).module("losses").mse_forward
    reference = REFERENCE.module("losses").mse_forward
    always = torch.is_warn_always_enabled()
    torch.set_warn_always(True)  # torch warns of .T once a process: any test may have seen it
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for shape in [(), (5,), (3, 4), (2, 3, 4)]:
                pred = torch.randn(shape, generator=GEN, dtype=torch.float64)
                target = torch.randn(shape[::-1], generator=GEN, dtype=torch.float64)
                reversed_pred = pred.permute(tuple(range(pred.ndim - 1, -1, -1)))
                got, expected = forward(pred, target)[0], reference(reversed_pred, target)[0]
                assert torch.equal(got, expected), shape
    finally:
        torch.set_warn_always(always)


def test_each_rule_writes_its_slips_into_one_node():
    """The rules alone, on a tree: what they write, and a near miss they leave alone."""
    mean = "def mse(x, n):\n    return torch.sqrt(x).sum() / n"
    assert {k for k, _ in rules_of(mean, formula.operation_omitted)} == {"omitted", "sum-mean"}
    eps = "def norm(v, var, eps=1e-5):\n    return v / (torch.sqrt(var) + eps)"
    texts = [t for _, t in rules_of(eps, formula.eps_left_out_or_moved)]
    assert texts == [
        "`eps` left out where it is added",
        "`eps` added under the square root instead of after it",
    ]
    swap = "def step(p, g, lr=0.1, alpha=0.9):\n    return p - lr * g"
    assert rules_of(swap, formula.hyperparameter_swapped) == [
        ("swapped", "`alpha` used where `lr` belongs")
    ]
    assert rules_of("def f(x):\n    return x", formula.term_slips) == []  # nothing to slip
