"""The capstone's reproducibility rule (``descent.grading.capstone.same_training``): two runs agree
on their parameters, or, when a time check stopped one, on the epochs both ran."""

from __future__ import annotations

import pytest
import torch

from descent.grading.capstone import same_training

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _run(params, train, val=None):
    return {"params": params, "train_loss": train, "val_loss": val or list(train)}


def test_two_runs_agree_on_parameters_or_on_the_epochs_both_ran():
    p = [(torch.ones(2, 2), torch.zeros(2))]
    q = [(torch.ones(2, 2) * 2, torch.zeros(2))]
    assert same_training(_run(p, [1.0, 0.5]), _run(p, [1.0, 0.5]))
    assert not same_training(_run(p, [1.0, 0.5]), _run(q, [1.0, 0.5]))
    # a time check stopped one run: its epochs are the first ones of the other
    assert same_training(_run(p, [1.0, 0.5, 0.2]), _run(q, [1.0, 0.5]))
    assert not same_training(_run(p, [1.0, 0.5, 0.2]), _run(q, [1.0, 0.6]))
    # without a history, only the parameters can tell
    assert not same_training({"params": p}, {"params": q})
