"""Mistakes read from an exception or from type names (``descent.diagnoses.exception``): each
fits the exception (or names) it reads and names nothing for a near miss."""

import math

import pytest
import torch

from descent.diagnoses import exception as exception_diagnoses
from descent.diagnoses import values as diagnoses
from descent.diagnoses.exception import ill_conditioned, raised, typed

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def error_of(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the exception is what is read
        return exc
    raise AssertionError("no exception")


class Value:  # a class of the student's own, without reflected operators
    def __add__(self, other):
        return self


def test_an_overflow_is_a_stability_problem():
    found = raised(error_of(lambda: math.exp(1000.0)))
    assert found.kind == "stability" and "overflowed" in found.text
    # a division by zero keeps its own diagnosis
    assert raised(error_of(lambda: 1 / 0)).kind == "stability"
    # near misses: a ValueError (math domain error) names nothing, nor does a power that
    # overflows (as often an iteration that diverged)
    assert raised(error_of(lambda: math.log(-1.0))) is None
    assert raised(error_of(lambda: 1e200**3)) is None


@pytest.mark.parametrize("x", [4256.88, -720.5])
def test_a_power_that_overflows_on_an_argument_past_exp_s_range_is_an_exp(x):
    """(issue 57) exp written as a power, e ** x, overflows with "Numerical result out of
    range", which raised() leaves unnamed; on an argument past exp's range it is that exp."""
    error = error_of(lambda: math.e**-x if x < 0 else math.e**x)
    assert raised(error) is None
    found = exception_diagnoses.overflowed_past_exp(error, x)
    assert found is not None and found.kind == "stability"
    assert (
        "exponentiates its argument (or its negative) as it is" in found.text
        and f"{x:g}" in found.text
    )
    # math.exp's wording too; near misses: an argument within range (a power of values that
    # diverged), another error
    assert (
        exception_diagnoses.overflowed_past_exp(error_of(lambda: math.exp(abs(x))), x) is not None
    )
    assert exception_diagnoses.overflowed_past_exp(error, 709.0) is None
    assert exception_diagnoses.overflowed_past_exp(ValueError("math domain error"), x) is None


def test_a_recursion_past_the_limit():
    def deep(n):
        return 0 if n == 0 else 1 + deep(n - 1)

    found = raised(error_of(lambda: deep(100_000)))
    assert found.kind == "recursion" and "explicit stack" in found.text


def test_a_number_on_the_left_of_a_class_without_reflected_methods():
    found = raised(error_of(lambda: 2.0 + Value()))
    assert found.kind == "operator"
    assert "`number + Value`" in found.text and "__radd__" in found.text
    # near misses: None on the right is a result missing, not an operator; two builtins are
    # no class of the student's; the object on the left is another mistake
    assert raised(error_of(lambda: 2.0 + None)) is None
    assert raised(error_of(lambda: 2.0 + "a")) is None
    assert raised(error_of(lambda: Value() * 2.0)) is None


def test_a_number_given_to_an_operator_that_reads_its_other_operand_as_a_node():
    class Node:
        def __init__(self, data):
            self.data = data

        def __add__(self, other):
            return Node(self.data + other.data)  # `other` never wrapped

    error = error_of(lambda: Node(1.0) + 2.0)
    found = raised(error, where=["autograd.py:7 in __add__"])
    assert found.kind == "operator" and "__add__" in found.text and "`other.data`" in found.text
    # near misses: the same error outside an operator method, or with no frame known, is
    # another mistake (an attribute of a number read anywhere)
    assert raised(error, where=["autograd.py:9 in backward"]) is None
    assert raised(error) is None
    assert (
        raised(AttributeError("'Node' object has no attribute 'grad'"), ["a.py:1 in __add__"])
        is None
    )


def test_a_matrix_product_that_fits_transposed():
    W = torch.zeros(3, 4)
    found = raised(error_of(lambda: torch.zeros(5, 4) @ W))  # dx = dy @ W where W.T belongs
    assert found.kind == "layout" and "second transposed" in found.text
    found = raised(error_of(lambda: torch.zeros(3, 5) @ torch.zeros(3, 2)))
    assert found.kind == "layout" and "first transposed" in found.text
    # near miss: shapes that fit no way round
    assert raised(error_of(lambda: torch.zeros(5, 4) @ torch.zeros(3, 2))) is None


def test_a_numpy_dot_that_fits_transposed():
    """(a held-out tutorial's dense layer) NumPy words the same mistake "shapes (3,1) and (4,1)
    not aligned"; a product that fits no way round names nothing, nor does another ValueError."""
    import numpy as np

    found = raised(error_of(lambda: np.dot(np.zeros((3, 1)), np.zeros((4, 1)))))
    assert found.kind == "layout" and "second transposed" in found.text
    assert raised(error_of(lambda: np.dot(np.zeros((5, 4)), np.zeros((3, 2))))) is None
    assert raised(error_of(lambda: int("x"))) is None


def test_a_method_looked_up_on_super_itself():
    """(a held-out tutorial's sigmoid layer) `super.__init__(self)` for `super().__init__()`."""

    class Layer:
        def __init__(self):
            super.__init__(self)

    found = raised(error_of(Layer))
    assert found.kind == "operator"
    assert "calls `__init__` on the class `super` itself" in found.text
    assert "the parentheses after `super` are missing" in found.text


def test_a_product_that_fails_inside_a_lambda_names_no_transpose():
    """MLP backward closures built in a loop read the last layer's matrix when they run (late
    binding): the product that fails in one was told "a matrix used as its transpose" (issue
    55). Raised in a lambda, the shapes alone no longer name a cause."""
    error = error_of(lambda: torch.zeros(6, 5) @ torch.zeros(4, 5))
    assert (
        raised(error, ["layers.py:176 in mlp_loss_and_grads", "layers.py:166 in <lambda>"]) is None
    )
    assert (
        raised(error, ["layers.py:166 in <lambda>", "layers.py:176 in backward"]).kind == "layout"
    )


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_a_gpu_asked_for_by_name_on_a_machine_without_one():
    """A dropout mask drawn with ``device="cuda"`` gave only torch's text on a CPU machine
    (issue 79): the device written into the code is named, whatever the exception's type."""
    found = raised(error_of(lambda: torch.zeros(3, device="cuda")))
    assert found.kind == "dtype" and "asks for a GPU itself" in found.text
    assert "x.device" in found.text


def test_tensors_on_two_devices_name_a_hard_coded_device():
    message = "Expected all tensors to be on the same device, but found at least two devices"
    found = raised(RuntimeError(message))
    assert found.kind == "dtype" and "two devices" in found.text
    assert raised(RuntimeError("some other device trouble")) is None


def test_a_tensor_built_away_from_its_generator_names_its_device():
    """``torch.empty(shape).uniform_(generator=g)`` with ``g`` on the GPU: torch's words on a GPU
    machine (the audit's CUDA lane, he_uniform_fills_empty) gave no cause; they name the device."""
    message = "Expected a 'cpu' device type for generator but found 'cuda'"
    found = raised(RuntimeError(message))
    assert found.kind == "dtype" and "torch.empty(shape) is on the CPU" in found.text
    assert raised(RuntimeError("Expected a generator but found None")) is None


def test_type_names_of_numbers():
    found = typed(["float"] * 4, ["float", "float", "float", "int"])
    assert found.kind == "structure" and "Python int where a float" in found.text
    assert "Tensor where a Python float" in typed(["float"] * 2, ["Tensor", "Tensor"]).text
    assert "Python float where a Tensor" in typed("Tensor", "float").text
    # read through the one entry point, as a check that compares type names is
    assert diagnoses.diagnose(["float"] * 3, ["float", "int", "int"]).kind == "structure"
    # near misses: the same names, other strings, names of other types
    assert typed(["float"] * 2, ["float"] * 2) is None
    assert typed(["relu", "tanh"], ["relu", "sigmoid"]) is None
    assert typed(["float"], ["NoneType"]) is None


def test_arithmetic_with_none_is_named():
    try:
        torch.ones(2) * None
    except TypeError as exc:
        found = exception_diagnoses.none_operand(exc)
    assert found is not None and found.kind == "branch"
    assert exception_diagnoses.none_operand(TypeError("unsupported operand type(s) for *")) is None
    assert exception_diagnoses.none_operand(ValueError("'NoneType'")) is None


def test_a_solution_right_to_a_few_digits_on_an_ill_conditioned_matrix():
    found = ill_conditioned(1.3e-8, 1e-12, 1e7)
    assert found.kind == "stability" and "loses accuracy" in found.text
    # near misses: within rounding, and far off (a wrong formula, not a lost digit)
    assert ill_conditioned(1e-13, 1e-12, 1e7) is None
    assert ill_conditioned(0.3, 1e-12, 1e7) is None


def test_two_dtypes_in_one_operation_are_a_hard_coded_dtype():
    # (issue 50) a capstone whose weights are float64 for float32 inputs
    x, w = torch.ones(2, 3), torch.ones(4, 3, dtype=torch.float64)
    with pytest.raises(RuntimeError) as info:
        torch.nn.functional.linear(x, w)
    found = raised(info.value)
    assert found is not None and found.kind == "dtype" and "hard-coded dtype" in found.text
    assert raised(RuntimeError("something else entirely")) is None


def test_a_method_written_without_self_is_named():
    """A held-out tutorial learner's `def sigmoid_derivative(x):` inside a class, called as
    `self.sigmoid_derivative(self.output)`: only torch's words were shown."""

    class Net:
        def sigmoid_derivative(x):  # noqa: N805 - the learner's mistake itself
            return x

    found = raised(error_of(lambda: Net().sigmoid_derivative(1.0)))
    assert found.kind == "argument" and "`sigmoid_derivative` of `Net`" in found.text
    # the words cannot tell a self left out from a parameter left out: both are said
    assert "without `self`" in found.text and "without a parameter its caller passes" in found.text
    # near misses: a function given too many arguments, or a method two arguments short
    assert raised(TypeError("f() takes 1 positional argument but 2 were given")) is None
    assert raised(TypeError("Net.f() takes 1 positional argument but 3 were given")) is None
