"""Generic diagnoses of results made of several items (``descent.diagnoses.item``): one item left
at its zero start, what one item holds out kept in another, one entry more than an input's size,
an argument handed back; each names its mistake on values that show it (a fit) and stays silent
on values that come close but do not (a near miss). Also a check's own reader (``generic=``),
which names what no hypothesis does."""

import types

import pytest
import torch

from descent.calls.impl import Implementation
from descent.diagnoses import training as training_diagnoses
from descent.diagnoses.item import extra_entry, handed_back, held_out_kept, zero_item
from descent.diagnoses.values import Inputs, diagnose

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _g(seed=0):
    return torch.Generator().manual_seed(seed)


W = torch.randn(4, generator=_g(1), dtype=torch.float64)
B = torch.tensor(0.7, dtype=torch.float64)


# -- zero_item: one item of a tuple left at its zero start -------------------------------------
def test_a_tuple_item_left_at_zero_is_named():
    moved = W + torch.randn(4, generator=_g(2), dtype=torch.float64)  # w wrong, no pattern
    found = diagnose((W, B, [1.5, 1.25]), (moved, torch.zeros((), dtype=torch.float64), [1.5]))
    assert found is not None and found.kind == "zero"
    assert "item 1 of your result is exactly 0" in found.text


def test_zero_item_near_misses_are_silent():
    small = torch.tensor(1e-3, dtype=torch.float64)  # not exactly 0: not left at its start
    assert zero_item((W, B), (W + 0.1, small)) is None
    # whole numbers (an epoch of 0, a count) are values, not a start left unmoved
    assert zero_item((3, 1), (3, 0)) is None
    assert zero_item((W, torch.tensor(2.0)), (W + 0.1, torch.tensor(0.0))) is None
    # everything zero: no one item stands out
    assert zero_item((W, B), (torch.zeros(4, dtype=torch.float64), torch.zeros(()))) is None


# -- held_out_kept: what one item holds out kept in another -------------------------------------
def test_held_out_indices_kept_in_the_training_set_are_named():
    expected = (torch.tensor([3, 4, 5, 6, 7, 8]), torch.tensor([0, 1, 2]))
    got = (torch.arange(9), torch.tensor([0, 1, 2]))
    found = held_out_kept(expected, got)
    assert found is not None and found.kind == "branch"
    assert "every value of item 1" in found.text
    assert diagnose([expected], [got]).text == found.text  # reached through the nesting


def test_held_out_kept_near_miss_is_silent():
    expected = (torch.tensor([3, 4, 5, 6, 7, 8]), torch.tensor([0, 1, 2]))
    # one index more (a remainder handled wrong) is not the other item kept
    assert held_out_kept(expected, (torch.arange(2, 9), torch.tensor([0, 1]))) is None


# -- extra_entry: one entry more than an input's size ---------------------------------------------
def test_one_weight_more_than_the_columns_is_named():
    X = torch.randn(20, 3, dtype=torch.float64)
    inputs = Inputs(tensors=[("X", X)])
    found = diagnose(torch.randn(3, 1), torch.randn(4, 1), inputs)
    assert found is not None and found.kind == "structure"
    assert "dimension 1 of `X`" in found.text


def test_extra_entry_near_misses_are_silent():
    inputs = Inputs(tensors=[("X", torch.randn(20, 3, dtype=torch.float64))])
    assert extra_entry(torch.randn(3), torch.randn(5), inputs) is None  # two more
    assert extra_entry(torch.randn(4), torch.randn(5), inputs) is None  # no input of size 4
    assert extra_entry(torch.arange(3.0), torch.arange(4.0), inputs) is None  # indices
    # a UvA linear layer's db summed over the features: (N,) where (Dout,) belongs, and N was
    # Dout + 1 on one draw: as long as the batch, no entry added
    dout = Inputs(tensors=[("x", torch.randn(5, 3)), ("dout", torch.randn(5, 4))])
    assert extra_entry(torch.randn(4), torch.randn(5), dout) is None


# -- handed_back: an argument returned unchanged -----------------------------------------------------
def test_an_argument_handed_back_is_named():
    y = torch.eye(5, dtype=torch.float64)
    found = handed_back(y, [y.clone(), y.clone()], "y_mixed", "y")
    assert found is not None and found.kind == "argument"
    assert "the `y` it was given, unchanged" in found.text
    assert handed_back(y, [y.clone(), y * 0.5], "y_mixed", "y") is None  # one call mixed


def test_a_checks_own_reader_names_what_no_hypothesis_does():
    from descent.grading.checker import Checker
    from descent.grading.compare import GradingFailure

    class _Impl(Implementation):
        def module(self, name):
            return types.SimpleNamespace()

    check = Checker(_Impl("student"), None, None)
    found = training_diagnoses.climbing([1.0, 2.0, 4.0, 8.0, 16.0])
    with pytest.raises(GradingFailure) as failure:
        check.matches(
            lambda m: ["a", "c"], "verdicts", expected=["a", "b"], generic=lambda got: found
        )
    failure.value.resolve()  # one check's reading: shown as what it observes
    assert failure.value.found.kind == "sign" and "observed: your reported" in str(failure.value)
    with pytest.raises(GradingFailure) as failure:  # a reader that cannot read the result
        check.matches(
            lambda m: ["a", "c"], "verdicts", expected=["a", "b"], generic=lambda got: got.x
        )
    assert failure.value.resolve().found is None
