"""The neighbouring input of a check (``descent.diagnoses.neighbour``): the recipe rebuilt with its
batch one example shorter, or, for a recipe of numbers only, its floats moved a tenth; the
recipe itself is left as it was."""

import pytest
import torch

from descent.diagnoses.neighbour import neighbour

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_the_batch_loses_its_last_example_everywhere_it_appears():
    x = torch.randn(5, 3, dtype=torch.float64)
    target = torch.randn(5, dtype=torch.float64)
    weights = torch.randn(3, 3, dtype=torch.float64)  # not the batch: left alone

    def recipe(m):
        return (m(x, weights).shape, {"target": target}["target"].shape)

    def shapes(a, w):
        return a @ w

    near = neighbour(recipe)
    assert near(shapes) == (torch.Size([4, 3]), torch.Size([4]))
    assert recipe(shapes) == (torch.Size([5, 3]), torch.Size([5]))  # the original unchanged


def test_numbers_only_move_their_floats_and_keep_their_counts():
    lr, steps = 0.5, 3

    def recipe(m):
        return m(lr, steps)

    assert neighbour(recipe)(lambda a, n: (a, n)) == (pytest.approx(0.55), 3)

    def counts_only(m):
        return m(steps)

    assert neighbour(counts_only) is None  # nothing to move
