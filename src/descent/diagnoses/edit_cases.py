"""Edits for a case the docstring allows that the student's code does not take: a division by
what is 0 there (dropout's keep probability at p == 1, an L1 subgradient's ``w / abs(w)`` at
w == 0) given a value of its own, a refusal of it (``if not 0 < keep <= 1: raise``, an
``assert``) left out, and a case of its own for one value that the general path covers
(``if t != 1: return base_lr * gamma ** t`` then ``return base_lr``). No grader expects an
exercise to raise, so a refusal left out breaks no check the code passed. The rules are part of
:data:`descent.diagnoses.edit_rules.RULES`."""

from __future__ import annotations

import ast
import copy

from .edit_context import STABILITY
from .edit_nodes import Same, callee

ZERO = (
    "divides by `{}`, which is 0 in a case the docstring allows (a probability of 0, an entry "
    "that is 0): that case needs a value of its own"
)
REFUSED = "stops the code in a case the docstring allows, which it should compute instead"
# calls a divisor may make and still be written three times over: each gives the same value
_PURE = frozenset({"abs", "absolute", "sqrt", "norm", "sum", "max", "amax", "float"})


def zero_divisor(node, ctx):
    """``a / b`` where ``b`` is 0 in a case the docstring allows: the quotient made 0 where
    ``b`` is, and left as it is elsewhere (written so that a number, an array and a tensor all
    take it). No divisor with a stability term, a count read off a shape, or a call that may
    not give the same value twice."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)):
        return
    below = node.right
    if isinstance(below, ast.Constant) or not _may_be_zero(below):
        return
    zero = ast.Compare(copy.deepcopy(below), [ast.Eq()], [ast.Constant(0)])
    moved = ast.BinOp(copy.deepcopy(below), ast.Add(), zero)
    kept = ast.Compare(copy.deepcopy(below), [ast.NotEq()], [ast.Constant(0)])
    new = ast.BinOp(ast.BinOp(copy.deepcopy(node.left), ast.Div(), moved), ast.Mult(), kept)
    yield "zero", f"`{ctx.quote(node)}` {ZERO.format(ctx.quote(below))}", new


def _may_be_zero(node: ast.expr) -> bool:
    text = ast.unparse(node)
    if STABILITY.search(text) or "shape" in text or "size" in text or "len(" in text:
        return False
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
    return all(callee(c) in _PURE for c in calls)


def refusal(node, ctx):
    """An ``assert`` or an ``if`` whose whole body raises (with no ``else``): left out."""
    if isinstance(node, ast.Assert):
        said = f"`assert {ctx.quote(node.test)}`"
    elif _raises_only(node):
        said = f"the test `{ctx.quote(node.test)}` that raises"
    else:
        return
    yield "refusal", f"{said} {REFUSED}", ast.Pass()


def _raises_only(node: ast.AST) -> bool:
    if not (isinstance(node, ast.If) and not node.orelse):
        return False
    return all(isinstance(s, ast.Raise) for s in node.body)


OWN_CASE = "gives `{}` a case of its own, where the general formula holds for it too"


def own_case(node, ctx):
    """``if name == c`` (or ``!=``) for a whole number ``c``: the test made to take the general
    path always (``False`` for ``==``, ``True`` for ``!=``), the one value's branch never."""
    test = node.test if isinstance(node, ast.If) else None
    if not (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], (ast.Eq, ast.NotEq))
        and isinstance(test.left, (ast.Name, ast.Attribute))
        and isinstance(test.comparators[0], ast.Constant)
        and type(test.comparators[0].value) is int
    ):
        return
    general = isinstance(test.ops[0], ast.NotEq)
    new = copy.deepcopy(node)
    new.test = ast.Constant(general)
    case = f"{ctx.quote(test.left)} == {test.comparators[0].value}"
    yield "branch", f"`if {ctx.quote(test)}:` {OWN_CASE.format(case)}", new


BOTH = "also runs where {} holds: the two cases exclude each other, and only one belongs to run"


def both_branches(node, ctx):
    """Two ``if`` statements in a row of one block, neither with an ``else``, whose tests can
    both hold (``if m > 0:`` then ``if m > 0 and nesterov:``): each in turn made to skip where
    the other's test holds, as an ``elif`` (or a test of the other case first) would."""
    if not (node is ctx.function or isinstance(node, (ast.For, ast.If, ast.With))):
        return  # a block whose edit the search places at the statement changed
    for block in ("body", "orelse"):
        body = getattr(node, block, None)
        if not isinstance(body, list):
            continue
        for i in range(len(body) - 1):
            first, second = body[i], body[i + 1]
            if not (_plain_if(first) and _plain_if(second)):
                continue
            for index, runs, other in ((i, first, second), (i + 1, second, first)):
                changed = copy.copy(runs)
                changed.test = ast.BoolOp(
                    ast.And(), [runs.test, ast.UnaryOp(ast.Not(), copy.deepcopy(other.test))]
                )
                new = copy.copy(node)
                setattr(new, block, [*body[:index], changed, *body[index + 1 :]])
                said = f"`if {ctx.quote(runs.test)}:` {BOTH.format(f'`{ctx.quote(other.test)}`')}"
                yield "branch", said, new


def _plain_if(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and not node.orelse


FIRST = (
    "gives the first call a formula of its own ({}), where the general update from a state of "
    "zeros belongs"
)


def first_call(node, ctx):
    """``if key not in state:`` (or ``in``) with a first value of its own, ``state[key] = g``,
    and the general update in the other branch (``state[key] = m * state[key] - lr * g``):
    the first branch given the general update with the state it reads taken as 0, at once for
    every value both branches assign (Adam's two averages)."""
    test = node.test if isinstance(node, ast.If) else None
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and node.orelse):
        return
    if not isinstance(test.ops[0], (ast.In, ast.NotIn)):
        return
    first, general = (
        (node.body, node.orelse) if isinstance(test.ops[0], ast.NotIn) else (node.orelse, node.body)
    )
    updates = {_target(s): s.value for s in general if _target(s)}
    changed, quoted = [], []
    for s in first:
        key = _target(s)
        update = updates.get(key) if key else None
        if update is None or key not in {ast.unparse(n) for n in ast.walk(update)}:
            changed.append(s)
            continue
        changed.append(
            ast.Assign(
                s.targets,
                Same(ast.parse(key, mode="eval").body, ast.Constant(0)).visit(
                    copy.deepcopy(update)
                ),
            )
        )
        quoted.append(f"`{ctx.quote(s)}`")
    if not quoted:
        return
    new = copy.copy(node)
    if first is node.body:
        new.body = changed
    else:
        new.orelse = changed
    yield "branch", f"`if {ctx.quote(test)}:` {FIRST.format(' and '.join(quoted))}", new


def _target(statement: ast.stmt) -> str | None:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        return ast.unparse(statement.targets[0])
    return None
