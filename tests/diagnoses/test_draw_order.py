"""Random draws made in another order (``descent.diagnoses.draw_order``): the reference re-run with
its draws from one generator reordered; the right order with another seed names nothing."""

import pytest
import torch

from descent.diagnoses.base import Case
from descent.diagnoses.draw_order import draw_order_fits

from .test_parameter import _Reference

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


# -- draw_order_fits: the same draws made in another order -------------------------------------------
def experiment(seed, weights_first=False):
    """A toy of an experiment that draws an input and two weights from one generator."""
    g = torch.Generator().manual_seed(seed)
    if weights_first:
        w1, w2 = torch.randn(3, 3, generator=g), torch.randn(3, 3, generator=g)
        x = torch.randn(4, 3, generator=g)
    else:
        x = torch.randn(4, 3, generator=g)
        w1, w2 = torch.randn(3, 3, generator=g), torch.randn(3, 3, generator=g)
    return (x @ w1 @ w2).double()


def test_draws_made_in_another_order_are_named():
    def recipe(m):
        return m.module("diagnostics").layer_gradient_norms(5)

    ref = _Reference(diagnostics={"layer_gradient_norms": experiment})
    exercise = "diagnostics.layer_gradient_norms"
    got = experiment(5, weights_first=True)
    fits = draw_order_fits(Case(recipe, got, recipe(ref), ref, exercise))
    assert len(fits) == 1 and fits[0].kind == "order"
    assert "the first draw made last" in fits[0].text
    # a near miss: the right order with another seed is no other order
    assert draw_order_fits(Case(recipe, experiment(6), recipe(ref), ref, exercise)) == []
