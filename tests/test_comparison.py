"""The one comparison (``descent.comparison``) on its own: the raw structure check, the rounding
float32 is allowed, and that it stands beneath everything that compares (it imports nothing of
the kit). How a check reports a mismatch is in ``test_compare.py``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch

from descent import comparison
from descent.comparison import ROUNDING_ULPS, compare, structure, tolerance

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_structure_compares_nesting_shapes_and_dtypes_not_values():
    template = (torch.zeros(2, 3, dtype=torch.float64), [torch.zeros(4)])
    assert structure((torch.ones(2, 3, dtype=torch.float64), [torch.rand(4)]), template) is None
    found = structure((torch.ones(3, 2, dtype=torch.float64), [torch.rand(4)]), template)
    assert found.path == "[0]" and "transposed" in found.hint
    found = structure((torch.ones(2, 3), [torch.rand(4)]), template)
    assert "dtype" in found.reason
    assert "expected 2 items" in structure((torch.ones(2, 3),), template).reason


def test_float32_is_held_to_its_rounding_and_float64_to_what_is_asked():
    e32 = torch.tensor([1.0, 1000.0])
    eps = torch.finfo(torch.float32).eps
    assert tolerance(e32, e32, 1e-7, 1e-9) == (ROUNDING_ULPS * eps, ROUNDING_ULPS * eps * 1000.0)
    e64 = e32.double()
    assert tolerance(e64, e64, 1e-7, 1e-9) == (1e-7, 1e-9)
    assert tolerance(e64, e64, 1e-7, 1e-9) != tolerance(e32, e64, 1e-7, 1e-9)  # the coarser one


def test_a_mismatch_says_where_and_by_how_much():
    found = compare({"w": torch.tensor([1.0, 2.0])}, {"w": torch.tensor([1.0, 3.0])})
    assert found.path == "['w']" and "index (1,)" in found.describe("grads")


INF, NAN = float("inf"), float("nan")


@pytest.mark.parametrize(
    ("got", "expected", "passes"),
    [
        ([1.0, 2.0 + 1e-12], [1.0, 2.0], True),  # within the tolerance: the quick path
        ([], [], True),
        ([1.0, INF], [1.0, INF], True),  # non-finite values in the same places
        ([NAN, -INF], [NAN, -INF], True),
        ([1.0, 5.0], [1.0, INF], False),  # a finite value where infinity was expected
        ([1.0, INF], [1.0, 5.0], False),
        ([INF], [-INF], False),
        ([NAN], [1.0], False),
        ([1.0], [NAN], False),
        ([1.0, 2.1], [1.0, 2.0], False),
    ],
)
def test_non_finite_values_must_match_exactly_and_finite_ones_within_the_tolerance(
    got, expected, passes
):
    """The quick path for a comparison that passes (every expected value finite and every value
    within the tolerance) decides only that case; every other goes through the full rule."""
    g, e = torch.tensor(got, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64)
    assert (compare(g, e) is None) is passes
    assert (compare(g.float(), e.float()) is None) is passes


def test_the_comparison_imports_nothing_of_the_kit():
    """It stands beneath the diagnoses and the grading helpers alike
    (docs/explanation/architecture.md)."""
    tree = ast.parse(Path(comparison.__file__).read_text())
    imported = [n.module or "." for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    relative = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]
    assert imported and not relative and not [m for m in imported if m.startswith("descent")]


def test_a_shape_with_two_sizes_swapped_says_which_dimensions():
    """A conv kernel drawn as (in, out, k, k) got only the hint every shape failure gets
    (issue 79, kind 2): the two dimensions swapped are named; a 2-d transpose keeps its own hint
    and any other shape the general one."""
    kernel = compare(torch.zeros(16, 64, 3, 3), torch.zeros(64, 16, 3, 3))
    assert kernel is not None and "dimensions 0 and 1 are swapped" in (kernel.hint or "")
    assert "kernel" in (kernel.hint or "")
    moved = compare(torch.zeros(2, 5, 3), torch.zeros(2, 3, 5))
    assert "dimensions 1 and 2 are swapped" in (moved.hint or "")
    assert "kernel" not in (moved.hint or "")  # (in, out) is the first two dimensions only
    assert "transposed" in (compare(torch.zeros(3, 4), torch.zeros(4, 3)).hint or "")
    other = compare(torch.zeros(4, 16, 3, 3), torch.zeros(64, 1, 3, 3))
    assert "swapped" not in (other.hint or "")
