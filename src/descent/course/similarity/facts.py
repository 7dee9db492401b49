"""What one Python statement does, as :mod:`.normalize` needs it to drop dead code and to order
independent statements: the names it reads, the names it binds or changes, and whether it has
an effect that the names do not show (it returns, raises, yields, calls something for its
effect, binds a global, or changes an object that does not belong to this scope: a method
call changes its object, and only a new list, dict or set made here is known to hold nothing
else).

The analysis is by name and flow-insensitive, like the token semantics of JPlag's normalization
(Sağlam 2025): a statement that binds a name which nothing kept reads is dead, whatever its
position. It only decides what is fingerprinted; no code is ever changed or run.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

# Built-in functions that only compute a value: a statement that calls nothing else and binds
# nothing does nothing. ``print`` is here too: grading never reads what a submission prints.
PURE_CALLS = frozenset(
    "abs all any bool callable dict divmod enumerate float format frozenset getattr hasattr "
    "hash id int isinstance issubclass iter len list max min print range repr reversed round "
    "set slice sorted str sum tuple type zip".split()
)
TERMINAL = (ast.Return, ast.Raise, ast.Break, ast.Continue)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@dataclass
class Facts:
    """``reads``: names read when the statement runs; ``writes``: names it binds, or whose
    object it changes (``x[i] = v``, ``x.append(v)`` change ``x``); ``later``: names read by the
    functions it defines, when they are called; ``effect``: it matters even if nothing reads
    what it writes."""

    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    later: set[str] = field(default_factory=set)
    effect: bool = False

    def add(self, other: Facts) -> None:
        self.reads |= other.reads
        self.writes |= other.writes
        self.later |= other.later
        self.effect |= other.effect


@dataclass(frozen=True)
class Names:
    """The names of a scope: ``local``, bound here (changing one of their objects is a write to
    it, changing any other object an effect); ``fresh``, locals only ever bound to a new list,
    dict or set (calling their methods changes nothing else); ``outer``, declared ``global`` or
    ``nonlocal`` (binding one is an effect)."""

    local: frozenset[str]
    fresh: frozenset[str] = frozenset()
    outer: frozenset[str] = frozenset()


def scope_names(block: list[ast.stmt], params: frozenset[str] = frozenset()) -> Names:
    """The :class:`Names` of a scope whose statements are ``block``, without descending into
    the functions and classes it defines (a function's parameters belong to its caller)."""
    bound: set[str] = set()
    outer: set[str] = set()
    fresh: set[str] = set()
    other: set[str] = set()
    todo: list[ast.AST] = list(block)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            outer.update(node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
            other.add(node.name)
            continue
        elif isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            (fresh if _new_container(node.value) else other).update(names)
            bound.update(names)
            todo.extend(t for t in node.targets if not isinstance(t, ast.Name))
            todo.append(node.value)
            continue
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
            other.add(node.id)  # bound some other way: a loop, ``with``, ``:=``, ``+=`` ...
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        if not isinstance(node, (ast.Lambda,) + _COMPREHENSIONS):
            todo.extend(ast.iter_child_nodes(node))
    local = frozenset(bound - outer - params)
    return Names(local, frozenset(fresh - other) & local, frozenset(outer))


def _new_container(value: ast.expr) -> bool:
    if isinstance(value, (ast.List, ast.Dict, ast.Set) + _COMPREHENSIONS[:3]):
        return True
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id in ("list", "dict", "set")
        and not any(has_effect(a) for a in value.args)
    )


def of_header(node: ast.stmt, names: Names) -> Facts:
    """The facts of ``node`` without the statements of its blocks (those are items of their
    own): for ``for x in xs:`` it reads ``xs`` and binds ``x``; for ``def f():`` it binds
    ``f`` and reads its decorators and defaults now. ``names``: the scope's."""
    walker = _Walker(names)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        parts: list[ast.AST] = list(node.decorator_list)
        if isinstance(node, ast.ClassDef):
            parts += node.bases + [k.value for k in node.keywords]
        else:
            parts += node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
        for part in parts:
            walker.visit(part)
        walker.facts.writes.add(node.name)
        return walker.facts
    if isinstance(node, ast.Expr):
        walker.statement_call(node.value)
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            if alias.name == "*":
                walker.facts.effect = True
            walker.facts.writes.add((alias.asname or alias.name).split(".")[0])
    elif isinstance(node, (ast.Global, ast.Nonlocal, ast.Assert) + TERMINAL):
        walker.facts.effect = True
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        walker.facts.reads.add(node.target.id)
    for name, value in ast.iter_fields(node):
        if name in ("body", "orelse", "finalbody", "handlers", "cases"):
            continue  # the blocks: items of their own
        for part in value if isinstance(value, list) else [value]:
            if isinstance(part, ast.AST):
                walker.visit(part)
    return walker.facts


def has_effect(expr: ast.expr) -> bool:
    """Whether evaluating ``expr`` on its own can matter: it calls something other than a pure
    built-in, awaits, yields, or binds a name (``:=``)."""
    for node in ast.walk(expr):
        if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
            return True
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in PURE_CALLS
        ):
            return True
    return False


class _Walker(ast.NodeVisitor):
    """Collects the facts of the expressions and targets of one statement."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self.facts = Facts()

    def statement_call(self, value: ast.expr) -> None:
        """An expression statement is there for its effect; a method call on a local object
        (``history.append(x)``) also changes that object, and when the object is a fresh
        container that is all it does."""
        self.facts.effect = has_effect(value)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
            self._changed(value.func.value)
            base = value.func.value
            if isinstance(base, ast.Name) and base.id in self.names.fresh:
                arguments = value.args + [k.value for k in value.keywords]
                self.facts.effect = any(has_effect(a) for a in arguments)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.facts.reads.add(node.id)
        else:
            self.facts.writes.add(node.id)
            self.facts.effect |= node.id in self.names.outer

    def _suspends(self, node: ast.Await | ast.Yield | ast.YieldFrom) -> None:
        """Awaiting or yielding hands control to someone else: an effect wherever it is."""
        self.facts.effect = True
        self.generic_visit(node)

    visit_Await = visit_Yield = visit_YieldFrom = _suspends

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if not isinstance(node.ctx, ast.Load):
            self._changed(node.value)
        self.visit(node.value)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if not isinstance(node.ctx, ast.Load):
            self._changed(node.value)
        self.visit(node.value)
        self.visit(node.slice)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.target)
        self.visit(node.value)

    def _changed(self, target: ast.expr) -> None:
        while isinstance(target, (ast.Attribute, ast.Subscript)):
            target = target.value
        if isinstance(target, ast.Name) and target.id in self.names.local:
            self.facts.writes.add(target.id)
        else:  # an argument, a global or a call's result: seen outside this scope
            self.facts.effect = True

    def _comprehension(self, node) -> None:
        """Its loop variables are its own: only what it reads counts."""
        for gen in node.generators:
            self.visit(gen.iter)
            for cond in gen.ifs:
                self._loads(cond)
        for part in ("elt", "key", "value"):
            if hasattr(node, part):
                self._loads(getattr(node, part))

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for default in node.args.defaults:
            self.visit(default)
        self.facts.later |= loads(node.body)

    def _loads(self, node: ast.AST) -> None:
        self.facts.reads |= loads(node)


def loads(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
