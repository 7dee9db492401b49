"""The value hypotheses of ``descent.diagnoses.placement``: the right values transposed or
reshaped, in another order, wrong on one branch or at one edge, broadcast or normalized along
another dimension; a result constant everywhere is no broadcast."""

import pytest
import torch

from descent.diagnoses import placement
from descent.diagnoses.values import Inputs, diagnose

from .test_values import INPUTS, E, X, kind, seeded

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_transposed_and_reshaped_layouts():
    square = seeded(4, 4)
    assert kind(square, square.T, Inputs()) == "layout"
    assert "reshape" in diagnose(E, E.T.reshape(5, 3), Inputs()).text


def test_right_values_in_the_wrong_order():
    perm = torch.tensor([2, 0, 4, 1, 3])
    assert kind(E, E[perm]) == "order"


def test_one_branch_of_a_piecewise_formula():
    got = torch.where(X < 0, 0.01 * X, X)  # leaky where the reference is plain ReLU
    expected = X.clamp_min(0)
    found = diagnose(expected, got, INPUTS)
    assert found.kind == "branch" and "wrong exactly where `x` < 0" in found.text


def test_a_branch_is_not_read_off_a_result_too_small_to_show_one():
    """A 2 x 2 softmax normalized along the wrong axis was told "wrong exactly where `x` < 0"
    (a held-out UIUC learner's, whose code has no branch): four entries split two and two by
    chance match a sign pattern one time in sixteen. Eight entries are needed."""
    x = torch.tensor([[0.5, -1.0], [-0.25, 2.0]], dtype=torch.float64)
    expected = x.softmax(dim=0)
    got = torch.where(x < 0, expected + 0.3, expected)  # wrong exactly where x < 0
    inputs = Inputs(tensors=(("x", x),))
    assert placement.wrong_branch(expected, got, inputs) is None
    x8 = torch.tensor([[0.5, -1.0, 0.7, -0.2], [-0.25, 2.0, -0.6, 1.1]], dtype=torch.float64)
    expected8 = x8.clamp_min(0) + 1.0
    got8 = torch.where(x8 < 0, expected8 + 0.3, expected8)
    found = placement.wrong_branch(expected8, got8, Inputs(tensors=(("x", x8),)))
    assert found is not None and "wrong exactly where `x` < 0" in found.text


def test_only_the_last_entry_along_a_dimension():
    got = E.clone()
    got[:, -1] += 1.0
    got[:, -1] *= torch.arange(1.0, 6.0, dtype=torch.float64)  # no constant relation
    assert kind(E, got, Inputs()) == "edge"


def test_broadcast_over_the_wrong_dimension():
    got = E.mean(0, keepdim=True).expand_as(E)
    assert kind(E, got, Inputs()) == "broadcast"


def test_a_result_constant_only_to_a_tolerance_is_no_broadcast():
    """(a held-out MatrixSlow RMSProp) an optimizer's step far below the parameter's size
    leaves each row equal to the first to a millionth: no value was copied along it."""
    got = E[:1].expand_as(E) + 1e-9 * torch.arange(E.numel(), dtype=E.dtype).reshape(E.shape)
    assert kind(E, got, Inputs()) != "broadcast"


def test_a_result_constant_everywhere_is_no_broadcast():
    assert kind(E, torch.full_like(E, 5.0), Inputs()) != "broadcast"


def test_normalized_along_the_wrong_dimension():
    logits = seeded(4, 5, 6)
    found = diagnose(logits.softmax(0), logits.softmax(-1), Inputs())
    assert found.kind == "reduction" and "normalized along dimension 2" in found.text


def test_two_numbers_swapped_but_not_two_counts_shifted():
    assert kind((144, 576), (576, 144), Inputs()) == "order"  # fan_in and fan_out swapped
    assert kind((3, 1), (4, 2), Inputs()) is None  # epochs: many slips do that
    assert kind((0.5, 0.25), (0.75, 0.5), Inputs()) == "offset"


def test_each_hypothesis_reads_two_tensors_of_one_shape_on_its_own():
    """Called alone, as a tier calls it: a fit, and a near miss that names nothing."""
    square = seeded(4, 4)
    assert placement.wrong_layout(square, square.T, Inputs()).kind == "layout"
    assert placement.wrong_layout(square, square.T + 1e-3, Inputs()) is None
    perm = torch.tensor([2, 0, 4, 1, 3])
    assert placement.values_reordered(E, E[perm], Inputs()).kind == "order"
    assert placement.values_reordered(E, E[perm] * 1.5, Inputs()) is None
    assert placement.normalized_dims(E.softmax(1)) == pytest.approx({1: 1.0})
