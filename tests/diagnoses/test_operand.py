"""Operands swapped in a division (``descent.diagnoses.operand``): the result is the reciprocal of
the expected one, entry by entry or from the first wrong step of a list on; values of magnitude 1
and a first wrong step that is not upside down name nothing."""

import pytest
import torch

from descent.diagnoses.operand import reciprocal

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_a_division_upside_down():
    e = torch.tensor([0.5, 4.0, -2.5, 3.0], dtype=torch.float64)
    found = reciprocal(e, 1 / e, None)
    assert found.kind == "order" and "reciprocal of the expected" in found.text
    # a list of a computation's steps: the first wrong one is upside down, the next follows
    steps = torch.tensor([1.7, 4 / 1.7, 4.0], dtype=torch.float64)
    wrong = torch.tensor([1.7, 1.7 / 4, 1.7 / 4 * 1.7], dtype=torch.float64)
    found = reciprocal(steps, wrong, None)
    assert found.kind == "order" and "item 1, the first wrong one" in found.text
    # near misses: values of magnitude 1 are their own reciprocals (one telling entry is no
    # pattern); a first wrong item that is not upside down; a wrong first item
    ones = torch.tensor([[1.0, -1.0], [2.0, 1.0]], dtype=torch.float64)
    assert reciprocal(ones, 1 / ones, None) is None
    assert reciprocal(steps, torch.tensor([1.7, 2.0, 0.7225], dtype=torch.float64), None) is None
    wrong_first = torch.tensor([1 / 1.7, 1.7 / 4, 0.7], dtype=torch.float64)
    assert reciprocal(steps, wrong_first, None) is None
