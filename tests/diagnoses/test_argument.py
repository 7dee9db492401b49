"""One argument of the check changed (``descent.diagnoses.argument``): the reference re-run with a
number the recipe closes over taken as its complement or one off; a change that leaves the
result as expected, or two that fit, name nothing."""

import pytest
import torch

from descent.diagnoses.argument import argument_fits, argument_slip, closure
from descent.diagnoses.base import Case

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

X = torch.randn(6, generator=torch.Generator().manual_seed(0), dtype=torch.float64)


def _scaled(x, p):
    return x * p


def test_an_argument_taken_as_its_complement_is_named():
    p = 0.3

    def recipe(f):
        return f(X, p)

    found = argument_slip(Case(recipe, _scaled(X, 0.7), recipe(_scaled), _scaled))
    assert (
        found is not None and found.kind == "argument" and "1 - `p` in place of `p`" in found.text
    )
    assert p == 0.3 and recipe(_scaled).equal(_scaled(X, 0.3))  # the argument is put back
    near = _scaled(X, 0.71)
    assert argument_slip(Case(recipe, near, recipe(_scaled), _scaled)) is None


def test_a_count_one_off_is_named_but_not_an_index():
    steps = 4

    def recipe(f):
        return f(X, steps)

    fits = argument_fits(Case(recipe, _scaled(X, 5), recipe(_scaled), _scaled))
    assert [d.kind for d in fits] == ["step"] and "`steps` + 1 in place of `steps`" in fits[0].text
    dim = 1

    def by_index(f):
        return f(X, dim)

    assert argument_fits(Case(by_index, _scaled(X, 2), by_index(_scaled), _scaled)) == []


def test_closure_lists_what_a_recipe_closes_over():
    a, b = 1.5, {"k": 2}

    def recipe(f):
        return f(a, b)

    assert [(name, value) for name, _, value in closure(recipe)] == [("a", 1.5), ("b", {"k": 2})]
    assert list(closure(print)) == []  # no code of its own: nothing to change
