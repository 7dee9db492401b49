"""The edits of a value's type: a whole number written where a float belongs, and one number
where an array of them belongs. ``max(0, x)``
over the entries of an array (``np.vectorize`` takes its output type from the first entry's
result, so an int 0 first makes every entry an int), or ``self.grad = 0`` in a scalar autograd
whose values are floats: the int written as a float. Only where the number is a value (an
argument of ``max`` or ``min``, a value assigned or returned, a branch of ``a if c else b``),
never an index, a count, an axis or a shape. And ``1 if np.all(x > 0) else 0``, one value for
the whole array where each entry needs its own: the test taken entry by entry. The rules are
part of :data:`descent.diagnoses.edit_rules.RULES`."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TypeGuard

from .edit_nodes import LIBRARIES

WHOLE = "the whole number `{}` in `{}` makes an int where a float belongs"
ONE_FOR_ALL = (
    "`{}` gives one value for the whole array where each entry needs its own: `{}` tests "
    "every entry at once"
)
_AT_ONCE = frozenset({"all", "any"})
_BOUNDS = frozenset({"max", "min"})  # Python's own, on one number at a time


def whole_number(node, ctx):
    """``node`` with one of its whole numbers written as a float (``0`` as ``0.0``)."""
    for number, new in _floated(node):
        yield "type", WHOLE.format(number.value, ctx.quote(node)), new


def _floated(node: ast.AST) -> Iterator[tuple[ast.Constant, ast.AST]]:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _BOUNDS:
        for i, arg in enumerate(node.args):
            if _whole(arg):
                args = [_float(arg) if j == i else a for j, a in enumerate(node.args)]
                yield arg, ast.Call(node.func, args, node.keywords)
    if isinstance(node, ast.Assign) and _whole(node.value):
        yield node.value, ast.Assign(node.targets, _float(node.value))
    if isinstance(node, ast.Return) and _whole(node.value):
        yield node.value, ast.Return(_float(node.value))
    if isinstance(node, ast.IfExp):
        if _whole(node.body):
            yield node.body, ast.IfExp(node.test, _float(node.body), node.orelse)
        if _whole(node.orelse):
            yield node.orelse, ast.IfExp(node.test, node.body, _float(node.orelse))


def _whole(node: ast.AST | None) -> TypeGuard[ast.Constant]:
    return isinstance(node, ast.Constant) and type(node.value) is int


def _float(node: ast.Constant) -> ast.Constant:
    return ast.Constant(float(node.value))  # type: ignore[arg-type]  # an int: _whole


def one_for_all(node, ctx):
    """``a if np.all(t) else b`` (one value for a whole array, an Imperial learner's ReLU
    derivative): ``where(t, a, b)``, entry by entry, in the test's own library (NumPy's, then
    torch's, for a method ``t.all()``)."""
    if not (isinstance(node, ast.IfExp) and isinstance(node.test, ast.Call)):
        return
    test = node.test
    if not (isinstance(test.func, ast.Attribute) and test.func.attr in _AT_ONCE):
        return
    owner = test.func.value
    library = owner.id if isinstance(owner, ast.Name) and owner.id in LIBRARIES else None
    if library is None:  # a method, `t.all()`: the library is unknown
        tested, libraries = owner, ["np", "torch"]
    elif test.args:  # `np.all(t)`
        tested, libraries = test.args[0], [library]
    else:
        return
    for lib in libraries:
        where = ast.Attribute(ast.Name(lib, ast.Load()), "where", ast.Load())
        said = ONE_FOR_ALL.format(ctx.quote(node), ctx.quote(test))
        yield "type", said, ast.Call(where, [tested, node.body, node.orelse], [])
