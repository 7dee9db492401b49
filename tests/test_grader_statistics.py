"""The graders' statistics compute what their definitions say: the two-sample
Kolmogorov-Smirnov distance of graders/test_data.py (which sorts its large reference sample
only for a sample with a NaN) is the largest gap between the two empirical CDFs over the points of both samples, to
the last bit, ties, infinities, NaN and samples outside each other's range included."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

GRADERS = Path(__file__).resolve().parents[1] / "graders"
sys.path.insert(0, str(GRADERS))
import test_data  # noqa: E402 - the graders' folder is put on the path just above


def _by_definition(a: torch.Tensor, b: torch.Tensor) -> float:
    """sup |F_a - F_b|, both CDFs evaluated at every point of both samples."""
    a, b = a.double().sort().values, b.double().sort().values
    both = torch.cat([a, b])
    fa = torch.searchsorted(a, both, right=True) / a.numel()
    fb = torch.searchsorted(b, both, right=True) / b.numel()
    return float((fa - fb).abs().max())


def _samples(reference: torch.Tensor) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(7)
    return {
        "continuous": torch.rand(2000, generator=g, dtype=torch.float64),
        "drawn from the reference (ties with it)": reference[
            torch.randint(0, reference.numel(), (2000,), generator=g)
        ],
        "one value": torch.full((2000,), 0.5, dtype=torch.float64),
        "three values": torch.randint(0, 3, (2000,), generator=g).double() / 2,
        "below the reference": -torch.rand(50, generator=g, dtype=torch.float64),
        "above the reference": 1 + torch.rand(50, generator=g, dtype=torch.float64),
        "the reference itself": reference.clone(),
        "infinities": torch.tensor([-math.inf, 0.5, math.inf], dtype=torch.float64),
        "a NaN": torch.tensor([0.2, math.nan, 0.7], dtype=torch.float64),
        "only NaN": torch.full((5,), math.nan, dtype=torch.float64),
    }


@pytest.mark.parametrize("alpha", [0.2, 2.0])
def test_ks_distance_is_its_definition(alpha):
    reference = test_data._beta_reference(alpha)
    for name, sample in _samples(reference).items():
        assert test_data._ks_two_sample(sample, reference) == _by_definition(sample, reference), (
            name
        )
    # the distance reads a gap: a sample off the reference is far, one drawn from it is near
    off = _samples(reference)["below the reference"]
    assert test_data._ks_two_sample(off, reference) == 1.0
    assert test_data._ks_two_sample(reference[:2000], reference) < 0.05
