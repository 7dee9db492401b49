"""Generic diagnoses read from an exception the student's code raised, or from the names of the
types it returned, where there is no value to compare.

An exception is evidence of its own: whatever the exercise, some of them name the mistake.
:func:`raised` reads one (the plugin gives its diagnosis to a call that raised; a grader that
turns a known exception into a failure passes ``generic=lambda: raised(error)``):

- ``ZeroDivisionError``: a denominator of 0 in a case the docstring allows (kind ``stability``);
- ``OverflowError: math range error``: ``math.exp`` (or another function of ``math``) of a large
  number, where a stable form exists (kind ``stability``); not an overflow of ``**`` or ``*``
  (``Numerical result out of range``), which is as often values that diverged;
- an ``OverflowError`` of any wording on a call whose argument lies past exp's range (a grader
  that knows it passes ``past_exp=True``, :func:`overflowed_past_exp`): the argument
  exponentiated as it is, with ``math.exp`` or as a power ``e ** x`` (kind ``stability``);
- ``RecursionError``: a recursion as deep as the data (a graph walked by a recursive function),
  which Python limits to about 1000 levels (kind ``recursion``);
- ``TypeError: unsupported operand type(s) for +: 'float' and 'Value'``: a number on the left of
  an operator and an object of the student's own class on the right; Python then calls the
  reflected method (``__radd__``), which the class lacks (kind ``operator``);
- ``AttributeError: 'float' object has no attribute 'data'`` raised in an operator method of
  the student's class (``__add__``, ``__mul__``, ...): a number on the other side of the
  operator, never wrapped into the class (kind ``operator``);
- ``mat1 and mat2 shapes cannot be multiplied (5x4 and 3x4)`` (NumPy: ``shapes (5,4) and (3,4)
  not aligned``): a matrix product whose shapes fit once one operand is transposed, a matrix
  used as its transpose (kind ``layout``);
- ``descriptor '__init__' requires a 'super' object``: ``super.__init__(self)``, the method
  looked up on the class ``super`` itself where ``super()`` belongs (kind ``operator``);
- ``Net.f() takes 1 positional argument but 2 were given``: a method written without ``self``
  (handed the object first) or without a parameter its caller passes; both said (kind
  ``argument``);
- ``expected m1 and m2 to have the same dtype, but got: float != double`` (and torch's other
  wordings of two dtypes meeting in one operation): a tensor built with a hard-coded dtype next
  to one in the inputs' (kind ``dtype``).
- ``Torch not compiled with CUDA enabled``, ``Found no NVIDIA driver``, ``No CUDA GPUs are
  available``, ``Expected all tensors to be on the same device`` and ``Expected a 'cpu' device
  type for generator but found 'cuda'``: a tensor put on a device the code names itself
  (``device="cuda"``, ``.cuda()``, ``.cpu()``, or the CPU of ``torch.empty(shape)``) instead of
  the inputs' own (kind ``dtype``, which covers devices).

- the mistakes of array code that :func:`.exception_arrays.arrays` reads (an ``if`` on a whole
  array, ``math.exp`` of an array, a name of torch's on a NumPy array, a value that is None, a
  reduction that dropped its axis, a size written into a reshape).

Any other exception names nothing: the message already says what went wrong.

:func:`typed` reads a check that compares the names of the types of a result's items
(``type(x).__name__``): a Python ``int`` where a ``float`` belongs (a number kept as given, or a
literal 0 or 1), a tensor or NumPy value where a Python number belongs (``.item()`` missing), or a
number where a tensor belongs (kind ``structure``). :func:`diagnoses.diagnose` calls it for such
lists of names, and a check that tests the types itself can pass it as ``generic=``.

:func:`ill_conditioned` reads a check that measures how well a solution of a linear system on an
ill-conditioned matrix satisfies its equations: right to several digits but not to rounding is a
method that loses accuracy (an explicit inverse, a jitter added to the matrix), kind
``stability``.

Texts quote only the exception's type and the shapes and type names in its message, never a
hidden input or an expected value.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Sequence
from typing import Any

from .base import Diagnosis
from .exception_arrays import arrays

# "unsupported operand type(s) for +: 'float' and 'Value'" (also for ** or pow(): the same)
_OPERAND = re.compile(r"unsupported operand type\(s\) for ([^:]+): '(\w+)' and '(\w+)'")
_NUMBERS = ("int", "float", "bool", "complex")
# Right-hand types whose missing reflected method is no mistake of a student's class.
_BUILTINS = _NUMBERS + ("str", "list", "tuple", "dict", "set", "NoneType", "Tensor", "ndarray")
# torch's and NumPy's (np.dot) words for a product of matrices whose inner sizes differ
_MATMUL = re.compile(
    r"shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)"
    r"|shapes \((\d+),\s*(\d+)\) and \((\d+),\s*(\d+)\) not aligned"
)
# a method given one argument more than it takes: written without `self`
_NO_SELF = re.compile(
    r"(\w+)\.(\w+)\(\) takes (\d+) positional arguments? but (\d+) (?:were|was) given"
)
# `super.__init__(self)`: the method looked up on the class `super` itself (3.11's wording, then
# earlier Pythons')
_SUPER = re.compile(
    r"descriptor '(\w+)' requires a 'super' object|descriptor '(\w+)' of 'super' object needs"
)


def raised(exc: BaseException, where: Sequence[str] = ()) -> Diagnosis | None:
    """The likely mistake that ``exc``, raised by the student's code (or by Python on what it
    returned), names by its type and message alone; ``None`` when it names none. ``where``
    lists the student's frames (``"layers.py:166 in <lambda>"``), innermost last: a product
    that does not fit inside a lambda is not read as a transposed matrix, since a closure made
    in a loop that reads the loop's last matrix when it runs (late binding) fails alike."""
    if isinstance(exc, ZeroDivisionError):
        return divided_by_zero()
    if isinstance(exc, OverflowError) and "math range error" in str(exc):
        return Diagnosis(
            "stability",
            "your code overflowed: a float grew past the largest one (math.exp of a large "
            "number, above about 709); use a form that only ever exponentiates a non-positive "
            "number (exp(-|x|), subtract the max, log1p)",
        )
    if isinstance(exc, RecursionError):
        return Diagnosis(
            "recursion",
            "your code recursed as deep as its data and passed Python's limit (about 1000 "
            "nested calls): a long chain walked by a recursive function; walk it with a loop "
            "and an explicit stack or list instead",
        )
    text = str(exc)
    device = _hard_coded_device(text)
    if device is not None:
        return device
    if isinstance(exc, AttributeError):
        return _number_operand(text, where) or arrays(exc)
    if isinstance(exc, TypeError):
        return _reflected(text) or _unbound_super(text) or _no_self(text) or arrays(exc)
    if isinstance(exc, (RuntimeError, ValueError)):
        closure = bool(where) and where[-1].endswith(" in <lambda>")
        found = None if closure else _transposed(text)
        return (
            found or (_two_dtypes(text) if isinstance(exc, RuntimeError) else None) or arrays(exc)
        )
    return arrays(exc)


# torch's wordings of one operation given tensors of two dtypes
_DTYPES = re.compile(
    r"same dtype, but got: (\w+) != (\w+)"
    r"|expected scalar type (\w+) but found (\w+)"
    r"|expected both inputs to have same dtype, but found (\w+) and (\w+)"
    r"|expected (?:mat1|m1) and (?:mat2|m2) to have the same dtype, but got: (\w+) != (\w+)"
    r"|\b(Double|Float|Half|BFloat16|Long|Int) did not match (Double|Float|Half|BFloat16|Long|Int)"
)


def _two_dtypes(text: str) -> Diagnosis | None:
    """Two dtypes met in one operation (a float32 input times a float64 weight): a tensor made
    with a hard-coded dtype where the inputs' belongs."""
    found = _DTYPES.search(text)
    if found is None:
        return None
    a, b = [g for g in found.groups() if g][:2]
    return Diagnosis(
        "dtype",
        f"your code combines tensors of two dtypes ({a} and {b}) in one operation: one of them "
        "was built with a hard-coded dtype (torch.zeros(n) and torch.randn(n) give float32, "
        ".double() or dtype=torch.float64 give float64); build every tensor in the inputs' "
        "dtype (x.new_zeros, torch.zeros_like, dtype=x.dtype)",
    )


# torch's wordings of a GPU asked for where there is none, and of two devices in one operation;
# read from the text alone: the type differs by torch version (AssertionError, RuntimeError)
_NO_GPU = re.compile(
    r"not compiled with CUDA enabled|Found no NVIDIA driver|No CUDA GPUs are available"
)
_TWO_DEVICES = re.compile(r"Expected all tensors to be on the same device")
_GENERATOR_DEVICE = re.compile(r"Expected a '\w+' device type for generator but found '\w+'")


def _hard_coded_device(text: str) -> Diagnosis | None:
    """A device written into the code where the inputs' belongs: asked for a GPU that this
    machine lacks, or tensors of two devices meeting in one operation."""
    if _NO_GPU.search(text):
        found = "asks for a GPU itself (device='cuda' or .cuda()), and this machine has none"
    elif _TWO_DEVICES.search(text):
        found = "combines tensors on two devices: one was put on a device named in your code"
    elif _GENERATOR_DEVICE.search(text):
        found = (
            "draws into a tensor on another device than the generator it was given: the tensor "
            "was built on a device of its own (torch.empty(shape) is on the CPU)"
        )
    else:
        return None
    return Diagnosis(
        "dtype",
        f"your code {found}; build every tensor on the inputs' device (device=x.device, "
        "torch.zeros_like(x), x.new_zeros) so that the same code runs on a CPU and a GPU",
    )


# The largest argument float64's exp holds (about 709.78): past it, e ** x overflows.
EXP_LIMIT = math.log(sys.float_info.max)


def overflowed_past_exp(exc: BaseException, argument: float) -> Diagnosis | None:
    """The likely mistake of an ``OverflowError`` raised on ``argument``, when ``argument`` lies
    past :data:`EXP_LIMIT`: whatever its wording (``math range error`` from ``math.exp``,
    ``Numerical result out of range`` from a power ``e ** x``), the input was exponentiated as
    it is. Elsewhere an overflow of a power is as often values that diverged: ``None``."""
    if not isinstance(exc, OverflowError) or not abs(argument) > EXP_LIMIT:
        return None
    return Diagnosis(
        "stability",
        f"your code overflowed on an argument past exp's range ({argument:g}, beyond "
        f"+-{EXP_LIMIT:.2f}): it exponentiates its argument (or its negative) as it is "
        "(math.exp(x), or a power e ** x); use a form that only ever exponentiates a "
        "non-positive number (exp(-|x|), a branch on the sign, log1p)",
    )


def divided_by_zero() -> Diagnosis:
    """The diagnosis of a call that raised ZeroDivisionError: whatever the value, a denominator
    was 0 in a case the docstring allows (the plugin gives it to such an error)."""
    return Diagnosis(
        "stability",
        "your code divides by zero in a case the docstring allows (a count, a length or a "
        "1 - p that is 0 there): test that case first and compute the ratio only where it is "
        "defined",
    )


# The TypeErrors of an operation one of whose operands is None (Python's and torch's wording).
_NONE_OPERAND = re.compile(
    r"unsupported operand type\(s\) for .*'NoneType'|must be Tensor, not NoneType"
)


def none_operand(exc: BaseException) -> Diagnosis | None:
    """The diagnosis of a call that raised a TypeError because an operand was ``None``: a value
    that is ``None`` in one of the cases the docstring allows (a cache, a state, an optional
    argument) reaches arithmetic that case never gets to (the plugin gives it to such an error)."""
    if not isinstance(exc, TypeError) or not _NONE_OPERAND.search(str(exc)):
        return None
    return Diagnosis(
        "branch",
        "your code computes with None: a value that is None in one of the cases the docstring "
        "allows (a cache or a state returned as None when there is nothing to keep, an "
        "optional argument left out) reaches arithmetic; handle that case on its own before "
        "computing with it",
    )


def _reflected(text: str) -> Diagnosis | None:
    """A number on the left of an operator and an object of a class of the student's own on the
    right: that class has no reflected method (``__radd__``, ``__rmul__``, ...)."""
    match = _OPERAND.search(text)
    if match is None:
        return None
    op, left, right = match.groups()
    if left not in _NUMBERS or right in _BUILTINS:
        return None
    return Diagnosis(
        "operator",
        f"`number {op.strip()} {right}` fails: with a number on the left Python asks the "
        f"number first, then your class's reflected method for the operator (__radd__ for +, "
        f"__rsub__, __rmul__, __rtruediv__, __rpow__), which {right} does not define",
    )


# "'float' object has no attribute 'data'", raised in an operator method of the student's class
_NUMBER_ATTRIBUTE = re.compile(r"'(int|float|bool)' object has no attribute '(\w+)'")
_OPERATOR_METHOD = re.compile(r" in (__r?(?:add|sub|mul|truediv|floordiv|pow|matmul)__)$")


def _number_operand(text: str, where: Sequence[str]) -> Diagnosis | None:
    """A number given to an operator method of the student's class (``a + 2`` calls
    ``a.__add__(2)``), which reads an attribute of its other operand as if it were an object of
    that class (``other.data``): the number is never wrapped."""
    number = _NUMBER_ATTRIBUTE.search(text)
    method = _OPERATOR_METHOD.search(where[-1]) if where else None
    if number is None or method is None:
        return None
    kind, attribute = number.groups()
    return Diagnosis(
        "operator",
        f"a plain number ({'an' if kind == 'int' else 'a'} {kind}) reached your "
        f"{method.group(1)} as its other operand, "
        f"which your code reads as an object of your class (`other.{attribute}`): wrap a "
        "number first (other = other if isinstance(other, Value) else Value(other)), so that "
        "an expression such as `a + 2` or `a * 3` works",
    )


def _transposed(text: str) -> Diagnosis | None:
    """A matrix product of shapes ``(a, b) @ (c, d)`` with ``b != c`` that fits once one
    operand is transposed (``b == d`` or ``a == c``): a matrix used as its transpose."""
    match = _MATMUL.search(text)
    if match is None:
        return None
    a, b, c, d = (int(n) for n in match.groups() if n is not None)
    if b == c or not (b == d or a == c):
        return None
    which = "the second" if b == d else "the first"
    return Diagnosis(
        "layout",
        f"your code multiplies a {a}x{b} matrix by a {c}x{d} one, which do not fit; they fit "
        f"with {which} transposed: a matrix used as its transpose (W.T where W belongs, or the "
        "reverse), so check the layout the docstring gives it",
    )


def _unbound_super(text: str) -> Diagnosis | None:
    """``super.__init__(self)`` (or another method): looked up on the class ``super`` itself,
    which is handed your object where an object of ``super`` belongs."""
    match = _SUPER.search(text)
    if match is None:
        return None
    method = match.group(1) or match.group(2)
    return Diagnosis(
        "operator",
        f"your code calls `{method}` on the class `super` itself (`super.{method}(...)`), not on "
        f"the object `super()` makes: the parentheses after `super` are missing, so `{method}` "
        "of your class's parent never runs",
    )


def _no_self(text: str) -> Diagnosis | None:
    """A method given one argument more than it takes (``Net.sigmoid_derivative() takes 1
    positional argument but 2 were given``). Its text cannot tell the two ways apart, so both
    are said: written without ``self`` (handed the object first when called on one), or without
    a parameter its caller passes (a ``backward(self, dy)`` called as ``backward(dy, cache)``)."""
    match = _NO_SELF.search(text)
    if match is None or int(match.group(4)) != int(match.group(3)) + 1:
        return None
    owner, method = match.group(1), match.group(2)
    return Diagnosis(
        "argument",
        f"the method `{method}` of `{owner}` is called with one argument more than its "
        "parameters take: it is defined without `self` as its first parameter (a call on an "
        f"object, `self.{method}(...)`, hands it that object first), or without a parameter "
        "its caller passes",
    )


# Type names a check compares (``type(x).__name__``) and what each is, for the texts.
_PYTHON_NUMBERS = ("float", "int")
_ARRAYS = ("Tensor", "ndarray", "float64", "float32")


def typed(expected: Any, got: Any) -> Diagnosis | None:
    """A list (or one) of type names (``type(x).__name__``) of the student's values against the
    expected names: the first name that differs, when both are numeric types, names the
    mistake; ``None`` otherwise (a check that compares other strings)."""
    pairs = (
        list(zip(expected, got))
        if isinstance(expected, (list, tuple))
        and isinstance(got, (list, tuple))
        and len(expected) == len(got)
        else [(expected, got)]
    )
    if not all(isinstance(e, str) and isinstance(g, str) for e, g in pairs):
        return None
    known = _PYTHON_NUMBERS + _ARRAYS
    for e, g in pairs:
        if e == g:
            continue
        if e not in known or g not in known:
            return None
        return _typed(e, g)
    return None


def _typed(e: str, g: str) -> Diagnosis | None:
    if e == "float" and g == "int":
        return Diagnosis(
            "structure",
            "your values include a Python int where a float belongs: a number kept as it was "
            "given (an int argument) or set from an int literal (0, 1); convert with float(...) "
            "or write 0.0 and 1.0",
        )
    if e in _PYTHON_NUMBERS and g in _ARRAYS:
        return Diagnosis(
            "structure",
            f"your values include a {g} where a Python {e} belongs: a 0-dim tensor or array "
            "kept as it is (it also holds on to its graph); convert with float(...) or .item()",
        )
    if e in _ARRAYS and g in _PYTHON_NUMBERS:
        return Diagnosis(
            "structure",
            f"your values include a Python {g} where a {e} belongs: .item() or float() turned "
            "it into a number; keep it a tensor",
        )
    return None


def ill_conditioned(residual: float, bound: float, cond: float) -> Diagnosis | None:
    """A linear system solved on a matrix of condition number ``cond`` whose relative residual
    (``residual``, of the equations at the student's solution) passes the rounding ``bound`` but
    is still small (at most 1e-4: four digits or more are right, so the formula is): the method
    loses accuracy where the matrix is nearly singular (kind ``stability``). A larger residual is
    a wrong formula, which the checks on well-conditioned inputs name; ``None`` then."""
    if not bound < residual <= 1e-4:
        return None
    return Diagnosis(
        "stability",
        f"your solution satisfies its equations to {residual:.0e} relative, not to rounding, on a "
        f"matrix of condition number {cond:.0e}: close, so the approach is right, but the method "
        "loses accuracy or moves the answer where the matrix is nearly singular (a product with "
        "an explicit inverse; a small term, a jitter, added to the matrix for stability); solve "
        "the system as it stands with a factorization (Cholesky, QR, torch.linalg.solve)",
    )
