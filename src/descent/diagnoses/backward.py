"""Slips of a backward's formula, written into the reference's code by
:mod:`descent.diagnoses.mutant` (each rule takes ``(node, context)`` and yields
``(before, after, kind, text)``: :mod:`~.syntax`). These are also written into the exercise's
catalogued alternatives (:data:`~.order.ALTERNATIVE_SLIPS`: correct code of another form, a
``_backward`` closure per operation), since a backward's formula has no one-expression twin in a
reference written for speed:

- ``gate``: a backward's comparison with 0 made with 1, or made on another of its arguments (the
  gradient gated on the wrong region); ``branch``: a strict comparison for an inclusive one or
  the reverse, or the two values of a backward's choice (``torch.where``, ``a if c else b``)
  exchanged;
- ``reduction``: a sum or a mean over another axis (0, 1 or the last);
- within its own statement: ``factor``, a factor that is a quantity left out of a product or a
  quotient's numerator left out (1 in its place); ``argument``, an operand's attribute read
  from another object of the operation (``out.data`` for ``self.data``).
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from typing import Any

from .syntax import Context, Slip, callee, quote, substituted


def gated_on_other(node: Any, context: Context) -> Iterator[Slip]:
    """A backward's gate tested on another of its arguments (``dy > 0`` for ``x > 0``)."""
    names = context.tensors.get(id(node))
    if not (names and isinstance(node, ast.Compare) and isinstance(node.left, ast.Name)):
        return
    if not all(isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for op in node.ops):
        return  # a gate is a threshold: `node not in seen` is a walk's bookkeeping
    if node.left.id not in names:
        return
    for other in names:
        if other != node.left.id:
            after = copy.deepcopy(node)
            after.left = ast.Name(other, ast.Load())
            yield (
                node,
                after,
                "gate",
                (
                    f"the gradient's gate tested on `{other}` where it belongs on "
                    f"`{node.left.id}`: the gradient passes (or stops) on the wrong region"
                ),
            )


def comparison_slipped(node: Any, context: Context) -> Iterator[Slip]:
    flips = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}
    if (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and type(node.ops[0]) in flips
        and id(node) in context.backward
        and isinstance(node.comparators[0], ast.Constant)
        and node.comparators[0].value == 0
    ):  # a backward's gate at 1 where it belongs at 0 (out > 1 for x > 0)
        after = copy.deepcopy(node)
        after.comparators = [ast.Constant(1)]
        yield (
            node,
            after,
            "gate",
            (
                "the gradient's gate moved from 0 to 1: it passes (or stops) the gradient on the "
                "wrong region of the input"
            ),
        )
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in flips:
        after = copy.deepcopy(node)
        after.ops = [flips[type(node.ops[0])]()]
        yield (
            node,
            after,
            "branch",
            "a strict comparison where the reference's is inclusive, or the reverse (< for "
            "<=, > for >=): values exactly on the boundary go to the other side",
        )


def branches_swapped(node: Any, context: Context) -> Iterator[Slip]:
    """In a backward, the two values of a choice exchanged: ``torch.where(c, b, a)`` for
    ``where(c, a, b)``, ``b if c else a`` for ``a if c else b`` (a forward's choices are left
    alone: a stable formula often writes one value two ways, and exchanging them is another
    slip's twin, ``sigmoid(-x)`` for ``sigmoid(x)``)."""
    if id(node) not in context.backward:
        return  # a forward's two branches are often one formula in two stable forms
    if isinstance(node, ast.IfExp):
        if isinstance(node.body, ast.Constant) and isinstance(node.orelse, ast.Constant):
            return  # two constants exchanged invert a gate: too many slips look like that
        after: Any = ast.IfExp(node.test, node.orelse, node.body)
    elif isinstance(node, ast.Call) and callee(node) == "where" and len(node.args) == 3:
        after = copy.deepcopy(node)
        after.args[1], after.args[2] = after.args[2], after.args[1]
    else:
        return
    yield (
        node,
        after,
        "branch",
        (
            "the two branches of a choice exchanged: each side of the condition gets the value "
            "that belongs to the other"
        ),
    )


def reduced_over(node: Any, context: Context) -> Iterator[Slip]:
    """A sum or a mean over another axis than the reference's (0, 1 or the last): the batch
    where the features belong (a layer norm's backward taking batch norm's means), or the
    reverse (a bias gradient summed over the features)."""
    if not (isinstance(node, ast.Call) and callee(node) in ("sum", "mean")):
        return
    axis = _axis_of(node)
    if axis is None:
        return
    before, value = axis
    for other in (0, 1, -1):
        if other == value:
            continue
        after = substituted(node, [(before, ast.Constant(other))])
        yield (
            node,
            after,
            "reduction",
            f"a {callee(node)} over dimension {other} where it belongs over dimension {value}: "
            "the reduction taken across the wrong axis",
        )


def _axis_of(node: ast.Call) -> tuple[Any, int] | None:
    """The reduction axis a ``sum`` or ``mean`` call names (a ``dim=`` or ``axis=`` keyword, or
    the int after the tensor) as (the node, its value)."""
    for keyword in node.keywords:
        if keyword.arg in ("dim", "axis"):
            return _int_node(keyword.value)
    method = isinstance(node.func, ast.Attribute) and not (
        isinstance(node.func.value, ast.Name) and node.func.value.id in ("torch", "np", "numpy")
    )
    position = 0 if method else 1
    return _int_node(node.args[position]) if len(node.args) > position else None


def _int_node(node: Any) -> tuple[Any, int] | None:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return None
    return (node, value) if type(value) is int else None


def factor_left_out(node: Any, context: Context) -> Iterator[Slip]:
    """In a backward, a factor that is a quantity (a name, an attribute, an item) left out of a
    product, or the numerator of a quotient left out (1 in its place): a chain rule's factor
    forgotten (``dy`` where ``dy * gamma`` belongs, ``-1 / b**2`` for ``-a / b**2``)."""
    if id(node) not in context.backward or not isinstance(node, ast.BinOp):
        return
    quantity = (ast.Name, ast.Attribute, ast.Subscript)
    if isinstance(node.op, ast.Mult):
        for kept, dropped in ((node.left, node.right), (node.right, node.left)):
            if isinstance(dropped, quantity):
                quoted = quote(dropped, context.public)
                what = f"the factor {quoted}" if quoted else "a factor of a product"
                before, after = _in_statement(node, kept, context)
                yield (
                    before,
                    after,
                    "factor",
                    f"{what} left out (the chain rule's factor forgotten)",
                )
    elif isinstance(node.op, ast.Div):
        top: Any = node.left
        negated = isinstance(top, ast.UnaryOp) and isinstance(top.op, ast.USub)
        if isinstance(top.operand if negated else top, quantity):
            one = ast.UnaryOp(ast.USub(), ast.Constant(1)) if negated else ast.Constant(1)
            yield (
                *_in_statement(node, ast.BinOp(one, ast.Div(), node.right), context),
                "factor",
                "the numerator of a quotient left out (1 in its place): a factor of the "
                "derivative forgotten",
            )


def other_quantity(node: Any, context: Context) -> Iterator[Slip]:
    """In a backward, one quantity of the operation read where another belongs: a local
    derivative written in terms of the output where the input belongs (``1 / y`` for log's
    ``1 / x``), or of the other operand."""
    read = context.quantities.get(id(node))
    if not (read and isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
        return
    statement = context.statements.get(id(node))
    target = getattr(statement, "target", None) or next(
        iter(getattr(statement, "targets", [])), None
    )
    if not isinstance(node.ctx, ast.Load) or getattr(target, "attr", None) == node.attr:
        return  # the quantity being accumulated (a grad) is no operand of the derivative
    for other in read:
        if other != node.value.id:
            quantity = ast.Attribute(ast.Name(other, ast.Load()), node.attr, ast.Load())
            yield (
                *_in_statement(node, quantity, context),
                "argument",
                "a local derivative written with another quantity of the operation (its output "
                "where its input belongs, or the reverse, or the other operand)",
            )


def _in_statement(node: Any, after: Any, context: Context) -> tuple[Any, Any]:
    """``(statement, statement with node replaced by after)``: a slip of one formula of a
    backward, not of every formula that shares the expression (``self.data`` is in all)."""
    statement = context.statements.get(id(node))
    if statement is None:
        return node, after
    memo: dict[int, Any] = {}
    changed = copy.deepcopy(statement, memo)
    return statement, _Swap(memo[id(node)], after).visit(changed)


class _Swap(ast.NodeTransformer):
    """The one node ``target`` (by identity) replaced by ``after``."""

    def __init__(self, target: Any, after: Any):
        self.target, self.after = target, after

    def visit(self, node: ast.AST) -> Any:
        return self.after if node is self.target else super().visit(node)
