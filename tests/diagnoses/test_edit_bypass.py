"""Edits that go around the module's own code (``descent.diagnoses.edit_bypass``): a returned
value that came from a call of the module's functions and no longer does."""

import ast

import pytest

from descent.diagnoses.edit_bypass import bypasses

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

WRAPPER = """
def forward(z, t):
    reference = base(z, t)
    per = [learner(zi, ti) for zi, ti in zip(z, t)]
    loss = sum(per) / len(per)
    return {returned}
"""
OWN = {"learner", "forward"}  # `base` is a name bound to another module's function


def fn(returned):
    return ast.parse(WRAPPER.format(returned=returned)).body[0]


@pytest.mark.parametrize(
    "before, after, expected",
    [
        ("loss, per", "reference, per", True),  # the learner's loss swapped for the reference
        ("loss, reference", "reference, loss", True),  # the learner's loss no longer first
        ("loss, reference", "loss * 2, reference", False),  # still the learner's
        ("loss", "loss + reference", False),
        ("reference", "loss", False),  # now returns the learner's: no bypass
    ],
)
def test_a_returned_value_that_stops_coming_from_the_module_s_functions(before, after, expected):
    assert bypasses(fn(before), fn(after), OWN) is expected


def test_a_value_of_another_of_the_module_s_functions_is_no_stand_in():
    """The course's function kept under a second name is the module's too: returning its value
    where the learner's was returned still goes around the learner's."""
    assert bypasses(fn("loss"), fn("reference"), OWN | {"base"})
    assert not bypasses(fn("loss"), fn("loss + reference"), OWN | {"base"})


def test_an_edit_without_its_tree_is_kept():
    assert bypasses(fn("loss"), None, OWN) is False


def test_a_name_assigned_by_a_loop_carries_what_it_iterates():
    original = ast.parse("def f(xs):\n    for x in learner(xs):\n        y = x\n    return y\n")
    edited = ast.parse("def f(xs):\n    for x in learner(xs):\n        y = x\n    return xs\n")
    assert bypasses(original.body[0], edited.body[0], {"learner"})
