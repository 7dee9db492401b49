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


def test_numbers_for_scalar_functions_are_drawn_in_their_ranges_and_counted():
    inputs = Inputs(seed_for("t.py::test_n[]"))
    assert inputs.draws == 0
    numbers = [inputs.number(-2.0, 3.0) for _ in range(200)]
    assert all(-2.0 <= x < 3.0 and type(x) is float for x in numbers) and len(set(numbers)) == 200
    scales = [inputs.log_number(1e-3, 10.0) for _ in range(200)]
    assert all(1e-3 <= x < 10.0 for x in scales) and min(scales) < 1e-2 and max(scales) > 1.0
    ints = [inputs.integer(3, 5) for _ in range(100)]
    assert set(ints) == {3, 4, 5} and all(type(i) is int for i in ints)
    assert inputs.choice("abc") in "abc" and sorted(inputs.permutation(range(6))) == list(range(6))
    assert inputs.draws > 0
    again = Inputs(seed_for("t.py::test_n[]"))
    assert [again.number(-2.0, 3.0) for _ in range(200)] == numbers


def test_signed_values_keep_clear_of_zero_on_both_sides():
    inputs = Inputs(seed_for("t.py::test_s[]"))
    values = inputs.signed(400, 0.5, 2.0)
    assert values.dtype == torch.float64 and values.shape == (400,) and inputs.draws > 0
    assert bool(((values.abs() >= 0.5) & (values.abs() < 2.0)).all())
    assert 100 < int((values > 0).sum()) < 300  # both signs, about as often
    assert inputs.signed(3, 1.0, 2.0, dtype=torch.float32).dtype == torch.float32


def test_inputs_made_outside_a_grading_have_no_other_key():
    with pytest.raises(RuntimeError, match="no other key"):
        Inputs(1).for_key("shared")
    shared = Inputs(1, keyed=lambda key: len(key)).for_key("abc")
    assert shared.seed == 3 and shared.for_key("abcd").seed == 4
