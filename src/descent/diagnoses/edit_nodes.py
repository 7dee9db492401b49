"""Small helpers the repair search's edit rules share: reading a call (its callee, a number, a
square root) and writing a changed copy of one (its arguments or keywords replaced). Nothing here
reads a whole function; the rules are :mod:`descent.diagnoses.edit_rules` and
:mod:`descent.diagnoses.edit_stable`.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from typing import cast

ROOTS = frozenset({"sqrt"})
AXIS_KEYWORDS = frozenset({"axis", "dim"})
# the binary operations whose grouping an edit moves, by how tightly each binds
PRECEDENCE = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2, ast.MatMult: 2, ast.Pow: 3}
LIBRARIES = frozenset({"np", "numpy", "torch", "jnp"})  # `np.max(x)`: x is the first argument
CLIPS = frozenset({"clip", "clamp", "clip_"})  # the calls that clip a value to bounds


def callee(node: ast.Call) -> str | None:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def is_number(node: ast.AST, value: float) -> bool:
    return (
        isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value == value
    )


def is_rooted(node: ast.AST) -> bool:
    if isinstance(node, ast.Call) and callee(node) in ROOTS:
        return True
    return (
        isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and is_number(node.right, 0.5)
    )


def root_of_power(node: ast.AST) -> ast.AST:
    # a power, not a library's sqrt: works on floats, NumPy arrays and tensors alike
    return ast.BinOp(cast(ast.expr, node), ast.Pow(), ast.Constant(0.5))


def symbol(op: ast.operator) -> str:
    return {
        ast.Add: "+",
        ast.Sub: "-",
        ast.Mult: "*",
        ast.Div: "/",
        ast.FloorDiv: "//",
        ast.MatMult: "@",
    }.get(type(op), "?")


def movable(stmt: ast.stmt) -> bool:
    return isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr))


def with_keyword(node: ast.Call, i: int, kw: ast.keyword) -> ast.Call:
    keywords = list(node.keywords)
    keywords[i] = kw
    return ast.Call(node.func, node.args, keywords)


def method_call(node: ast.Call) -> bool:
    """``x.max()`` rather than ``np.max(x)``: the reduced array is the call's owner."""
    owner = node.func.value if isinstance(node.func, ast.Attribute) else None
    return not (isinstance(owner, ast.Name) and owner.id in LIBRARIES)


def with_keywords(node: ast.Call, **values: ast.expr | int | bool) -> ast.Call:
    # NumPy's spellings: torch takes `axis` and `keepdims` for its reductions too
    added = [
        ast.keyword(k, v if isinstance(v, ast.expr) else ast.Constant(v)) for k, v in values.items()
    ]
    return ast.Call(node.func, node.args, [*node.keywords, *added])


def without(node: ast.Call, i: int) -> ast.Call:
    return ast.Call(node.func, node.args, [k for j, k in enumerate(node.keywords) if j != i])


def with_args(node: ast.Call, args: list) -> ast.Call:
    return ast.Call(node.func, args, node.keywords)


def right_spine(node: ast.expr) -> Iterator[ast.BinOp]:
    """``node`` and its right-hand operands, down while each is an operation of
    :data:`PRECEDENCE`: the places a term written after them could group with."""
    while isinstance(node, ast.BinOp) and type(node.op) in PRECEDENCE:
        yield node
        node = node.right


def grouped_at(top: ast.BinOp, at: ast.BinOp, op: ast.operator, term: ast.expr) -> ast.expr:
    """A copy of ``top`` with ``at`` (a node of its right-hand spine) given ``op term`` on its
    right operand: ``k * a ** k`` with ``- 1`` at ``a ** k`` gives ``k * a ** (k - 1)``."""
    if top is at:
        return ast.BinOp(at.left, at.op, ast.BinOp(at.right, op, term))
    return ast.BinOp(top.left, top.op, grouped_at(cast(ast.BinOp, top.right), at, op, term))


# The calls that compute with numbers (a formula's parts), as against ones that only convert,
# move or reshape values (`t.detach().cpu().numpy()`, `torch.movedim(...)`).
_NUMERIC = frozenset(
    "abs clip clamp cumsum diag dot einsum exp expm1 log log1p log2 log10 logsumexp matmul max "
    "maximum mean min minimum mm norm outer power prod sigmoid softmax log_softmax sqrt square "
    "std sum tanh var where".split()
)


def computes(fn: ast.AST) -> bool:
    """``fn`` writes arithmetic (an operator, a minus sign, ``x += ...``) or calls something that
    computes with numbers: a function with a formula whose sign a slip could drop."""
    return any(
        isinstance(n, (ast.BinOp, ast.AugAssign))
        or (isinstance(n, ast.UnaryOp) and not isinstance(n.operand, ast.Constant))  # not `-1`
        or (isinstance(n, ast.Call) and callee(n) in _NUMERIC)
        for n in ast.walk(fn)
    )


class Same(ast.NodeTransformer):
    """Every node written as ``old`` replaced by ``new``."""

    def __init__(self, old: ast.AST, new: ast.AST):
        self.old, self.new = ast.dump(old), new

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if ast.dump(node) == self.old:
            return ast.copy_location(copy.deepcopy(self.new), node)
        return super().generic_visit(node)
