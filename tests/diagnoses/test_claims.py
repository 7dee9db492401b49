"""A candidate cause (``descent.diagnoses.claims``): a reading of a ratio no quantity of the
call names is told apart from one that names a quantity."""

from __future__ import annotations

import pytest

from descent.diagnoses.base import Diagnosis
from descent.diagnoses.claims import UNNAMED, Claim, unnamed

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_a_bare_ratio_is_unnamed_and_a_named_one_is_not():
    reading = Diagnosis("scale", "x")
    bare = Claim(("r",), f"your result is the expected {UNNAMED}1.344)", "scale", reading=reading)
    named = Claim(("n",), "your result is `lr` times the expected", "scale", reading=reading)
    assert unnamed(bare) and not unnamed(named)
    assert not unnamed(Claim(("b",), f"{UNNAMED}2)"))  # no reading: a slip's words


def test_a_reading_of_slices_holds_only_where_the_result_has_those_slices():
    """(a held-out Sherbrooke batch norm) "each slice along dimension 0 (size 6)", read on a
    (6, 4) output, was carried to the (4,) running mean of another check."""
    import torch

    from descent.diagnoses.claims import sliced_alike

    rows = Diagnosis("factor", "each slice of your result along dimension 0 (size 6; a slice ...")
    assert sliced_alike(rows, torch.zeros(6, 4))
    assert sliced_alike(rows, torch.zeros(3, 5, 7))  # a 3-d check of the same layer norm
    assert not sliced_alike(rows, torch.zeros(4))
    assert not sliced_alike(rows, (torch.zeros(4), torch.zeros(4)))
    assert sliced_alike(Diagnosis("factor", "twice the expected"), torch.zeros(4))
    assert sliced_alike(None, torch.zeros(4))
