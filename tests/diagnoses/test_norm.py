"""Normalizations and moving averages read through what hides them (``descent.diagnoses.norm``):
statistics over another dimension or a mean that does not belong, seen through the affine step,
and a running variance divided by the wrong count, seen through the moving average."""

import pytest
import torch

from descent.diagnoses.norm import affine_left_out, blend_factor, standardized
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


def test_the_normalized_values_returned_without_the_affine_step_are_an_omission():
    z = (X - X.mean(0)) / X.std(0)  # normalized with statistics of its own (eval mode)
    found = affine_left_out(z * GAMMA + BETA, z, NORM)
    assert found.kind == "omitted" and "`gamma` and `beta` taken off" in found.text
    found = affine_left_out(z * GAMMA, z, NORM)  # a scale only (RMS norm has no shift)
    assert found.kind == "omitted" and "`gamma` taken off" in found.text
    assert affine_left_out(z * GAMMA + BETA, z * 1.01, NORM) is None  # a near miss
    flat = Inputs(tensors=[("x", X), ("scale", torch.full((6,), 2.0, dtype=torch.float64))])
    assert affine_left_out(2 * z, z, flat) is None  # a constant scale is a factor, no step
