"""Counts that are quotients rounded the other way (``descent.diagnoses.rounding``): a grader's
reader, given the ``(a, b)`` pairs its counts came from."""

from __future__ import annotations

import pytest

from descent.diagnoses.rounding import rounded

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

PAIRS = [(4, 2), (7, 3), (6, 4), (5, 8), (1, 3)]


def test_counts_rounded_down_where_they_round_up_are_an_edge():
    found = rounded(PAIRS)([a // b for a, b in PAIRS])
    assert found is not None and found.kind == "edge" and "rounded down" in found.text


def test_counts_rounded_up_where_they_round_down_are_an_edge():
    found = rounded(PAIRS)([-(-a // b) for a, b in PAIRS])
    assert found is not None and found.kind == "edge" and "rounded up" in found.text


def test_other_counts_and_pairs_that_divide_evenly_name_nothing():
    assert rounded(PAIRS)([2, 3, 1, 1, 0]) is None  # one off somewhere else: no rounding
    assert rounded([(4, 2), (6, 3)])([2, 2]) is None  # every pair divides: the two agree
    assert rounded(PAIRS)("not counts") is None
