"""A random helper called once and its result reused (``descent.diagnoses.reuse``): the reference
re-run with the helper's first result handed back on every call; a near miss names nothing."""

import pytest
import torch

from descent.diagnoses.base import Case
from descent.diagnoses.reuse import reused_helper_fits

from .test_parameter import _Reference

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _seeded(seed):
    return torch.Generator().manual_seed(seed)


# -- reused_helper_fits: a random helper called once and its result reused ---------------------
def shuffle(n, generator):
    return torch.randperm(n, generator=generator)


def walk(n, epochs, generator):
    """A toy of a training loop: one shuffle per epoch, the orders concatenated."""
    return torch.cat([shuffle(n, generator).double() for _ in range(epochs)])


def walk_once(n, epochs, generator):
    order = shuffle(n, generator).double()
    return torch.cat([order for _ in range(epochs)])


def test_a_draw_reused_at_every_pass_is_named():
    def recipe(m):
        return m.module("regression").train_linear_regression(6, 4, _seeded(3))

    ref = _Reference(regression={"train_linear_regression": walk})
    exercise = "regression.train_linear_regression"
    got = walk_once(6, 4, _seeded(3))
    fits = reused_helper_fits(Case(recipe, got, recipe(ref), ref, exercise))
    assert len(fits) == 1 and fits[0].kind == "random"
    assert "calls `shuffle` once and reuses its result" in fits[0].text
    # a near miss: fresh orders of another seed are no reuse
    assert (
        reused_helper_fits(Case(recipe, walk(6, 4, _seeded(4)), recipe(ref), ref, exercise)) == []
    )
    assert reused_helper_fits(Case(recipe, got, recipe(ref), ref, None)) == []
