"""A gradient gated on the wrong region of its input (``descent.diagnoses.gate``): wrong exactly
where an argument lies between two landmarks (-1, 0, 1 or a number of the call) and right
elsewhere; wrong entries that follow no such band name nothing."""

import pytest
import torch

from descent.diagnoses.gate import gated_on_wrong_region
from descent.diagnoses.values import Inputs

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

X = torch.tensor([-1.5, -0.4, 0.3, 0.7, 1.6, 2.2, 0.5, -2.0], dtype=torch.float64)
DY = torch.linspace(0.5, 2.0, 8, dtype=torch.float64)
RELU_GRAD = DY * (X > 0)


def test_a_gate_closed_between_zero_and_one_is_named():
    got = DY * (X > 1)  # gated on out > 1 where x > 0 belongs
    found = gated_on_wrong_region(RELU_GRAD, got, Inputs(tensors=[("x", X), ("dy", DY)]))
    assert found is not None and found.kind == "gate"
    assert "zero exactly where `x` is between 0 and 1" in found.text


def test_wrong_entries_off_any_band_name_nothing():
    got = RELU_GRAD.clone()
    got[[0, 4]] = 7.0  # wrong at x = -1.5 and x = 1.6: no interval of landmarks holds just those
    assert gated_on_wrong_region(RELU_GRAD, got, Inputs(tensors=[("x", X)])) is None
    assert (
        gated_on_wrong_region(RELU_GRAD, DY * (X > 1), Inputs()) is None
    )  # no argument to read the band on


def test_a_factor_that_matters_on_one_band_alone_is_no_gate():
    # a UvA ReLU scaled its gradient by min(1, out): right where x > 1 and x <= 0, dy * x on
    # (0, 1), neither 0 nor the upstream gradient: the band is told, no gate is claimed
    got = DY * X.clamp(0, 1)
    found = gated_on_wrong_region(RELU_GRAD, got, Inputs(tensors=[("x", X), ("dy", DY)]))
    assert found is not None and found.kind == "branch"
    assert "exactly where `x` is between 0 and 1" in found.text and "gate" not in found.text
