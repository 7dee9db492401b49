"""Mistakes of array code read from the exception raised (``descent.diagnoses.exception_arrays``):
each is read from the exception NumPy or torch really raises for the mistake, through
``exception.raised`` as the grading plugin calls it, and near misses name nothing."""

import math

import numpy as np
import pytest
import torch

from descent.diagnoses.exception import raised
from descent.diagnoses.exception_arrays import arrays

from .test_exception import error_of

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def scalar_sigmoid(z):  # a learner's sigmoid written for one number
    if z >= 0:
        return 1 / (1 + math.exp(-z))
    return math.exp(z) / (1 + math.exp(z))


@pytest.mark.parametrize("x", [np.array([1.0, -2.0]), torch.tensor([1.0, -2.0])])
def test_an_if_on_a_whole_array_is_a_branch_written_for_one_number(x):
    found = raised(error_of(lambda: scalar_sigmoid(x)))
    assert found.kind == "branch" and "np.where / torch.where" in found.text
    assert scalar_sigmoid(np.array(0.5)) == pytest.approx(0.6224593)  # one number: no error


def test_math_functions_given_an_array_of_several_numbers():
    for fn in (
        lambda: math.exp(np.array([1.0, 2.0])),
        lambda: float(torch.tensor([1.0, 2.0])),
    ):
        found = raised(error_of(fn))
        assert found.kind == "structure" and "Python's math module" in found.text
    assert arrays(TypeError("must be real number, not str")) is None


def test_a_name_of_the_other_library():
    found = raised(error_of(lambda: np.ones((2, 3)).t()))
    assert found.kind == "structure" and "`.t`" in found.text and "`.T`" in found.text
    found = raised(error_of(lambda: torch.ones(2).astype(np.float32)))
    assert "`.astype`" in found.text and "`.to(dtype)`" in found.text
    # a name neither library has is a plain typo, which the message already shows
    assert raised(error_of(lambda: np.ones(2).shapee)) is None


def test_a_value_that_is_none():
    def softmax(x):
        np.exp(x) / np.exp(x).sum()  # computed, never returned

    found = raised(error_of(lambda: softmax(np.ones(3)).reshape(3, 1)))
    assert found.kind == "structure" and "without a `return`" in found.text
    assert "`.reshape`" in found.text


def test_a_reduction_that_dropped_its_axis():
    x = np.ones((4, 6))
    found = raised(error_of(lambda: x / x.sum(axis=1)))
    assert found.kind == "broadcast" and "axis 1 dropped" in found.text
    assert "keepdims=True" in found.text
    # shapes that are not one reduced from the other: a layout mistake of another kind
    assert raised(error_of(lambda: np.ones((4, 6)) + np.ones((3, 2)))) is None
    assert raised(error_of(lambda: np.ones((4, 6)) + np.ones(5))) is None


def test_an_array_made_with_too_few_dimensions_reads_alike_and_is_named_too():
    # (GT learners) a dropout mask drawn of the input's first two sizes for a 3-D input: the
    # same shapes as an axis reduced away, and no reduction in the code to blame alone
    u = np.ones((4, 30, 50))
    found = raised(error_of(lambda: u * np.ones((u.shape[0], u.shape[1]))))
    assert found.kind == "broadcast" and "too few dimensions" in found.text
    assert "the input's whole shape" in found.text and "keepdims=True" in found.text


def test_a_size_written_into_a_reshape():
    for fn in (
        lambda: torch.ones(4, 1).view(64, 1),
        lambda: np.ones(4).reshape(64, -1),
    ):
        found = raised(error_of(fn))
        assert found.kind == "layout" and "does not come from this array" in found.text
        assert "(64,1)" in found.text or "(64,-1)" in found.text


def test_two_dtypes_in_torch_s_short_wording():
    found = raised(RuntimeError("Double did not match Float"))
    assert found.kind == "dtype" and "(Double and Float)" in found.text
