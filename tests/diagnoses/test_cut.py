"""A list argument of which one item counts (``descent.diagnoses.cut``): the reference re-run with
the list cut to its first or last item; a near miss names nothing."""

import pytest
import torch

from descent.diagnoses.base import Case
from descent.diagnoses.cut import one_item_fits

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


# -- one_item_fits: a list argument of which one item counts ---------------------------------------
def _penalty(params, first_only=False, last_only=False):
    used = params[:1] if first_only else params[-1:] if last_only else params
    return sum((w * w).sum() for w in used), [2 * w for w in params]


PARAMS = [
    torch.randn(3, generator=torch.Generator().manual_seed(i), dtype=torch.float64)
    for i in range(3)
]


@pytest.mark.parametrize("which", ["first", "last"])
def test_only_one_item_of_a_list_counted_is_named(which):
    params = PARAMS  # an argument the recipe closes over

    def recipe(m):
        return tuple(m(params))

    got = tuple(_penalty(PARAMS, first_only=which == "first", last_only=which == "last"))
    fits = one_item_fits(Case(recipe, got, recipe(_penalty), _penalty))
    assert len(fits) == 1 and fits[0].kind == "term"
    assert f"only the {which} item of `params` counts" in fits[0].text
    assert len(PARAMS) == 3  # put back


def test_one_item_fits_near_miss_is_silent():
    params = PARAMS

    def recipe(m):
        return tuple(m(params))

    loss, grads = _penalty(PARAMS, first_only=True)
    near = (loss * 1.001, grads)
    assert one_item_fits(Case(recipe, near, recipe(_penalty), _penalty)) == []
    # the gradients wrong too, and not as a one-item run gives them: no partial fit
    wrong = (loss, [3 * w for w in PARAMS])
    assert one_item_fits(Case(recipe, wrong, recipe(_penalty), _penalty)) == []
