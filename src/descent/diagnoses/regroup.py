"""Slips of how an expression of the reference is grouped, written into its code by
:mod:`descent.diagnoses.mutant` (its rules take ``(node, context)`` and yield
``(before, after, kind, text)``: :mod:`~.syntax`; :data:`~.order.MUTANT_SLIPS` lists them):

- :func:`regrouped`: a parenthesis misplaced or left out, so that operator precedence groups the
  expression another way: ``1 - w * x`` where ``(1 - w) * x`` belongs, ``a * b - c`` for
  ``a * (b - c)``, ``a - b ** t`` for ``(a - b) ** t``, and the reverse (kind ``precedence``).
  A weighted mean ``(1 - w) * a + w * b`` is also read in the other convention, where ``1 - w``
  weighs the new value (``alpha * a + (1 - alpha) * b`` with ``alpha = 1 - w``), and slipped
  there: ``alpha * a + (1 - alpha * b)``.
- :func:`complement_base`: the base of a power that is a hyperparameter taken as its complement,
  ``(1 - beta) ** t`` where ``beta ** t`` belongs (a bias correction with the moment's weight for
  its decay), kind ``argument``.

Each slip changes one expression of the reference at a time; :mod:`descent.diagnoses.mutant`
runs it on every failing check and names it only when it gives the student's result on each.
Texts quote a name only when the student's stub shows it (``context.public``).
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from typing import Any

from .syntax import Context, Slip, quote

# Operators by how tightly they bind: a parenthesis matters where an operand's binds more loosely.
_LEVEL = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2, ast.Pow: 3}
_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


def _level(node: Any) -> int | None:
    return _LEVEL.get(type(node.op)) if isinstance(node, ast.BinOp) else None


def regrouped(node: Any, context: Context) -> Iterator[Slip]:
    """A binary operation one of whose operands is an operation that binds more loosely (its
    parentheses matter), with those parentheses moved: ``(a - b) * c`` read as ``a - (b * c)``
    and ``a * (b - c)`` as ``(a * b) - c``; and the reverse, a tighter operand's parentheses
    added around the looser operation: ``a - b * c`` read as ``(a - b) * c``. Not around a
    constant alone (``2 * (x - y)`` read as ``2 * x - y`` is a term, not a grouping), nor a
    power's constant exponent."""
    outer = _level(node)
    if outer is None:
        return
    left, right = node.left, node.right
    inner_left, inner_right = _level(left) or 0, _level(right) or 0
    # (a op1 b) op2 c  ->  a op1 (b op2 c), where op1 binds more loosely than op2
    if 0 < inner_left < outer and not _constant(left.right):
        after = ast.BinOp(left.left, left.op, ast.BinOp(left.right, node.op, right))
        yield node, after, "precedence", _text(node, after, context)
    # a op2 (b op1 c)  ->  (a op2 b) op1 c
    if 0 < inner_right < outer and not _constant(right.left):
        if not (isinstance(node.op, ast.Pow) and _constant(right)):
            after = ast.BinOp(ast.BinOp(left, node.op, right.left), right.op, right.right)
            yield node, after, "precedence", _text(node, after, context)
    # a op1 (b op2 c) with op2 binding tighter: the parentheses put around a op1 b instead
    if inner_right > outer and not _constant(right.left):
        after = ast.BinOp(ast.BinOp(left, node.op, right.left), right.op, right.right)
        yield node, after, "precedence", _text(node, after, context)
    yield from _other_convention(node, context)


def _other_convention(node: Any, context: Context) -> Iterator[Slip]:
    """A weighted mean ``(1 - w) * a + w * b`` read as ``alpha * a + (1 - alpha) * b`` with
    ``alpha = 1 - w``, its second weight's parenthesis misplaced: ``alpha * a + (1 - alpha * b)``
    (``b`` the other factors of the second term: ``w * var * n / (n - 1)`` has ``var * n / (n - 1)``)."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
        return
    first, second = node.left, node.right
    if not (isinstance(first, ast.BinOp) and isinstance(first.op, ast.Mult)):
        return
    weight = first.left
    if not (
        isinstance(weight, ast.BinOp)
        and isinstance(weight.op, ast.Sub)
        and _constant(weight.left, 1)
    ):
        return
    factors = _factors(second)
    rest = [f for f in factors if ast.dump(f) != ast.dump(weight.right)]
    if len(rest) != len(factors) - 1 or not rest:
        return
    new = rest[0]
    for factor in rest[1:]:
        new = ast.BinOp(new, ast.Mult(), factor)
    slipped = ast.BinOp(
        ast.Constant(1), ast.Sub(), ast.BinOp(copy.deepcopy(weight), ast.Mult(), new)
    )
    w = quote(weight.right, context.public) or "the new value's weight"
    yield (
        node,
        ast.BinOp(first, ast.Add(), slipped),
        "precedence",
        f"{_OTHER} alpha = 1 - {w}, the "
        "parenthesis of (1 - alpha) * new misplaced: alpha * old + (1 - alpha * new), where "
        "alpha * old + (1 - alpha) * new belongs",
    )


def _factors(node: Any) -> list:
    """The factors of a product (``a * b * c``), or the expression alone."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return _factors(node.left) + _factors(node.right)
    return [node]


def complement_base(node: Any, context: Context) -> Iterator[Slip]:
    """A power whose base is a hyperparameter (``beta1 ** t``) with the base's complement
    (``(1 - beta1) ** t``): the weight of the new value used where the decay belongs."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow)):
        return
    base = node.left
    if not (isinstance(base, ast.Name) and base.id in context.hyper) or _constant(node.right):
        return
    after = ast.BinOp(ast.BinOp(ast.Constant(1), ast.Sub(), base), ast.Pow(), node.right)
    name = f"`{base.id}`" if base.id in context.public else "a decay rate"
    yield (
        node,
        after,
        "argument",
        f"{_COMPLEMENT}{name} where the power of {name} belongs ((1 - {name}) ** t for "
        f"{name} ** t: a bias correction raising the new value's weight instead of the decay)",
    )


_COMPLEMENT = "the power of 1 - "
_OTHER = "a moving average written with the old value's weight"


def alike(kind: str, text: str) -> bool:
    """A slip of this module, which a learner makes alike in every expression of its form (both
    moments' corrections, both running statistics): :mod:`~.mutant` writes it into all of them at
    once too."""
    return kind == "precedence" or text.startswith(_COMPLEMENT)


def form(before: Any, after: Any, text: str) -> str:
    """What a slip is made alike in: the structure of the expression and of its slip with the
    names left out; any moving average, for one read in the other convention (its new value
    may have more factors in one than in another)."""
    if text.startswith(_OTHER):
        return _OTHER
    masked = [copy.deepcopy(before), copy.deepcopy(after)]
    for inner in (n for tree in masked for n in ast.walk(tree)):
        if isinstance(inner, ast.Name):
            inner.id = "_"
    return " -> ".join(ast.dump(tree) for tree in masked)


def together(texts: list[str]) -> str:
    """The text of one slip made in several expressions of one form."""
    return f"{texts[0]}, and alike in each expression of that form ({len(texts)} of them)"


def _text(before: Any, after: Any, context: Context) -> str:
    shown, meant = quote(after, context.public), quote(before, context.public)
    if shown and meant:
        return (
            f"{shown} where {meant} belongs: a parenthesis misplaced or left out, so operator "
            "precedence groups the expression another way (* and / bind before + and -, ** "
            "before both)"
        )
    outer = _SYMBOL[type(before.op)]
    return (
        f"a parenthesis misplaced or left out around a `{outer}`: operator precedence groups "
        "the expression another way (* and / bind before + and -, ** before both)"
    )


def _constant(node: Any, value: float | None = None) -> bool:
    if not isinstance(node, ast.Constant) or not isinstance(node.value, (int, float)):
        return False
    return value is None or node.value == value
