"""The reference rerun with the check's numbers changed together (``descent.diagnoses.rerun``):
each slip is named when it gives the student's result, the numbers are put back, and a number
that acts as a threshold names nothing."""

import math

import pytest
import torch

from descent.diagnoses.argument import argument_fits
from descent.diagnoses.base import Case
from descent.diagnoses.parameter import one_diagnosis
from descent.diagnoses.rerun import number_fits
from descent.diagnoses.values import _deep_equal

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def rerun_slip(case):
    """The re-runs of numbers weighed as the checker weighs them (without the parameter re-runs,
    which need an exercise of the kit)."""
    fits = argument_fits(case) + number_fits(case)
    return one_diagnosis(fits)


def problem():
    x = torch.randn(12, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    return x, x @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)


def descend(X, y, lr, steps, scale=2.0):
    """Full-batch descent on mean squared error; ``scale`` is the derivative's factor 2."""
    w, out = X.new_zeros(X.shape[1]), []
    for _ in range(steps):
        w = w - lr * scale / len(y) * X.T @ (X @ w - y)
        out.append(w)
    return torch.stack(out)


def test_a_rate_scaled_by_a_count_or_two():
    (X, Y), lr, steps = problem(), 0.05, 6

    def recipe(impl):  # the check's recipe: its tensors and numbers are what reruns change
        return impl(X, Y, lr, steps)

    def reference():
        return recipe(descend)

    summed = descend(X, Y, lr * 12, steps)  # the gradient summed, not averaged
    found = rerun_slip(Case(recipe, summed, reference(), descend))
    assert found.kind == "sum-mean" and "`lr` times 12" in found.text
    no_two = recipe(lambda *a: descend(*a, scale=1.0))
    found = rerun_slip(Case(recipe, no_two, reference(), descend))
    assert found.kind == "factor" and "`lr` divided by 2" in found.text
    assert lr == 0.05 and steps == 6  # the recipe's numbers are put back
    # near miss: a factor 5 on the rate (no count of the call) is no named slip
    assert rerun_slip(Case(recipe, descend(X, Y, lr * 5, steps), reference(), descend)) is None


def test_a_threshold_or_an_order_is_no_rate():
    losses, threshold = [1.0, 0.9, 0.84, 0.81, 0.8, 0.79], 0.05

    def cuts(values, t):  # how often the loss failed to fall by a share t (a threshold)
        return [1.0 * (b > a * (1 - t)) + 0.5 for a, b in zip(values, values[1:])]

    def recipe(impl):
        return impl(losses, threshold)

    def reference():
        return recipe(cuts)

    halved = cuts(losses, threshold / 2)
    assert not _deep_equal(halved, reference())
    assert rerun_slip(Case(recipe, halved, reference(), cuts)) is None  # same over a range
    p = 1.0

    X, _ = problem()

    def norm(impl):
        return impl(X, p)

    def p_norm(x, order):
        return [float(x.abs().pow(order).sum() ** (1 / order))] * 3

    two = p_norm(X, 2.0)  # the 2-norm whatever the order: `p` ignored, not doubled
    assert rerun_slip(Case(norm, two, norm(p_norm), p_norm)) is None


def warmup_cosine(t, base, warmup, total, low=0.0):
    if t < warmup:
        return base * (t + 1) / warmup
    progress = min(t - warmup, total - warmup) / (total - warmup)
    return low + (base - low) * (1 + math.cos(math.pi * progress)) / 2


def test_two_arguments_combined():
    base, warmup, total, low = 0.6, 4, 16, 0.05

    def recipe(impl):
        return [impl(t, base, warmup, total, low) for t in range(18)]

    def reference():
        return recipe(warmup_cosine)

    def too_long(t, b, w, n, lo):  # the decay lasts `total` steps after the warmup
        return warmup_cosine(t, b, w, n + w, lo)

    found = rerun_slip(Case(recipe, recipe(too_long), reference(), warmup_cosine))
    assert found.kind == "argument" and "`total` + `warmup` in place of `total`" in found.text

    def amplitude(t, b, w, n, lo):  # low + base * (...) without taking low out of it
        return warmup_cosine(t, b + lo, w, n, lo) if t >= w else warmup_cosine(t, b, w, n, lo)

    found = rerun_slip(Case(recipe, recipe(amplitude), reference(), warmup_cosine))
    assert found is None or "`base` + `low`" not in found.text  # the warmup is right: no fit
    assert (base, warmup, total, low) == (0.6, 4, 16, 0.05)


def test_an_argument_ignored_in_the_later_part():
    base, total = 0.6, 16

    def recipe(impl):
        return [impl(t, base, warmup, total) for t in range(18)]

    def reference():
        return recipe(warmup_cosine)

    def not_shifted(t, b, w, n):  # the decay runs on the raw step, over the whole run
        return warmup_cosine(t, b, w, n) if t < w else warmup_cosine(t, b, 0, n)

    warmup = 4
    found = rerun_slip(Case(recipe, recipe(not_shifted), reference(), warmup_cosine))
    assert found.kind == "argument" and "right up to item 3" in found.text
    assert "`warmup` = 0" in found.text
    warmup = 1  # then `warmup` = 0 is `warmup` - 1 everywhere: two readings, offered together
    found = rerun_slip(Case(recipe, recipe(not_shifted), reference(), warmup_cosine))
    assert found.kind == "ambiguous" and "`warmup` - 1 in place of `warmup`" in found.text
    assert "`warmup` = 0" in found.text


def test_a_matrix_read_transposed():
    x = torch.tensor([[-1.0, 2.0, -3.0, 0.5], [-2.0, 1.0, -1.0, -0.5], [-0.1, 3.0, -2.0, 1.0]])

    def dead(a):  # the share of columns (units) that are <= 0 on every row (example)
        return float((a <= 0).all(dim=0).double().mean())

    def recipe(impl):
        return impl(x)

    def reference():
        return recipe(dead)

    over_rows = float((x <= 0).all(dim=1).double().mean())  # examples counted, not units
    assert over_rows != reference()
    found = rerun_slip(Case(recipe, over_rows, reference(), dead))
    assert found.kind == "reduction" and "`x` transposed" in found.text
    assert x.shape == (3, 4)  # put back
    assert rerun_slip(Case(recipe, 0.25 + over_rows, reference(), dead)) is None


def test_a_hair_is_no_combination():
    from descent.diagnoses.rerun import _combinations

    assert [how for _, how, _ in _combinations("lr", 0.05, "eps", 1e-7)] == []
    assert len(list(_combinations("base_lr", 0.1, "min_lr", 0.01))) == 4
