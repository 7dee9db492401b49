"""What every diagnosis module shares (``descent.diagnoses.base``): the tolerance under which a
hypothesis holds, the mask of clearly wrong entries, whole numbers, and the leaves of nested
results."""

import pytest
import torch

from descent.diagnoses.base import leaves, map_leaves, same, whole, wrong_entries

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_same_holds_within_the_hypotheses_tolerance_only():
    a = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    assert same(a, a * (1 + 1e-8))
    assert not same(a, a * (1 + 1e-4))
    assert not same(a, a[None])  # another shape
    tiny = torch.tensor([1e-20, 2e-20], dtype=torch.float64)
    assert not same(tiny, 3 * tiny)  # small values are not all "equal" to each other


def test_wrong_entries_are_a_clean_split_or_nothing():
    e = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)
    g = torch.tensor([1.0, 2.5, 3.0, 4.0], dtype=torch.float64)
    assert wrong_entries(e, g).tolist() == [False, True, False, False]
    assert wrong_entries(e, e + 1e-5) is None  # a rounding-sized error everywhere: no pattern


def test_whole_numbers_and_leaves():
    assert whole(torch.tensor([1.0, -2.0])) and whole(3)
    assert not whole(torch.tensor([1.0, 2.5]))
    nested = {"a": [1, (2, torch.tensor(3.0))], "b": None}
    assert [x if not torch.is_tensor(x) else "t" for x in leaves(nested)] == [1, 2, "t", None]
    doubled = map_leaves(lambda x: x * 2 if isinstance(x, int) else x, nested)
    assert doubled["a"][0] == 2 and doubled["a"][1][0] == 4 and isinstance(doubled["a"][1], tuple)
