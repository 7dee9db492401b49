"""The slips of what code keeps between calls and steps (``descent.diagnoses.bookkeeping``),
written into the reference's code and verified on two inputs: a step counter never advanced or
stored as it was read, ``=`` for ``+=``, the batch's statistics in evaluation, a loop's best
never updated, a short last batch handled like a full one."""

from __future__ import annotations

import pytest
import torch

from descent.diagnoses import bookkeeping

from .test_mutant import REFERENCE, _kinds, _named, _steps, _t
from .test_syntax import rules_of

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _adam_then_state(p0, grads):
    """A recipe: the parameters after three Adam steps, and the step count stored."""

    def recipe(m):
        p, state = p0, {}
        for g in grads:
            p, state = m.optim.adam_step(p, g, state, lr=0.1)
        return [p, float(state["step"])]

    return recipe


def test_adam_whose_step_never_advances_is_frozen():
    def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        b1, b2 = betas
        t = 1  # the count is stored but never read back
        m = b1 * state.get("exp_avg", torch.zeros_like(grad)) + (1 - b1) * grad
        v = b2 * state.get("exp_avg_sq", torch.zeros_like(grad)) + (1 - b2) * grad * grad
        update = (m / (1 - b1**t)) / ((v / (1 - b2**t)).sqrt() + eps)
        return param - lr * update, {"step": t, "exp_avg": m, "exp_avg_sq": v}

    recipes = _steps("adam_step", lr=0.1) + [_adam_then_state(_t(3, 4), [_t(3, 4)] * 3)]
    failures = _named("optim.adam", "adam_step", adam_step, recipes)
    assert _kinds(failures) == {"frozen"} and "never incremented" in str(failures[0])


def test_adam_that_stores_its_step_count_as_it_read_it_is_frozen():
    # an optimizer object that computes t = self.t + 1 for the update but keeps self.t: the
    # stored count stays 0, so every step is bias-corrected as the first
    def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        b1, b2 = betas
        count = state.get("step", 0)
        t = count + 1
        m = b1 * state.get("exp_avg", torch.zeros_like(grad)) + (1 - b1) * grad
        v = b2 * state.get("exp_avg_sq", torch.zeros_like(grad)) + (1 - b2) * grad * grad
        update = (m / (1 - b1**t)) / ((v / (1 - b2**t)).sqrt() + eps)
        return param - lr * update, {"step": count, "exp_avg": m, "exp_avg_sq": v}

    recipes = _steps("adam_step", lr=0.1) + [_adam_then_state(_t(3, 4), [_t(3, 4)] * 3)]
    failures = _named("optim.adam", "adam_step", adam_step, recipes)
    assert _kinds(failures) == {"frozen"}, [str(f) for f in failures]
    assert "stored back as it was read" in str(failures[0])


def test_a_sum_of_squares_rebuilt_on_every_call_is_an_assignment_for_an_accumulation():
    def adagrad_step(param, grad, state, lr=1e-2, eps=1e-10, weight_decay=0.0):
        s = grad * grad  # the running sum is overwritten, never added to
        return param - lr * grad / (s.sqrt() + eps), {**state, "step": 1, "sum": s}

    failures = _named("optim.adagrad", "adagrad_step", adagrad_step, _steps("adagrad_step"))
    assert _kinds(failures) <= {"accumulate", "argument"}, [str(f) for f in failures]
    assert "accumulate" in _kinds(failures) or "argument" in _kinds(failures)


def test_batch_norm_with_the_batch_statistics_in_evaluation_is_a_mode_slip():
    original = REFERENCE.module("normalization").batchnorm_forward

    def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, **kwargs):
        return original(x, gamma, beta, running_mean, running_var, True, **kwargs)

    def case(n, d):
        x, gamma, beta, rm, rv = _t(n, d), _t(d), _t(d), _t(d), _t(d).abs() + 0.5
        return lambda m: m.normalization.batchnorm_forward(x, gamma, beta, rm, rv, False)[0]

    failures = _named(
        "normalization.batchnorm", "batchnorm_forward", batchnorm_forward, [case(5, 3), case(4, 6)]
    )
    assert _kinds(failures) == {"mode"}


def test_batch_statistics_in_evaluation_with_the_running_ones_kept_is_a_mode_slip():
    # the NumPy student: eval normalizes with the batch's statistics, while the running
    # statistics come back as they were (forcing `training` would also update them)
    original = REFERENCE.module("normalization").batchnorm_forward

    def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, **kwargs):
        y, new_mean, new_var, cache = original(x, gamma, beta, running_mean, running_var, True)
        if training:
            return y, new_mean, new_var, cache
        return y, running_mean.clone(), running_var.clone(), cache

    def case(n, d):
        x, gamma, beta, rm, rv = _t(n, d), _t(d), _t(d), _t(d), _t(d).abs() + 0.5
        return lambda m: m.normalization.batchnorm_forward(x, gamma, beta, rm, rv, False)[:3]

    failures = _named(
        "normalization.batchnorm", "batchnorm_forward", batchnorm_forward, [case(5, 3), case(4, 6)]
    )
    assert _kinds(failures) == {"mode"} and "running statistics" in str(failures[0])


def test_early_stopping_whose_best_never_moves_is_frozen():
    # records the improving epoch but never lowers best: every epoch is compared with epoch 0
    def early_stopping(val_losses, patience, min_delta=0.0):
        losses = [float(v) for v in val_losses]
        best, best_epoch = losses[0], 0
        for epoch in range(1, len(losses)):
            if losses[epoch] < best - min_delta:
                best_epoch = epoch
            elif epoch - best_epoch == patience:
                return epoch, best_epoch
        return None, best_epoch

    def every_prefix(losses, patience):  # (stop, best) after each epoch: enough to tell slips
        return lambda m: [
            m.regularization.early_stopping(losses[:k], patience) for k in range(1, len(losses))
        ]

    recipes = [
        every_prefix([4.0, 3.0, 3.5, 2.5, 2.75, 2.9, 2.0, 2.2, 2.3], 2),
        every_prefix([1.0, 0.9, 0.95, 0.8, 0.85, 0.7, 0.75, 0.76, 0.77], 3),
    ]
    failures = _named("regularization.early_stopping", "early_stopping", early_stopping, recipes)
    assert _kinds(failures) == {"frozen"}, [str(f) for f in failures]
    assert "`best` never updated" in str(failures[0])


def test_a_short_batch_averaged_over_batch_size_is_a_piece_taken_for_the_whole():
    # averages every batch's gradient over batch_size, the short last batch included
    def train_linear_regression(X, y, lr, epochs, batch_size, generator):
        w, b, losses = X.new_zeros(X.shape[1]), X.new_zeros(()), []
        for _ in range(epochs):
            for idx in torch.randperm(X.shape[0], generator=generator).split(batch_size):
                r = X[idx] @ w + b - y[idx]
                losses.append(float((r * r).mean()))
                w = w - lr * (2 / batch_size) * (X[idx].T @ r)
                b = b - lr * (2 / batch_size) * r.sum()
        return w, b, losses

    def run(n, batch_size):
        X, y = _t(n, 3), _t(n)
        return lambda m: m.regression.train_linear_regression(
            X, y, 0.05, 2, batch_size, torch.Generator().manual_seed(3)
        )

    failures = _named(
        "regression.train_linear_regression",
        "train_linear_regression",
        train_linear_regression,
        [run(11, 4), run(17, 5)],
    )
    assert _kinds(failures) == {"edge"}, [str(f) for f in failures]
    assert "`batch_size` used where the length of each piece belongs" in str(failures[0])


def test_each_rule_writes_its_slips_into_one_node():
    """The rules alone, on a tree: what they write, and a near miss they leave alone."""
    added = "def total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s"
    assert [k for k, _ in rules_of(added, bookkeeping.accumulated)] == ["accumulate"]
    # a sum that carries nothing over (a local, not read from a state nor looped) is left alone
    assert rules_of("def f(a, b):\n    s = a + b\n    return s", bookkeeping.accumulated) == []
    # a moving average read from a state, written as `+=`: the old value counted once more
    average = (
        "def step(g, state, a=0.9):\n    v = state.get('v')\n"
        "    v = g * g if v is None else a * v + (1 - a) * g * g\n    return v"
    )
    found = rules_of(average, bookkeeping.accumulated)
    assert [k for k, _ in found] == ["accumulate"] and "`v +=`" in found[0][1]
    # a sum of fresh values, read from no state, carries nothing: left alone
    assert rules_of("def f(a, b):\n    v = a * b + a\n    return v", bookkeeping.accumulated) == []
    flag = "def bn(x, training=True):\n    return x.mean() if training else x"
    assert [k for k, _ in rules_of(flag, bookkeeping.mode_forced)] == ["mode", "mode"]
    counter = "def step(p, state):\n    t = state.get('t', 0) + 1\n    return p, {'t': t}"
    assert [k for k, _ in rules_of(counter, bookkeeping.counter_frozen)] == ["frozen"]
