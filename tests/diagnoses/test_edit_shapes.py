"""The edit of a result's layout (``descent.diagnoses.edit_shapes``): a value returned in the
shape the code gave its input, laid out in the input's own shape. The edited function is run:
a vector comes back a vector, a matrix a matrix."""

from __future__ import annotations

import numpy as np
import pytest

from descent.diagnoses.edits import edits

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

ROW = """
import numpy as np


def softmax(x):
    if x.ndim == 1:
        x = x.reshape((1, len(x)))
    e = np.exp(x - x.max(axis=1, keepdims=True))

    def unused():
        return 0

    return e / e.sum(axis=1, keepdims=True)


def pair(x):
    return x, x
"""


def test_a_result_left_in_the_shape_given_to_the_input_is_laid_out_in_the_input_s():
    """A CS224n learner's softmax that makes a vector a row and returns the row: the edit
    keeps the input's shape as the call begins and gives it to the value returned, at the
    line of the `return`; a function that returns a tuple gets no such edit."""
    [edit] = [e for e in edits(ROW, "softmax") if e.kind == "shape"]
    assert edit.text.startswith("line 13 (in `softmax`): `return e / e.sum(axis=1, keepdims=")
    assert "in another shape than the one `x`, the input, came in" in edit.text
    space: dict = {"np": np}
    exec(compile(edit.source, "<edited>", "exec"), space)  # noqa: S102 - the test's text
    vector, matrix = np.array([1.0, 2.0]), np.array([[1.0, 2.0], [0.0, 0.0]])
    assert space["softmax"](vector).shape == (2,)
    assert np.allclose(space["softmax"](matrix)[1], [0.5, 0.5])
    assert space["softmax"](matrix).shape == (2, 2)
    assert not [e for e in edits(ROW, "pair") if e.kind == "shape"]
