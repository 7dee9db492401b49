"""Edits that pass the checks by going around the student's own code, which a repair search
leaves out.

A function that returns what the module's other functions compute (a wrapper, a layer's
``forward`` that calls the student's ``softmax``) can be made to pass by an edit that stops
returning their result: a name swapped for another variable that holds a value computed
elsewhere. Every check then passes, and the words would blame a line that only carried the
mistake made further in. :func:`bypasses` tells such an edit: a value the function returns
is computed through a call of one of the module's own functions before the edit and not after
it (a wrapper's other value may come from another of the module's functions: the learner's
code kept under a second name beside the course's).
Dependence is read from the names a function assigns (any assignment to a plain name, in any
order), so that ``loss = sum(per)`` depends on ``per = [own(z) for z in zs]``.
"""

from __future__ import annotations

import ast
from collections.abc import Collection


def bypasses(original: ast.AST, edited: ast.AST | None, own: Collection[str]) -> bool:
    """Whether some returned value of ``edited`` (a copy of the function ``original`` with one
    edit) no longer comes through a call of a function named in ``own`` (the module's
    functions) that ``original``'s came through: each ``return`` is read in order and, for a
    tuple, item by item (``return loss, kept`` swapped to ``return kept, loss`` stops returning
    what the learner's function computed first). ``False`` when ``edited`` is ``None`` (an
    edit without its tree)."""
    if edited is None:
        return False
    after = _returned(edited, own)
    return any(not was <= after.get(slot, was) for slot, was in _returned(original, own).items())


def _returned(fn: ast.AST, own: Collection[str]) -> dict[tuple[int, int], frozenset[str]]:
    """For each returned value of ``fn`` (the ``return``'s place in walk order, the item of a
    tuple), the functions of ``own`` it is computed through."""
    deps = _dependencies(fn, own)
    returns = [n.value for n in ast.walk(fn) if isinstance(n, ast.Return) and n.value is not None]
    return {
        (i, j): _reads(item, deps, own)
        for i, value in enumerate(returns)
        for j, item in enumerate(value.elts if isinstance(value, ast.Tuple) else [value])
    }


def _dependencies(fn: ast.AST, own: Collection[str]) -> dict[str, frozenset[str]]:
    """For each name ``fn`` assigns, the functions of ``own`` its values are computed through,
    directly or through other names (to a fixed point, in any order of the assignments)."""
    assigns = [pair for node in ast.walk(fn) for pair in _assignments(node)]
    deps: dict[str, frozenset[str]] = {}
    grew = True
    while grew:
        grew = False
        for targets, value in assigns:
            through = _reads(value, deps, own)
            for name in targets:
                if not through <= deps.get(name, frozenset()):
                    deps[name] = deps.get(name, frozenset()) | through
                    grew = True
    return deps


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


def _reads(expr: ast.AST, deps: dict[str, frozenset[str]], own: Collection[str]) -> frozenset[str]:
    """The functions of ``own`` that ``expr`` calls or reads a value computed through."""
    found: set[str] = set()
    for node in ast.walk(expr):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            found |= deps.get(node.id, frozenset())
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in own:
            found.add(node.func.id)
    return frozenset(found)
