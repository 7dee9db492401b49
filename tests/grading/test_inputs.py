"""A test's inputs (``descent.grading.inputs.Inputs``): one seed gives the same tensors, another
seed others."""

from __future__ import annotations

import pytest
import torch

from descent.grading.inputs import Inputs, seed_for

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_one_seed_gives_the_same_inputs():
    a, b = Inputs(seed_for("t.py::test_a[]")), Inputs(seed_for("t.py::test_a[]"))
    assert torch.equal(a.randn(3, 4), b.randn(3, 4)) and torch.equal(a.uniform(5), b.uniform(5))
    assert not torch.equal(
        Inputs(seed_for("t.py::test_b[]")).randn(3, 4),
        Inputs(seed_for("t.py::test_a[]")).randn(3, 4),
    )
