"""A result of another shape (``descent.diagnoses.shape``): the expected transposed, a dimension of
size 1 added or dropped, a reduction left out, the non-zero entries picked out flat; each names
its mistake on the shape that shows it and nothing when the values do not follow."""

import pytest
import torch

from descent.diagnoses.shape import permuted, reshaped, selected, unit_dimension, unreduced

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

E = torch.randn(3, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)


def test_a_transposed_result_is_named():
    found = permuted(E, E.T.clone())
    assert found is not None and found.kind == "layout" and "(1, 0)" in found.text
    assert permuted(E, E.T + 1) is None  # the shape alone is no transpose
    assert permuted(E, E.clone()) is None  # the same shape: nothing to read


def test_a_dimension_of_size_one_too_many_or_too_few_is_named():
    found = unit_dimension(E, E[:, None, :].clone())
    assert found is not None and found.kind == "layout" and "an extra dimension" in found.text
    assert "a missing dimension" in unit_dimension(E[None], E.clone()).text
    assert unit_dimension(E, E.reshape(4, 3)) is None  # reshaped, not a unit dimension


@pytest.mark.parametrize("how", ["sum", "mean"])
def test_a_reduction_left_out_is_named(how):
    batch = torch.randn(5, 3, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    expected = batch.sum(0) if how == "sum" else batch.mean(0)
    found = unreduced(expected, batch)
    assert found is not None and found.kind == "reduction"
    assert f"the {how} over dimension 0 (size 5) is missing" in found.text
    assert unreduced(expected * 1.01, batch) is None  # near miss: no reduction gives it


def test_entries_picked_out_by_a_mask_are_named():
    masked = torch.where(E > 0, E, torch.zeros_like(E))
    found = selected(masked, E[E > 0])
    assert found is not None and found.kind == "layout" and "y[mask]" in found.text
    assert selected(masked, E[E > 0].flip(0)) is None  # another order: not the picked entries


def test_reshaped_tries_each_hypothesis_in_turn():
    assert reshaped(E, E.T.clone()).text == permuted(E, E.T.clone()).text
    assert reshaped(E, torch.zeros(7)) is None


def test_a_dimension_reduced_away_is_named_whatever_the_values():
    from descent.diagnoses.shape import reduced_away

    found = reduced_away(E, torch.randn(4, dtype=torch.float64))  # (3, 4) expected, (4,) got
    assert found is not None and found.kind == "reduction" and "dimension 0 (size 3)" in found.text
    assert reduced_away(E, torch.randn(3, dtype=torch.float64)).text.count("dimension 1") == 1
    square = torch.randn(4, 4, dtype=torch.float64)
    assert reduced_away(square, torch.randn(4, dtype=torch.float64)) is None  # which one went?
    assert reduced_away(E, torch.randn(5, dtype=torch.float64)) is None  # another shape
    assert reduced_away(E[:1], torch.randn(4, dtype=torch.float64)) is None  # a unit dimension
