"""What a training run reports about itself (``descent.diagnoses.training``): a number measured on
another argument, a loss history that climbs, a short batch handled like a full one, weights left
at a zero start, a history kept per batch; each names its mistake on values that show it and
nothing on a near miss."""

import pytest
import torch

from descent.diagnoses import training as training_diagnoses

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


# -- training_diagnoses ------------------------------------------------------------------------------
def test_a_report_measured_on_another_argument_is_named():
    found = training_diagnoses.measured_on(0.25, "x_val", {"x_train": 0.2500001}, "loss")
    assert found is not None and found.kind == "argument" and "taken on x_train" in found.text
    assert training_diagnoses.measured_on(0.25, "x_val", {"x_train": 0.2501}, "loss") is None


def test_a_climbing_loss_history_is_named():
    found = training_diagnoses.climbing([1.0, 1.5, 3.0, 9.0, 40.0])
    assert found is not None and found.kind == "sign"
    assert training_diagnoses.climbing([1.0, 1.5, 1.4, 9.0, 40.0]) is None  # it falls once
    assert training_diagnoses.climbing([1.0, 1.5, 2.0, 3.0, 4.0]) is None  # not 10 times
    assert training_diagnoses.climbing([1.0, 2.0, 30.0, float("inf"), 40.0]) is None


def test_a_short_batch_handled_like_a_full_one_is_named():
    sizes = [4, 4, 2, 4, 4, 2]
    expected = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5]
    found = training_diagnoses.short_batch(expected, expected[:3] + [0.75, 0.6, 0.5], sizes)
    assert found is not None and found.kind == "edge"
    # wrong from the short batch itself, or one step later: not this mistake
    assert (
        training_diagnoses.short_batch(expected, expected[:2] + [0.85, 0.7, 0.6, 0.5], sizes)
        is None
    )
    assert training_diagnoses.short_batch(expected, expected[:4] + [0.65, 0.5], sizes) is None
    assert (
        training_diagnoses.short_batch(expected, expected[:3] + [0.75, 0.6, 0.5], [4] * 6) is None
    )


def test_weights_that_are_all_zero_are_named_a_zero_start():
    zero = [(torch.zeros(4, 2), torch.zeros(4)), (torch.zeros(3, 4), torch.tensor([0.1, 0, -0.1]))]
    found = training_diagnoses.zero_weights(zero)
    assert found is not None and found.kind == "zero" and "all zeros" in found.text
    assert found.fact  # the check saw the zeros itself: shown without a second input
    # one weight matrix that moved: not a network stuck at a zero start
    moved = [(torch.zeros(4, 2), torch.zeros(4)), (torch.ones(3, 4), torch.zeros(3))]
    assert training_diagnoses.zero_weights(moved) is None
    assert training_diagnoses.zero_weights("not parameters") is None


def test_a_history_with_an_entry_per_batch_is_a_mean_left_out():
    found = training_diagnoses.per_batch(list(range(120)), list(range(10)))
    assert found is not None and found.kind == "reduction" and "12 entries" in found.text
    assert found.fact
    assert training_diagnoses.per_batch(list(range(11)), list(range(10))) is None
    assert training_diagnoses.per_batch(list(range(10)), list(range(10))) is None
    assert training_diagnoses.per_batch(list(range(20)), []) is None
