"""``WorkerImplementation``'s helpers that need no worker (:mod:`descent.isolation.remote`): what
a grading is told an exercise borrowed."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from descent.isolation.remote import library_flags

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_run_time_hits_and_names_in_the_source_are_both_flagged_per_exercise():
    impl = SimpleNamespace(
        hits={"losses.mse": {"torch.nn.functional.mse_loss", "torch.autograd.grad"}},
        scan={
            "losses.mse": ["torch.nn.functional.mse_loss (losses.py line 4)"],
            "activations.softmax": ["torch.softmax (activations.py line 2)"],
        },
    )
    assert library_flags(impl) == {
        "losses.mse": [
            "torch.autograd.grad (called at run time)",
            "torch.nn.functional.mse_loss (called at run time)",
            "torch.nn.functional.mse_loss (losses.py line 4) (in the source)",
        ],
        "activations.softmax": ["torch.softmax (activations.py line 2) (in the source)"],
    }


def test_an_implementation_without_a_worker_flags_nothing():
    assert library_flags(SimpleNamespace()) == {}
    assert library_flags(SimpleNamespace(hits={}, scan={})) == {}
