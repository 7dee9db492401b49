"""Mistakes of array code read from the exception it raised: what Python, NumPy or torch says
when code written for one number, one library or one layout meets another. Every course's
learners make them, whatever the exercise, and the message alone rarely says what to change.

:func:`arrays` reads one (``exception.raised`` asks it after its own readings):

- ``The truth value of an array with more than one element is ambiguous`` (NumPy) or ``Boolean
  value of Tensor with more than one value is ambiguous`` (torch): an ``if``, ``and``, ``or`` or
  conditional expression given a whole array, written for one number (kind ``branch``);
- ``only 0-dimensional arrays can be converted to Python scalars`` (and NumPy's older ``size-1``
  and ``length-1`` wordings, torch's ``one element tensors``): a function of Python's ``math``
  module, or ``float()``, given an array of several numbers (kind ``structure``);
- ``'numpy.ndarray' object has no attribute 't'``: a name of torch's used on a NumPy array, or
  one of NumPy's on a tensor (``.astype``), from a table of such pairs (kind ``structure``);
- ``'NoneType' object has no attribute 'reshape'``: a value that is ``None``, most often the
  result of a function that ends without ``return`` (kind ``structure``);
- ``operands could not be broadcast together with shapes (4,6) (4,)``: the second shape is the
  first with one axis (not the first) dropped, a reduction over that axis that did not keep it
  (kind ``broadcast``);
- ``shape '[64, 1]' is invalid for input of size 4`` (torch) or ``cannot reshape array of size 4
  into shape (64,1)`` (NumPy): a size that does not come from the array reshaped (kind
  ``layout``).

Texts quote only names and shapes from the message, never a hidden input or an expected value.
Any other exception names nothing here (``None``).
"""

from __future__ import annotations

import re

from .base import Diagnosis

_AMBIGUOUS = re.compile(
    r"truth value of an array with more than one element is ambiguous"
    r"|Boolean value of Tensor with more than one (?:value|element) is ambiguous"
)
_TO_SCALAR = re.compile(
    r"only (?:0-dimensional|size-1|length-1) arrays can be converted to Python scalars"
    r"|only (?:one|integer) element tensors can be converted to Python scalars"
    r"|a Tensor with \d+ elements cannot be converted to Scalar"
)
_NO_ATTRIBUTE = re.compile(r"'(numpy\.ndarray|Tensor|NoneType)' object has no attribute '(\w+)'")
_BROADCAST = re.compile(r"could not be broadcast together with shapes \(([\d, ]*)\) \(([\d, ]*)\)")
_RESHAPE = re.compile(
    r"shape '\[([-\d, ]+)\]' is invalid for input of size (\d+)"
    r"|cannot reshape array of size (\d+) into shape \(([-\w, ]+)\)"
)

# torch's name -> NumPy's way of writing it, for a torch name used on a NumPy array
_TORCH_ON_NUMPY = {
    "t": "`.T`",
    "view": "`.reshape`",
    "unsqueeze": "`np.expand_dims` or `[:, None]`",
    "clone": "`.copy()`",
    "numel": "`.size`",
    "dim": "`.ndim`",
    "detach": "nothing (a NumPy array has no graph)",
    "exp": "`np.exp(x)`",
    "log": "`np.log(x)`",
    "sigmoid": "`1 / (1 + np.exp(-x))`",
    "mm": "`@`",
    "matmul": "`@`",
    "masked_fill": "`np.where`",
    "clamp": "`np.clip`",
    "pow": "`**`",
    "abs": "`np.abs(x)`",
}
# NumPy's name -> torch's way of writing it, for a NumPy name used on a tensor
_NUMPY_ON_TORCH = {
    "astype": "`.to(dtype)`",
    "copy": "`.clone()`",
    "clip": "`.clamp`",
    "dot": "`@`",
}


def arrays(exc: BaseException) -> Diagnosis | None:
    """The likely mistake that ``exc`` names about arrays (see the module's docstring);
    ``None`` when it names none."""
    text = str(exc)
    if isinstance(exc, (ValueError, RuntimeError)) and _AMBIGUOUS.search(text):
        return _ambiguous()
    if isinstance(exc, (TypeError, ValueError, RuntimeError)) and _TO_SCALAR.search(text):
        return _to_scalar()
    if isinstance(exc, AttributeError):
        return _attribute(text)
    if isinstance(exc, ValueError):
        return _broadcast(text) or _reshape(text)
    if isinstance(exc, RuntimeError):
        return _reshape(text)
    return None


def _ambiguous() -> Diagnosis:
    return Diagnosis(
        "branch",
        "your code tests a whole array as one truth value (`if x > 0:`, `and`, `or`, or `a if "
        "x > 0 else b` on an array): such a test is written for one number; choose entry by "
        "entry instead, with a mask or np.where / torch.where, so that every entry takes its "
        "own branch",
    )


def _to_scalar() -> Diagnosis:
    return Diagnosis(
        "structure",
        "your code hands an array of several numbers to something that takes one number: a "
        "function of Python's math module (math.exp, math.log, math.sqrt) or float(); use "
        "NumPy's or torch's functions (np.exp, torch.exp), which work entry by entry on the "
        "whole array",
    )


def _attribute(text: str) -> Diagnosis | None:
    found = _NO_ATTRIBUTE.search(text)
    if found is None:
        return None
    owner, name = found.groups()
    if owner == "NoneType":
        return Diagnosis(
            "structure",
            f"`.{name}` was read from a value that is None: most often the result of a "
            "function that ends without a `return` (or of a method that works in place, such "
            "as list.sort); check that each of your functions returns its result",
        )
    table, own, other = (
        (_TORCH_ON_NUMPY, "torch tensors", "a NumPy array")
        if owner == "numpy.ndarray"
        else (_NUMPY_ON_TORCH, "NumPy arrays", "a torch tensor")
    )
    if name not in table:
        return None
    return Diagnosis(
        "structure",
        f"your code uses `.{name}`, which belongs to {own}, on {other}: the two libraries "
        f"name some operations differently; here it is written {table[name]}",
    )


def _shape(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in text.replace(" ", "").split(",") if n)


def _broadcast(text: str) -> Diagnosis | None:
    """Two shapes, one the other with one axis dropped: an array made with too few dimensions,
    or a reduction over that axis without ``keepdims=True`` (a dropped first axis broadcasts
    fine, so it never raises)."""
    found = _BROADCAST.search(text)
    if found is None:
        return None
    a, b = _shape(found.group(1)), _shape(found.group(2))
    full, short = (a, b) if len(a) == len(b) + 1 else (b, a)
    if len(full) != len(short) + 1:
        return None
    axes = [k for k in range(1, len(full)) if full[:k] + full[k + 1 :] == short]
    if not axes:
        return None
    return Diagnosis(
        "broadcast",
        f"your code combines a {full} array with a {short} one, which has the shape of the "
        f"first with its axis {axes[-1]} dropped: one made with too few dimensions (a shape "
        "written out from the input's first sizes), or a sum, max or mean over that axis that "
        "did not keep it (it then lines up with the wrong axis); give it the input's whole "
        "shape, or keep the axis (keepdims=True, keepdim=True in torch)",
    )


def _reshape(text: str) -> Diagnosis | None:
    """A reshape to a shape the array's size does not fit: a fixed size in the shape."""
    found = _RESHAPE.search(text)
    if found is None:
        return None
    shape, size = (found.group(1), found.group(2)) if found.group(1) else found.group(4, 3)
    shape = shape.replace("newaxis", "-1")  # NumPy's wording of the size it infers
    dims = [n for n in _shape(shape.replace("-1", "")) if n > 1]
    if not dims:
        return None
    return Diagnosis(
        "layout",
        f"your code reshapes {size} numbers into the shape ({shape.replace(' ', '')}), "
        "which they do not fit: a size that does not come from this array (a number written "
        "into the code, such as the batch size of the course's data, or a size read from "
        "another array or axis); read sizes from the array itself (x.shape[0], or -1)",
    )
