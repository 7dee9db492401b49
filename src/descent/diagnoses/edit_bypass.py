"""Edits that pass the checks by going around the student's own code, which a repair search
leaves out.

A function that returns what the module's other functions compute (a wrapper, a layer's
``forward`` that calls the student's ``softmax``) can be made to pass by an edit that stops
returning their result: a name swapped for another variable that holds a value computed
elsewhere. Every check then passes, and the words would blame a line that only carried the
mistake made further in. :func:`bypasses` tells such an edit: a value the function returns
depends on a call of one of the module's own functions before the edit and not after it.
Dependence is read from the names a function assigns (any assignment to a plain name, in any
order), so that ``loss = sum(per)`` depends on ``per = [own(z) for z in zs]``.
"""

from __future__ import annotations

import ast
from collections.abc import Collection


def bypasses(original: ast.AST, edited: ast.AST | None, own: Collection[str]) -> bool:
    """Whether some returned value of ``edited`` (a copy of the function ``original`` with one
    edit) no longer comes through a call of a function named in ``own`` (the module's
    functions) where ``original``'s did: each ``return`` is read in order and, for a tuple,
    item by item (``return loss, kept`` swapped to ``return kept, loss`` stops returning the
    learner's ``loss`` first). ``False`` when ``edited`` is ``None`` (an edit without its tree)."""
    if edited is None:
        return False
    after = _returned(edited, own)
    return any(was and not after.get(slot, True) for slot, was in _returned(original, own).items())


def _returned(fn: ast.AST, own: Collection[str]) -> dict[tuple[int, int], bool]:
    """For each returned value of ``fn`` (the ``return``'s place in walk order, the item of a
    tuple), whether it is computed through a call of ``own``."""
    tainted = _tainted(fn, own)
    returns = [n.value for n in ast.walk(fn) if isinstance(n, ast.Return) and n.value is not None]
    return {
        (i, j): _reads(item, tainted, own)
        for i, value in enumerate(returns)
        for j, item in enumerate(value.elts if isinstance(value, ast.Tuple) else [value])
    }


def _tainted(fn: ast.AST, own: Collection[str]) -> set[str]:
    """The names ``fn`` assigns from a call of ``own`` or from such a name, to a fixed point."""
    assigns = [(targets, value) for node in ast.walk(fn) for targets, value in _assignments(node)]
    tainted: set[str] = set()
    grew = True
    while grew:
        grew = False
        for targets, value in assigns:
            if not targets <= tainted and _reads(value, tainted, own):
                tainted |= targets
                grew = True
    return tainted


def _assignments(node: ast.AST) -> list[tuple[set[str], ast.AST]]:
    if isinstance(node, ast.Assign):
        names = {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        return [(names, node.value)]
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)) and node.value is not None:
        names = {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        return [(names, node.value)]
    if isinstance(node, ast.For):
        names = {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        return [(names, node.iter)]
    return []


def _reads(expr: ast.AST, tainted: set[str], own: Collection[str]) -> bool:
    for node in ast.walk(expr):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in tainted:
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in own:
            return True
    return False
