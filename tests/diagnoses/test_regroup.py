"""Slips of grouping written into the reference's code (``descent.diagnoses.regroup``, through
``descent.diagnoses.mutant``): a parenthesis misplaced in a moving average (in the reference's
convention and in the other one, where alpha weighs the old value) and a bias correction with
the base of its power taken as its complement. Each student below writes the whole function
in their own way with one such slip; the cause is named once verified on every failing check
(issue 57)."""

from __future__ import annotations

import pytest
import torch

from descent.calls.impl import PatchedImplementation
from descent.grading.checker import Checker

from .test_mutant import REFERENCE, _named

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

GEN = torch.Generator().manual_seed(57)


def _t(*shape):
    return torch.randn(*shape, generator=GEN, dtype=torch.float64)


def _running(n, d, momentum=0.1):
    x, rm, rv = _t(n, d), _t(d), _t(d).abs() + 0.5
    g, b = _t(d), _t(d)

    def recipe(m):
        out = m.normalization.batchnorm_forward(x, g, b, rm, rv, True, momentum=momentum)
        return out[1], out[2]

    return recipe


def _batchnorm(update):
    """A student's batch norm whose running statistics come from ``update(old, new, m)``."""

    def batchnorm_forward(
        x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5
    ):
        mu, var = x.mean(0), x.var(0, unbiased=False)
        y = gamma * (x - mu) / torch.sqrt(var + eps) + beta
        n = x.shape[0]
        new_mean = update(running_mean, mu, momentum)
        new_var = update(running_var, var * n / (n - 1), momentum)
        return y, new_mean, new_var, (x, mu, var, gamma, eps)

    return batchnorm_forward


@pytest.mark.parametrize(
    "update",
    [
        lambda old, new, m: 1 - m * old + m * new,  # (1 - m) * old with its parenthesis lost
        lambda old, new, m: (1 - m) * old + (1 - (1 - m) * new),  # alpha = 1 - m, (1 - alpha * new)
    ],
    ids=["reference-convention", "other-convention"],
)
def test_a_misplaced_parenthesis_in_a_moving_average_is_named(update):
    recipes = [_running(6, 4), _running(5, 3, momentum=0.3)]
    failures = _named("normalization.batchnorm", "batchnorm_forward", _batchnorm(update), recipes)
    assert {f.diagnosis for f in failures} == {"precedence"}
    assert "parenthesis" in str(failures[0])


def _adam(correction):
    def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        b1, b2 = betas
        t = state.get("step", 0) + 1
        m = b1 * state.get("exp_avg", torch.zeros_like(param)) + (1 - b1) * grad
        v = b2 * state.get("exp_avg_sq", torch.zeros_like(param)) + (1 - b2) * grad * grad
        m_hat, v_hat = m / correction(b1, t), v / correction(b2, t)
        new = param - lr * m_hat / (v_hat.sqrt() + eps)
        return new, {"step": t, "exp_avg": m, "exp_avg_sq": v}

    return adam_step


def _steps(**hyper):
    def make(p0, grads):
        def recipe(m):
            p, state, out = p0, {}, []
            for g in grads:
                p, state = m.optim.adam_step(p, g, state, **hyper)
                out.append(p)
            return out

        return recipe

    return [make(_t(3, 4), [_t(3, 4) for _ in range(4)]) for _ in range(2)]


def test_a_bias_correction_with_the_complement_for_its_base_is_named():
    # 1 - (1 - beta) ** t: the moment's weight raised where the decay belongs
    student = _adam(lambda b, t: 1 - (1 - b) ** t)
    failures = _named("optim.adam", "adam_step", student, _steps(lr=0.01))
    assert {f.diagnosis for f in failures} == {"argument"}
    assert "the power of 1 - " in str(failures[0])


def test_a_bias_correction_grouped_as_a_power_of_one_minus_beta_is_named():
    # (1 - beta) ** t, the parenthesis around 1 - beta ** t's subtraction
    student = _adam(lambda b, t: (1 - b) ** t)
    failures = _named("optim.adam", "adam_step", student, _steps(lr=0.01))
    assert {f.diagnosis for f in failures} == {"precedence"}


def test_right_code_grouped_as_the_reference_names_nothing():
    student = _adam(lambda b, t: 1 - b**t)
    impl = PatchedImplementation(REFERENCE, "student", {("optim", "adam_step"): student})
    for recipe in _steps(lr=0.01):
        Checker(impl, REFERENCE, "optim.adam").matches(recipe, "the result")  # passes
