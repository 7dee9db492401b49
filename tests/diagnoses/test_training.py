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


# -- whole-training failures of the capstone (issue 50) -------------------------------------------
def test_a_loss_that_ends_well_above_its_start_is_read_without_a_cause_chosen():
    found = training_diagnoses.rising([1.1, 0.9, 1.4, 1.3, 2.0, 1.8, 2.6])
    assert found is not None and found.kind == "ambiguous"
    assert "wrong sign" in found.text and "too large" in found.text
    assert training_diagnoses.rising([1.1, 0.9, 0.7, 1.0, 1.2]) is None  # not 1.5 times
    assert training_diagnoses.rising([1.0, 3.0, 0.9, 2.0, 1.6]) is None  # dips below its start


def test_a_loss_that_never_moves_is_read_at_chance_level_when_it_is_there():
    at_chance = [1.0986, 1.1001, 1.0979, 1.0990, 1.0985, 1.0992]
    found = training_diagnoses.flat(at_chance, classes=3)
    assert found is not None and found.kind == "frozen" and "ln 3" in found.text
    assert "ln 3" not in training_diagnoses.flat([1.5, 1.49, 1.52, 1.5, 1.51], classes=3).text
    assert training_diagnoses.flat([1.5, 1.2, 0.9, 0.6, 0.4], classes=3) is None


def test_a_history_that_turns_nan_diverged():
    found = training_diagnoses.diverged([1.0, 3.0, float("nan"), float("nan")])
    assert found is not None and found.kind == "stability" and "2 epoch(s)" in found.text
    assert training_diagnoses.diverged([float("nan"), 1.0]) is None  # not finite from the start
    assert training_diagnoses.diverged([1.0, 0.5]) is None


def test_parameters_left_on_standardized_inputs_are_seen():
    found = training_diagnoses.standardized(0.08, 0.08004, 0.9)
    assert found is not None and found.fact and "fold the standardization" in found.text
    assert training_diagnoses.standardized(0.08, 0.0812, 0.9) is None  # not the reported loss
    assert training_diagnoses.standardized(0.08, 0.08, 0.1) is None  # raw inputs do as well


def test_parameters_of_an_earlier_epoch_returned_with_the_whole_history():
    found = training_diagnoses.from_epoch(0.7, [1.2, 0.7, 0.5, 0.3])
    assert found is not None and found.fact and "epoch 1 of 4" in found.text
    assert training_diagnoses.from_epoch(0.3, [1.2, 0.7, 0.5, 0.3]) is None  # the last: fine
    assert training_diagnoses.from_epoch(0.6, [1.2, 0.7, 0.5, 0.3]) is None
