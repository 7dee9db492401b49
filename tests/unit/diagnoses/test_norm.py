"""Normalizations and moving averages read through what hides them (``descent.diagnoses.norm``):
statistics over another dimension or a mean that does not belong, seen through the affine step,
and a running variance divided by the wrong count, seen through the moving average."""

import pytest
import torch

from descent.diagnoses.norm import blend_factor, standardized
from descent.diagnoses.values import Inputs

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

GEN = torch.Generator().manual_seed(3)
X = torch.randn(4, 6, generator=GEN, dtype=torch.float64) * 3 + 1
GAMMA = torch.rand(6, generator=GEN, dtype=torch.float64) + 0.5
BETA = torch.randn(6, generator=GEN, dtype=torch.float64)
NORM = Inputs(tensors=[("x", X), ("gamma", GAMMA), ("beta", BETA)])


def _standardize(x, dim):
    return (x - x.mean(dim, keepdim=True)) / torch.sqrt(x.var(dim, unbiased=False, keepdim=True))


def test_statistics_over_another_dimension_through_the_affine_step():
    expected = _standardize(X, -1) * GAMMA + BETA
    found = standardized(expected, _standardize(X, 0) * GAMMA + BETA, NORM)
    assert found.kind == "reduction" and "standardized along dimension 0" in found.text
    assert standardized(expected, X * GAMMA + BETA, NORM) is None  # nothing normalized


def test_a_mean_subtracted_that_does_not_belong_or_left_out():
    rms = X / torch.sqrt((X * X).mean(-1, keepdim=True)) * GAMMA
    layer = _standardize(X, -1) * GAMMA
    found = standardized(rms, layer, NORM)
    assert found.kind == "term" and "a mean is subtracted that does not belong" in found.text
    assert "the mean is not subtracted" in standardized(layer, rms, NORM).text
    assert standardized(rms, 1.1 * layer, NORM) is None  # scaled wrong as well: not this


def test_a_moving_average_of_a_variance_divided_by_the_wrong_count():
    running = torch.rand(6, generator=GEN, dtype=torch.float64) + 1
    inputs = Inputs(tensors=[("x", X), ("running_var", running)], numbers=[("momentum", 0.1)])
    expected = 0.9 * running + 0.1 * X.var(0)
    found = blend_factor(expected, 0.9 * running + 0.1 * X.var(0, unbiased=False), inputs)
    assert found.kind == "factor" and "4/3" in found.text and "(1 - `momentum`)" in found.text
    assert blend_factor(expected, 0.9 * running + 0.11 * X.var(0), inputs) is None
