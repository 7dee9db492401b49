"""What the slip rules read off the reference's syntax tree, before any slip is written.

:mod:`descent.diagnoses.mutant` parses the source of the reference's functions of an exercise
and hands each node of the tree, with a :class:`Context`, to the rules of the slips (those of
:data:`~.order.MUTANT_SLIPS`, in :mod:`~.formula`, :mod:`~.bookkeeping`, :mod:`~.backward` and
:mod:`~.regroup`), which yield ``(before, after, kind, text)`` (:data:`Slip`). The context says
what the rules cannot see from one node: the names a text may quote (what the student's stub
shows), the float hyperparameters, the names each statement assigns, the expressions inside a
backward and its operands' owners, the running totals (read from a state, carried through a
loop), the state's counters, the statements inside a loop and the names a loop carries, the
pieces a loop walks through and the sizes they are cut to. The helpers the rules share read
one node: its callee, whether it counts (``n``, ``x.shape[0]``), whether it names eps, its
source when the stub shows every name in it (:func:`quote`).
"""

from __future__ import annotations

import ast
import copy
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

COUNTS = ("n", "N", "d", "D", "m", "count", "size", "numel", "batch", "batch_size")


Slip = tuple[Any, Any, str, str]  # (before, after, kind, text)


@dataclass
class Context:
    """What the rules know of the code: the names a text may quote, the float
    hyperparameters, and for each expression the names its statement assigns."""

    public: set[str]
    hyper: set[str]
    assigned: dict[int, set[str]]
    backward: set[int]  # the expressions inside a function whose name says it is a backward
    totals: set[str]  # names that carry a value over calls or steps (read from a state, or
    # assigned in a loop), and attributes and items, which outlive the statement
    tensors: dict[int, list[str]]  # for a backward's expressions, its parameters and locals
    from_state: set[str]  # names assigned from a read of the state
    counters: dict[str, Any]  # the state's counters: key -> its read (state.get("step", 0))
    looped: set[int]  # the statements inside a loop
    carried: set[str]  # names set before a loop and set again inside it
    pieces: set[str]  # the names a for loop binds (each piece it walks through)
    sizes: set[str]  # parameters named as a size (batch_size): what pieces are cut to
    # for a backward's expressions, the names whose attributes it reads (``out`` of ``out.data``)
    quantities: dict[int, list[str]] = field(default_factory=dict)
    statements: dict[int, ast.stmt] = field(default_factory=dict)  # each expression's own


def context(tree: ast.Module, public: set[str], shared: frozenset[str] = frozenset()) -> Context:
    """What the rules know of ``tree``: ``public``, the names a text may quote; ``shared``, the
    exercise's hyperparameters, read as such where ``tree`` takes or unpacks one (a helper handed
    ``lr`` and ``alpha`` without their defaults)."""
    assigned: dict[int, set[str]] = {}
    for statement in ast.walk(tree):
        if isinstance(statement, ast.Assign):
            names = {ast.unparse(t) for t in statement.targets}
            for inner in ast.walk(statement.value):
                assigned[id(inner)] = names
    backward = {
        id(inner)
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef) and "backward" in fn.name
        for inner in ast.walk(fn)
    }
    tensors: dict[int, list[str]] = {}
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef) and "backward" in fn.name:
            local = [a.arg for a in fn.args.args] + [
                n.id
                for n in ast.walk(fn)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            ]
            for inner in ast.walk(fn):
                tensors[id(inner)] = list(dict.fromkeys(local))
    from_state = {
        t.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign) and reads_state(n.value)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    found = Context(
        public,
        *(
            hyperparameters(tree) | (shared & bound(tree)),
            assigned,
            backward,
            totals(tree),
            tensors,
            from_state,
        ),
        counters(tree),
        *loops(tree),
        {
            t.id
            for n in ast.walk(tree)
            if isinstance(n, ast.For)
            for t in ast.walk(n.target)
            if isinstance(t, ast.Name)
        },
        {
            a.arg
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef)
            for a in n.args.args
            if a.arg.endswith("size")
        },
    )
    found.quantities = quantities(tree)
    found.statements = {
        id(inner): statement
        for statement in ast.walk(tree)
        if isinstance(statement, (ast.Assign, ast.AugAssign, ast.Return, ast.Expr))
        for inner in ast.walk(statement)
    }
    return found


def public_names(owners: dict[str, Any]) -> set[str]:
    """Names a text may quote: the exercise functions' parameters and the words of their
    docstrings (what the student's own stub shows)."""
    names: set[str] = set()
    for obj in owners.values():
        if inspect.isfunction(obj):
            names |= set(inspect.signature(obj).parameters)
        for word in (inspect.getdoc(obj) or "").replace("*", " ").split():
            names.add(word.strip("`.,:;()[]"))
    return names


def quote(node: Any, public: set[str]) -> str | None:
    """``node`` as source when every name in it is one the student's stub shows."""
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    if names <= public and not any(isinstance(n, ast.Attribute) for n in ast.walk(node)):
        return f"`{ast.unparse(node)}`"
    return None


def callee(node: Any) -> str | None:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None


def count(node: Any) -> bool:
    """An expression that counts: a count-like name, a size (``x.shape[0]``, ``len(x)``,
    ``x.numel()``), or a product or difference of those."""
    if isinstance(node, ast.Name):
        return node.id in COUNTS or node.id.startswith(("n_", "num_"))
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
        return node.value.attr == "shape"
    if isinstance(node, ast.Call):  # a size, or the sum of the weights of a weighted mean
        return callee(node) in ("len", "numel", "size") or callee(node) == "sum" and not node.args
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Sub)):
        return count(node.left) and (count(node.right) or isinstance(node.right, ast.Constant))
    return False


def one(node: Any) -> bool:
    return isinstance(node, ast.Constant) and node.value == 1


def eps_name(node: Any) -> bool:
    return isinstance(node, ast.Name) and "eps" in node.id.lower()


def totals(tree: ast.Module) -> set[str]:
    """Names that carry a value from one call or step to the next: assigned from a read of a
    state (``state.get(...)``, ``state[...]``) or inside a loop."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.While)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Assign, ast.AugAssign)):
                    targets = inner.targets if isinstance(inner, ast.Assign) else [inner.target]
                    found |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.Assign) and reads_state(node.value):
            found |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return found


def reads_state(node: Any) -> bool:
    """``node`` reads an entry of a dict named like a state (``state.get(k)``, ``state[k]``)."""
    for inner in ast.walk(node):
        owner = None
        if isinstance(inner, ast.Call) and callee(inner) == "get":
            owner = getattr(inner.func, "value", None)
        elif isinstance(inner, ast.Subscript):
            owner = inner.value
        if isinstance(owner, ast.Name) and "state" in owner.id:
            return True
    return False


def loops(tree: ast.Module) -> tuple[set[int], set[str]]:
    """The statements inside a loop, and the names a loop carries: set by a statement before the
    loop (in the same body) and set again inside it."""
    looped: set[int] = set()
    carried: set[str] = set()
    for body in (n.body for n in ast.walk(tree) if hasattr(n, "body") and isinstance(n.body, list)):
        before: set[str] = set()
        for statement in body:
            if isinstance(statement, (ast.For, ast.While)):
                inner = {id(n) for n in ast.walk(statement)} - {id(statement)}
                looped |= inner
                carried |= before & stored(statement)
            elif isinstance(statement, ast.Assign):
                before |= stored(statement)
    return looped, carried


def stored(node: Any) -> set[str]:
    return {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


def counters(tree: ast.Module) -> dict[str, Any]:
    """The counters a state holds: each ``state.get("key", <int>)`` read, by its key."""
    found: dict[str, Any] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and callee(node) == "get" and reads_state(node)):
            continue
        key, start = node.args if len(node.args) == 2 else (None, None)
        if (
            isinstance(key, ast.Constant)
            and isinstance(key.value, str)
            and isinstance(start, ast.Constant)
            and isinstance(start.value, int)
        ):
            found.setdefault(key.value, node)
    return found


def shared_hyperparameters(trees: dict[str, ast.Module], owners: set[str]) -> frozenset[str]:
    """The float hyperparameters of the exercise's own functions (``owners``: their defaults
    say so), and the names any of ``trees`` unpacks from one of them (``beta1, beta2 = betas``)."""
    found: set[str] = set()
    for name in owners & set(trees):
        found |= hyperparameters(trees[name])
    tuples = set()
    for name in owners & set(trees):
        for fn in (n for n in ast.walk(trees[name]) if isinstance(n, ast.FunctionDef)):
            defaults = list(fn.args.defaults) + list(fn.args.kw_defaults)
            args = (fn.args.args[len(fn.args.args) - len(fn.args.defaults) :]) + list(
                fn.args.kwonlyargs
            )
            tuples |= {a.arg for a, d in zip(args, defaults) if isinstance(d, ast.Tuple)}
    for tree in trees.values():
        found |= unpacked(tree, tuples)
    return frozenset(n for n in found if "eps" not in n.lower())


def bound(tree: ast.Module) -> set[str]:
    """The names ``tree``'s functions take as parameters or assign."""
    names = {
        a.arg
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef)
        for a in fn.args.args + fn.args.kwonlyargs
    }
    return names | stored(tree)


def hyperparameters(tree: ast.Module) -> set[str]:
    """The float hyperparameters of the functions in ``tree``: parameters whose default is a
    float (or a tuple of floats, as ``betas``), and the names unpacked from those."""
    found: set[str] = set()
    tuples: set[str] = set()
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        args = fn.args.args + fn.args.kwonlyargs
        defaults = [None] * (len(fn.args.args) - len(fn.args.defaults)) + list(fn.args.defaults)
        defaults += list(fn.args.kw_defaults)
        for arg, default in zip(args, defaults):
            if isinstance(default, ast.Constant) and isinstance(default.value, float):
                found.add(arg.arg)
            elif isinstance(default, ast.Tuple) and all(
                isinstance(e, ast.Constant) and isinstance(e.value, float) for e in default.elts
            ):
                tuples.add(arg.arg)
    found |= unpacked(tree, tuples)
    return found - {n for n in found if "eps" in n.lower()}


def unpacked(tree: ast.Module, tuples: set[str]) -> set[str]:
    """The names ``tree`` unpacks from one of ``tuples`` (``beta1, beta2 = betas``)."""
    return {
        e.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Name)
        and node.value.id in tuples
        and isinstance(node.targets[0], ast.Tuple)
        for e in node.targets[0].elts
        if isinstance(e, ast.Name)
    }


def quantities(tree: ast.Module) -> dict[int, list[str]]:
    """For each attribute of a plain name that is an operand of a formula (``self.data`` in
    ``1 / self.data``) inside a function named like a backward, the names whose attributes that
    function reads (``self``, ``out``): the objects its formulas are written in (an innermost
    backward wins: a ``_backward`` closure inside a method). A walk's bookkeeping
    (``node._children``) is no formula's operand."""
    found: dict[int, list[str]] = {}
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef) and "backward" in fn.name:
            owners = [
                n.value.id
                for n in ast.walk(fn)
                if isinstance(n, ast.Attribute)
                and isinstance(n.value, ast.Name)
                and isinstance(n.ctx, ast.Load)
            ]
            for inner in ast.walk(fn):
                operands = (
                    [inner.left, inner.right]
                    if isinstance(inner, ast.BinOp)
                    else [inner.operand]
                    if isinstance(inner, ast.UnaryOp)
                    else []
                )
                for operand in operands:
                    found[id(operand)] = list(dict.fromkeys(owners))
    return found


class Sources:
    """``ast.unparse`` of nodes, each read once: the source of a node costs its whole subtree, and
    :func:`substituted` compares every node of a tree as source, once per slip written into it. For
    trees that do not change while it is in use (it keeps each node it read, so an id stays its
    node's)."""

    def __init__(self) -> None:
        self._read: dict[int, tuple[ast.AST, str]] = {}

    def __call__(self, node: ast.AST) -> str:
        known = self._read.get(id(node))
        if known is None:
            known = self._read[id(node)] = (node, ast.unparse(node))
        return known[1]


def substituted(
    node: ast.AST,
    pairs: list[tuple[ast.AST, ast.AST]],
    source: Callable[[ast.AST], str] = ast.unparse,
) -> ast.AST:
    """``node`` with every occurrence of each ``before`` (compared as source, read by ``source``)
    replaced by a copy of its ``after``. ``node`` is left as it was: the nodes above a replacement
    are new, and what no replacement touches is shared with ``node`` (a slip changes one
    expression of a whole function: copying the rest for each slip cost more than the slip), so
    neither tree may be changed in place afterwards."""
    wanted = {source(before): after for before, after in pairs}
    return _replaced_in(node, wanted, source)


def _replaced_in(
    node: ast.AST, wanted: dict[str, ast.AST], source: Callable[[ast.AST], str]
) -> ast.AST:
    if isinstance(node, (ast.expr, ast.stmt)):
        after = wanted.get(source(node))
        # (a statement that is one call reads like that call: replace like with like)
        if after is not None and isinstance(after, ast.stmt) == isinstance(node, ast.stmt):
            return copy.deepcopy(after)
    fields = dict(ast.iter_fields(node))
    new = {name: _replaced_value(value, wanted, source) for name, value in fields.items()}
    if all(_same(new[name], value) for name, value in fields.items()):
        return node
    where = {a: getattr(node, a) for a in node._attributes if hasattr(node, a)}
    return type(node)(**new, **where)


def _replaced_value(
    value: Any, wanted: dict[str, ast.AST], source: Callable[[ast.AST], str]
) -> Any:
    if isinstance(value, list):
        return [_replaced_value(v, wanted, source) for v in value]
    return _replaced_in(value, wanted, source) if isinstance(value, ast.AST) else value


def _same(new: Any, old: Any) -> bool:
    if isinstance(old, list):
        return all(a is b for a, b in zip(new, old))
    return new is old
