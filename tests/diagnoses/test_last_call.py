"""The last call of an activation left out (``descent.diagnoses.last_call``): the reference re-run
with its own last ``torch.tanh`` (or sigmoid, relu) skipped; one layer fewer names nothing."""

import pytest
import torch

from descent.diagnoses.base import Case
from descent.diagnoses.last_call import last_call_fits

from .test_parameter import _Reference

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


# -- last_call_fits: the last call of an activation left out -------------------------------------------
def deep(x, depth, linear_last=False):
    """A toy of a network of ``depth`` tanh layers (the last one left linear on request)."""
    h = x
    for i in range(depth):
        z = h @ W_SQUARE
        h = z if linear_last and i == depth - 1 else torch.tanh(z)
    return h


W_SQUARE = torch.randn(4, 4, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
X_DEEP = torch.randn(5, 4, generator=torch.Generator().manual_seed(8), dtype=torch.float64)


def test_the_last_activation_left_out_is_named():
    ref = _Reference(diagnostics={"layer_gradient_norms": deep})
    exercise = "diagnostics.layer_gradient_norms"

    def recipe(m):
        return m.module("diagnostics").layer_gradient_norms(X_DEEP, 3)

    fits = last_call_fits(
        Case(recipe, deep(X_DEEP, 3, linear_last=True), recipe(ref), ref, exercise)
    )
    assert len(fits) == 1 and fits[0].kind == "edge"
    assert "last call of torch.tanh is left out" in fits[0].text
    # a near miss: one layer fewer is no activation left out
    assert last_call_fits(Case(recipe, deep(X_DEEP, 2), recipe(ref), ref, exercise)) == []
