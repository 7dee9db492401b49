"""The edit of a number's type: a whole number written where a float belongs. ``max(0, x)``
over the entries of an array (``np.vectorize`` takes its output type from the first entry's
result, so an int 0 first makes every entry an int), or ``self.grad = 0`` in a scalar autograd
whose values are floats: the int written as a float. Only where the number is a value (an
argument of ``max`` or ``min``, a value assigned or returned, a branch of ``a if c else b``),
never an index, a count, an axis or a shape. The rule is part of
:data:`descent.diagnoses.edit_rules.RULES`."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TypeGuard

WHOLE = "the whole number `{}` in `{}` makes an int where a float belongs"
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
