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


LOOPED = """
def squared_error(A, x, b):
    matrix = A @ x - b
    a = 0
    for i in range(len(matrix)):
        val = matrix[i]
        a += val * val
    return a


def squared_error_grid(e):
    total = 0.0
    for row in e:
        for v in row:
            total += v * v
    return total
"""


def test_a_sum_a_loop_adds_up_is_divided_by_the_loop_s_count():
    """A held-out Korea University MSE adds the squared errors up in a loop and returns the
    sum: the edit divides the returned sum by the loop's count (``len(matrix)``) at the
    ``return``; nested loops get each count and their product."""
    [edit] = [e for e in edits(LOOPED, "squared_error") if "summed over the loop" in e.text]
    assert edit.text == (
        "line 8 (in `squared_error`): `a`, summed over the loop on line 5, lacks the division "
        "by the count of its terms, `len(matrix)`, that a mean needs"
    )
    space: dict = {"np": np}
    exec(compile(edit.source, "<edited>", "exec"), space)  # noqa: S102 - the test's text
    A, b = np.array([[1.0], [2.0], [3.0]]), np.zeros(3)
    assert space["squared_error"](A, np.ones(1), b) == pytest.approx(14 / 3)
    grid = [e.text for e in edits(LOOPED, "squared_error_grid") if "summed over" in e.text]
    assert any("`len(e)`" in t for t in grid) and any("`len(row)`" in t for t in grid)
    assert any("the loops on lines 13, 14" in t and "`(len(e)) * (len(row))`" in t for t in grid)


CAST_LOOP = """
import numpy as np


def MSE(y, x):
    s = 0
    for i, x_i in enumerate(x):
        s += np.power((y[i] - x_i), 2)
    return np.asscalar(s)
"""


def test_a_loop_s_sum_returned_through_a_cast_is_divided_too():
    """(a held-out Wisconsin MSE) the sum is handed back through a cast, `np.asscalar(s)`: the
    cast value is divided by the count of what the loop enumerates."""
    [edit] = [e for e in edits(CAST_LOOP, "MSE") if "summed over the loop" in e.text]
    assert (
        "`s`, summed over the loop on line 7, lacks the division by the count of its terms, `len(x)`"
        in edit.text
    )
    assert "return np.asscalar(s) / len(x)" in edit.source


KEPT_GRADIENT = """
import numpy as np


class SoftmaxCrossEntropyLoss:
    def __call__(self, out, y):
        self.lossD = out - y
        self.loss = -(y * np.log(out)).sum() / y.shape[0]
        return self.loss, self.lossD
"""


def test_a_gradient_kept_on_the_object_and_returned_gets_the_count_of_a_mean():
    """(a held-out Chinese university's lab) the gradient kept as `self.lossD = out - y` and
    returned with the loss, never divided by the batch's size: the attribute is a value the
    function hands back, as a name is."""
    found = [
        e for e in edits(KEPT_GRADIENT, "SoftmaxCrossEntropyLoss.__call__") if e.kind == "count"
    ]
    assert any(
        e.line == 7
        and "`out - y` lacks the division by the count of the rows of `y`" in e.text
        and "self.lossD = (out - y) / len(y)" in e.source
        for e in found
    )
