"""The edits of a value's type (``descent.diagnoses.edit_types``): a whole number written where
a float belongs becomes one, only where it is a value; one value for a whole array is taken
entry by entry. Each edited function is run."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from descent.diagnoses.edits import edits

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

WHOLE = """
import numpy as np


def relu(x):
    return np.vectorize(lambda i: max(0, i))(x)


class Value:
    def __init__(self, data):
        self.data = data
        self.grad = 0


def pick(x, i):
    row = x[0]
    return np.sum(x, axis=1)[i] if i >= 0 else 1
"""


def _typed(function: str) -> list:
    return [e for e in edits(WHOLE, function) if e.kind == "type"]


def test_an_int_where_a_float_belongs_is_written_as_a_float():
    """An Imperial learner's `np.vectorize(lambda i: max(0, i))`: with a negative entry first,
    every entry comes back an int. With `0.0` the fractions are kept."""
    [edit] = _typed("relu")
    assert "the whole number `0` in `max(0, i)` makes an int where a float belongs" in edit.text
    space: dict = {"np": np}
    exec(compile(edit.source, "<edited>", "exec"), space)  # noqa: S102 - the test's text
    x = np.array([-1.0, 0.5, 2.25])
    assert np.array_equal(space["relu"](x), np.array([0.0, 0.5, 2.25]))
    [edit] = _typed("Value.__init__")
    assert "`self.grad = 0`" in edit.text


def test_an_index_an_axis_and_a_subscript_stay_whole():
    """Only the branch value `1` is a number to float: not `x[0]`, `axis=1` or `>= 0`."""
    assert ["`np.sum(x, axis=1)[i] if i >= 0 else 1`" in e.text for e in _typed("pick")] == [True]


ONE_FOR_ALL = """
import numpy as np
import torch


def relu_backward(dy, out):
    derive = 1 if np.all(out > 0) else 0
    return dy * derive


def gate(dy, x):
    return dy * (1.0 if (x > 0).all() else 0.0)
"""


def test_one_value_for_a_whole_array_is_taken_entry_by_entry():
    """An Imperial learner's ReLU derivative `1 if np.all(out > 0) else 0`: one number for the
    whole array. Taken entry by entry in the test's library, and in NumPy's then torch's for
    a method `.all()`."""
    space: dict = {"np": np, "torch": torch}
    [edit] = [e for e in edits(ONE_FOR_ALL, "relu_backward") if "whole array" in e.text]
    assert "`np.all(out > 0)` tests every entry at once" in edit.text
    exec(compile(edit.source, "<edited>", "exec"), space)  # noqa: S102 - the test's text
    out = np.array([0.0, 2.0, 3.0])
    assert np.array_equal(space["relu_backward"](np.ones(3), out), [0.0, 1.0, 1.0])
    found = [e for e in edits(ONE_FOR_ALL, "gate") if "whole array" in e.text]
    assert [e.source.count("torch.where") for e in found] == [0, 1]
    exec(compile(found[1].source, "<edited>", "exec"), space)  # noqa: S102 - the test's text
    x = torch.tensor([-1.0, 2.0])
    assert torch.equal(space["gate"](torch.ones(2), x), torch.tensor([0.0, 1.0]))
