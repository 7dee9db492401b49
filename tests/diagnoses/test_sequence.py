"""The value hypotheses of ``descent.diagnoses.sequence``: a schedule or a trajectory one step
behind or ahead, changing at other steps, with its first change scaled, or one item too many or
too few; a list of indices or counts is no schedule."""

import pytest
import torch

from descent.diagnoses import sequence
from descent.diagnoses.values import Inputs, diagnose

from .test_values import kind, seeded

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_schedules_and_trajectories_one_step_off():
    lrs = [0.1 * 0.5 ** (t // 2) for t in range(8)]
    behind = [lrs[0]] + lrs[:-1]
    ahead = lrs[1:] + [lrs[-1] * 0.5]
    assert "behind" in diagnose(lrs, behind).text
    assert "ahead" in diagnose(lrs, ahead).text
    assert "at the start" in diagnose(lrs, lrs[1:]).text  # the start left out
    assert "too many, at the end" in diagnose(lrs, lrs + [0.01]).text  # one extra step
    path = [seeded(3, seed=s) for s in range(5)]
    assert kind(path, [path[0]] + path[:-1]) == "step"


def test_first_update_with_its_sign_flipped():
    w = [torch.tensor(0.0, dtype=torch.float64)]
    for _ in range(5):
        w.append(w[-1] - 0.1 * 2 * (w[-1] - 3))
    ascent = [w[0], w[0] + (w[0] - w[1])] + [w[0] - 7.0] * 4
    found = diagnose(w, ascent, Inputs())
    assert found.kind == "sign" and "from its first entry (right) to its second" in found.text


def test_a_step_function_that_changes_at_the_wrong_steps():
    expected = [0.1] * 4 + [0.01] * 4 + [0.001] * 4
    early = [0.1] * 3 + [0.01] * 4 + [0.001] * 5
    assert "one step ahead" in diagnose(expected, early).text
    moved = [0.1] * 2 + [0.01] * 7 + [0.001] * 3
    assert "changes at other steps" in diagnose(expected, moved).text
    assert diagnose(expected, [0.1] * 3 + [0.05] * 9) is None  # other values: no claim


def test_a_list_of_indices_is_no_schedule():
    fold = [0, 1, 2, 3, 4]
    assert diagnose(fold, [0, 1, 2, 3, 4, 5]) is None


def test_an_unnamed_factor_is_no_evidence_when_the_first_update_scales_an_input():
    param = seeded(3, 4)
    path = [param * 0.99**t for t in range(4)]  # zero gradients, weight decay
    other = [param] + [param * 0.983 * 0.99 ** (t - 1) for t in range(1, 4)]
    assert diagnose(path, other, Inputs(tensors=[("param", param)])) is None
    assert diagnose(path, other, Inputs()) is None  # the start itself is the argument
    twice = [param] + [param * 0.98 * 0.99 ** (t - 1) for t in range(1, 4)]
    assert diagnose(path, twice, Inputs()).kind == "factor"  # a named factor (2) still counts


def test_each_hypothesis_reads_a_sequence_on_its_own():
    """Called alone, as a tier calls it: a fit, and a near miss that names nothing."""
    lrs = torch.tensor([0.1 * 0.5 ** (t // 2) for t in range(8)], dtype=torch.float64)
    behind = torch.cat([lrs[:1], lrs[:-1]])
    assert sequence.one_step_off(lrs, behind, Inputs()).kind == "step"
    assert sequence.one_step_off(lrs, behind * 1.01, Inputs()) is None
    assert sequence.one_item_more_or_less(lrs, lrs[1:]).kind == "step"
    assert sequence.one_item_more_or_less(lrs, lrs[2:]) is None  # two items: no claim
