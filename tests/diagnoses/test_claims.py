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
