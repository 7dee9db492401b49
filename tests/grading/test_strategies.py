"""The hypothesis strategies the graders share (``descent.grading.strategies``): tensors drawn from
a seed, of a drawn shape and scale, and classification batches."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings

from descent.grading.strategies import classification, shapes, tensors

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@settings(max_examples=5)
@given(tensors(shape=shapes(min_dims=2, max_dims=2)))
def test_tensors_are_float64_of_a_drawn_shape(x):
    assert x.dtype == torch.float64 and x.dim() == 2 and torch.isfinite(x).all()


@settings(max_examples=5)
@given(classification(max_batch=4, max_classes=3))
def test_a_classification_batch_has_a_target_in_range_for_each_row(batch):
    logits, targets = batch
    n, c = logits.shape
    assert 1 <= n <= 4 and 2 <= c <= 3 and targets.shape == (n,)
    assert targets.dtype == torch.int64 and bool(((targets >= 0) & (targets < c)).all())


def test_the_same_draws_give_the_same_tensor():
    @settings(max_examples=3, derandomize=True, database=None)
    @given(tensors(shape=shapes(min_dims=1, max_dims=1, max_side=3)))
    def collect(x):
        seen.append(x)

    seen: list = []
    collect()
    first, seen[:] = list(seen), []
    collect()
    assert len(first) == 3 and all(torch.equal(a, b) for a, b in zip(first, seen))
