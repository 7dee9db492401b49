"""The edit of a number's type (``descent.diagnoses.edit_types``): a whole number written where
a float belongs becomes one, only where it is a value. Each edited function is run."""

from __future__ import annotations

import numpy as np
import pytest

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
