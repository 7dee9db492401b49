"""What does not compute, taken out of a module's syntax tree before its canonical form is made
(:mod:`.normalize`): the wrappers a copy is hidden in, and the helpers it is cut into. Each
rewrite keeps what the module computes; it only decides what is fingerprinted (the tree is
rewritten in place: the caller parses the text again for anything else):

* a ``try`` whose every handler only raises again what it caught (``except E: raise``) and
  whose ``finally``, if any, does nothing, is its body followed by its ``else``;
* a ``with`` of contexts that do nothing (``contextlib.nullcontext()``, ``contextlib.suppress()``
  with no exception named) is its body (``with nullcontext(v) as t`` first binds ``t = v``);
* a helper of the module (not one the kit calls) is inlined wherever a statement calls it as
  the whole of it (``return h(a, b)``, ``x = h(a, b)``, ``h(a, b)``): its parameters bound to
  the arguments, then its body, a final ``return e`` becoming ``x = e``; it goes when nothing
  names it any more. A function split in two, a helper inlined by hand (at some of its calls or
  all) and a function that only forwards its arguments to another then take one form. Copies
  of a helper called more than once are bounded: the tree grows to twice its size at most;
* a name that is only ever written, never read (a module-level list only appended to, a counter
  only incremented through ``global``), goes with every statement that writes it.

Nested wrappers are unwrapped at any depth without recursion (a worklist), so code nested deeper
than the interpreter's recursion limit costs no more than its size.
"""

from __future__ import annotations

import ast
import copy
from collections import Counter
from collections.abc import Collection

from . import facts

_BLOCKS = ("body", "orelse", "finalbody")
ROUNDS = 6  # rounds of inlining (helpers nested this deep) and of dropping names


def simplify(tree: ast.Module, exported: Collection[str]) -> ast.Module:
    """``tree`` without what does not compute (see the module's docstring), rewritten in place;
    ``exported``: the names the kit calls, never inlined or dropped."""
    contexts = _no_op_contexts(tree)
    for node in list(ast.walk(tree)):
        for name in _fields(node):
            setattr(node, name, _flattened(getattr(node, name), contexts))
    names = set(exported)
    for _ in range(ROUNDS):
        if not _drop_write_only(tree, names):
            break
    if _inline(tree, names):
        for _ in range(ROUNDS):
            if not _drop_write_only(tree, names):
                break
    return tree


def _fields(node: ast.AST) -> list[str]:
    """The statement blocks of ``node`` (``body``, ``orelse``, ``finalbody``)."""
    return [
        name
        for name in _BLOCKS
        if isinstance(getattr(node, name, None), list)
        and all(isinstance(s, ast.stmt) for s in getattr(node, name))
    ]


# -- try and with that do nothing ----------------------------------------------------------------
def _no_op_contexts(tree: ast.Module) -> dict[str, set[str]]:
    """The names that mean ``contextlib`` and its ``nullcontext`` and ``suppress`` here."""
    found: dict[str, set[str]] = {"module": set(), "nullcontext": set(), "suppress": set()}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found["module"] |= {a.asname or a.name for a in node.names if a.name == "contextlib"}
        elif isinstance(node, ast.ImportFrom) and node.module == "contextlib":
            for alias in node.names:
                if alias.name in ("nullcontext", "suppress"):
                    found[alias.name].add(alias.asname or alias.name)
    return found


def _flattened(block: list[ast.stmt], contexts: dict[str, set[str]]) -> list[ast.stmt]:
    """``block`` with every wrapper that does nothing replaced by what it wraps, however deep
    they are nested in one another."""
    out: list[ast.stmt] = []
    todo = list(reversed(block))
    while todo:
        statement = todo.pop()
        inner = _unwrapped(statement, contexts)
        if inner is None:
            out.append(statement)
        else:
            todo.extend(reversed(inner))
    if block and not out:
        return [_pass_at(block[0])]
    return out


def _unwrapped(node: ast.stmt, contexts: dict[str, set[str]]) -> list[ast.stmt] | None:
    """What ``node`` comes to when it is a wrapper that does nothing, else None."""
    if isinstance(node, ast.Try) and _only_reraises(node):
        return node.body + node.orelse
    if isinstance(node, ast.With) and node.items:
        bound: list[ast.stmt] = []
        for item in node.items:
            value = _no_op_value(item.context_expr, contexts)
            if value is None:
                return None
            if item.optional_vars is not None:
                bound.append(ast.copy_location(ast.Assign([item.optional_vars], value), node))
        return bound + node.body
    return None


def _only_reraises(node: ast.Try) -> bool:
    """Every handler raises again what it caught, and the ``finally`` does nothing."""
    if any(not isinstance(s, ast.Pass) for s in node.finalbody):
        return False
    for handler in node.handlers:
        body = [s for s in handler.body if not isinstance(s, ast.Pass)]
        if not (len(body) == 1 and isinstance(body[0], ast.Raise) and body[0].cause is None):
            return False
        again = body[0].exc
        if not (
            again is None
            or (isinstance(again, ast.Name) and handler.name and again.id == handler.name)
        ):
            return False
    return bool(node.handlers or node.finalbody)


def _no_op_value(expr: ast.expr, contexts: dict[str, set[str]]) -> ast.expr | None:
    """The value a context that does nothing gives to ``as`` (``nullcontext(v)``: ``v``), or
    None when ``expr`` is not such a context."""
    if not isinstance(expr, ast.Call):
        return None
    func = expr.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        kind = func.attr if func.value.id in contexts["module"] else None
    elif isinstance(func, ast.Name):
        kind = next((k for k in ("nullcontext", "suppress") if func.id in contexts[k]), None)
    else:
        kind = None
    if kind == "nullcontext" and len(expr.args) <= 1 and not expr.keywords:
        return expr.args[0] if expr.args else ast.Constant(None)
    if kind == "suppress" and not (expr.args or expr.keywords):
        return ast.Constant(None)
    return None


def _pass_at(node: ast.stmt) -> ast.stmt:
    return ast.copy_location(ast.Pass(), node)


# -- helpers inlined where a statement calls them -------------------------------------------
def _inline(tree: ast.Module, exported: set[str]) -> bool:
    """Inline a helper wherever a whole statement outside every helper calls it, round after
    round (a helper that only another helper calls is reached once its caller was inlined,
    ``ROUNDS`` levels deep); whether any was. A helper called once moves to its caller; one
    called more often is copied to each statement that calls it while the budget lasts (as many
    AST nodes as the tree had), so the tree never grows past twice its size. A helper nothing
    names any more is removed. Helpers are never inlined into one another, so their bodies do
    not change and what each names is counted once."""
    helpers = {
        n.name: n
        for n in tree.body
        if isinstance(n, ast.FunctionDef) and _inlinable(n) and n.name not in exported
    }
    if not helpers:
        return False
    inner = {name: _named(h.body, helpers) for name, h in helpers.items()}
    sizes = {name: _size(h) for name, h in helpers.items()}
    uses = _named([tree], helpers)
    budget, changed = _size(tree), False
    removed: set[str] = set()
    for _ in range(ROUNDS):
        outside = [
            n for n in tree.body if not (isinstance(n, ast.FunctionDef) and n.name in helpers)
        ]
        before = changed
        for node in [tree, *(n for top in outside for n in ast.walk(top))]:
            for field in _fields(node):
                out = []
                for statement in getattr(node, field):
                    name = getattr(_called(statement), "id", "")
                    cost = 0 if uses[name] == 1 else sizes.get(name, 0)
                    body = None
                    if name in helpers and name not in removed and cost <= budget:
                        body = _inlined(statement, helpers[name])
                    if body is None:
                        out.append(statement)
                        continue
                    out.extend(body)
                    uses[name] -= 1
                    uses.update(_named(body, helpers))
                    budget -= cost
                    changed = True
                setattr(node, field, out)
        _remove_unused(tree, helpers, uses, inner, removed)
        if changed == before:
            break
    return changed


def _named(nodes: list, helpers: dict) -> Counter[str]:
    """How many times ``nodes`` (and what they hold) name each helper."""
    return Counter(
        n.id
        for node in nodes
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and n.id in helpers
    )


def _remove_unused(tree: ast.Module, helpers: dict, uses: Counter, inner: dict, removed: set):
    """Take out the helpers nothing names any more (and the names their bodies held)."""
    todo = [name for name in helpers if uses[name] <= 0 and name not in removed]
    while todo:
        name = todo.pop()
        removed.add(name)
        for other, count in inner[name].items():
            uses[other] -= count
            if uses[other] <= 0 and other not in removed and other not in todo:
                todo.append(other)
    gone = {id(helpers[name]) for name in removed}
    tree.body = [n for n in tree.body if id(n) not in gone]


def _size(node: ast.AST) -> int:
    return sum(1 for _ in ast.walk(node))


def _inlinable(node: ast.stmt) -> bool:
    """A plain function: named parameters (defaults allowed, no ``*args`` or ``**kwargs``), no
    decorator, nothing that only a function of its own can do (``yield``, ``global``,
    ``nonlocal``, ``await``)."""
    if not isinstance(node, ast.FunctionDef) or node.decorator_list:
        return False
    if node.args.vararg or node.args.kwarg or node.args.posonlyargs:
        return False
    special = (ast.Yield, ast.YieldFrom, ast.Global, ast.Nonlocal, ast.Await)
    return not any(isinstance(n, special) for n in ast.walk(node))


def _called(statement: ast.stmt) -> ast.Name | None:
    """The function's name, when ``statement`` is a plain call of a named function as the
    whole of it (``return f(a)``, ``x = f(a, b=c)``, ``f(a)``)."""
    value = getattr(statement, "value", None)
    if isinstance(statement, ast.Assign) and len(statement.targets) != 1:
        return None
    if not (
        isinstance(statement, (ast.Return, ast.Assign, ast.Expr))
        and isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and all(k.arg is not None for k in value.keywords)
        and not any(isinstance(a, ast.Starred) for a in value.args)
    ):
        return None
    return value.func


def _inlined(statement: ast.stmt, helper: ast.FunctionDef) -> list[ast.stmt] | None:
    """The helper's body in place of ``statement`` (which calls it), its parameters bound to
    the arguments first; None when the call does not fit the helper (arguments it does not
    take or leaves unbound, a ``return`` before the end where the caller goes on after it)."""
    bindings = _bindings(statement.value, helper)  # type: ignore[attr-defined]
    body = _reached(copy.deepcopy(helper.body))
    returns = [n for s in body for n in ast.walk(s) if isinstance(n, ast.Return)]
    ends = bool(body) and isinstance(body[-1], ast.Return)
    final = ends or (bool(body) and isinstance(body[-1], ast.Raise))  # the caller goes no further
    if bindings is None or (isinstance(statement, ast.Return) and not final):
        return None
    if not isinstance(statement, ast.Return):
        assigned = isinstance(statement, ast.Assign)
        if returns != (body[-1:] if ends else []) or (assigned and not final):
            return None
        if ends:
            last = body.pop()
            result = getattr(last, "value", None) or ast.Constant(None)
            targets = getattr(statement, "targets", [])
            kept = ast.Assign(targets, result) if assigned else ast.Expr(result)
            body.append(ast.copy_location(kept, last))
    bound = [
        ast.copy_location(ast.Assign([ast.Name(p, ast.Store())], copy.deepcopy(v)), statement)
        for p, v in bindings
    ]
    return bound + body or [_pass_at(statement)]


def _reached(body: list[ast.stmt]) -> list[ast.stmt]:
    """A function's body without its docstring, ``pass`` and what follows a ``return`` or
    ``raise`` at its top (never reached)."""
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    out = []
    for statement in body:
        if not isinstance(statement, ast.Pass):
            out.append(statement)
        if isinstance(statement, (ast.Return, ast.Raise)):
            break
    return out


def _bindings(call: ast.Call, helper: ast.FunctionDef) -> list[tuple[str, ast.expr]] | None:
    """Each parameter of ``helper`` and the value ``call`` gives it (its default where the
    call leaves it out), in the order of the parameters; None when they do not fit."""
    args = helper.args
    params = [a.arg for a in args.args]
    named = [a.arg for a in args.kwonlyargs]
    if len(call.args) > len(params):
        return None
    given: dict[str, ast.expr] = dict(zip(params, call.args))
    for keyword in call.keywords:
        if keyword.arg in given or keyword.arg not in params + named:
            return None
        given[str(keyword.arg)] = keyword.value
    defaults = dict(zip(params[len(params) - len(args.defaults) :], args.defaults))
    defaults.update((a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d)
    if any(p not in given and p not in defaults for p in params + named):
        return None
    return [(p, given.get(p, defaults.get(p))) for p in params + named]  # type: ignore[misc]


# -- names only ever written -----------------------------------------------------------------
def _drop_write_only(tree: ast.Module, exported: set[str]) -> bool:
    """Drop the statements that only write names nothing reads; whether any was dropped."""
    dead = _write_only(tree, exported)
    if not dead:
        return False
    nodes = list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            node.names = [n for n in node.names if n not in dead]
    for node in nodes:
        for field in _fields(node):
            block = getattr(node, field)
            kept = [s for s in block if not (_writes_only(s, dead) or _empty_declaration(s))]
            if block and not kept:
                kept = [_pass_at(block[0])]
            setattr(node, field, kept)
    return True


def _write_only(tree: ast.Module, exported: set[str]) -> set[str]:
    """The names bound here that nothing reads: every occurrence binds them (to a new
    container or a constant), declares them ``global``, or is the object of a statement that
    only changes them (``x.append(v)``, ``x[k] = v``, ``x += v``)."""
    parents: dict[int, ast.AST] = {}
    nodes: list[ast.AST] = [tree]
    for node in nodes:  # grows as it goes: every node once, with its parent
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
            nodes.append(child)
    written: set[str] = set()
    read: set[str] = set(exported)
    for node in nodes:
        if isinstance(node, ast.ClassDef):  # class attributes are read by attribute
            read |= {
                t.id
                for s in node.body
                if isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign))
                for t in ast.walk(s)
                if isinstance(t, ast.Name)
            }
        elif isinstance(node, ast.arg):  # an argument changed in place is seen by the caller
            read.add(node.arg)
        if not isinstance(node, ast.Name):
            continue
        parent = parents.get(id(node))
        if isinstance(node.ctx, ast.Load):
            if not _changed_only(node, parent, parents):
                read.add(node.id)
        elif _inert_binding(parent):
            written.add(node.id)
        else:
            read.add(node.id)  # bound by a loop, a with, an import...: kept as it is
    return {n for n in written - read if not n.startswith("__")}


def _changed_only(name: ast.Name, parent: ast.AST | None, parents: dict) -> bool:
    """``name`` is read only to change what it holds, in a statement of its own."""
    if isinstance(parent, ast.Subscript) and parent.value is name:
        holder = parents.get(id(parent))
        return not isinstance(parent.ctx, ast.Load) or (
            isinstance(holder, ast.AugAssign) and holder.target is parent
        )
    if isinstance(parent, ast.Attribute) and parent.value is name:
        call = parents.get(id(parent))
        statement = parents.get(id(call))
        return (
            isinstance(call, ast.Call) and call.func is parent and isinstance(statement, ast.Expr)
        )
    return False


def _inert_binding(statement: ast.AST | None) -> bool:
    """A binding to a new container or a constant, or an update in place (``+=``)."""
    if isinstance(statement, ast.AugAssign):
        return True
    if isinstance(statement, ast.Assign):
        value = statement.value
        return isinstance(value, ast.Constant) or (
            facts._new_container(value) and not facts.has_effect(value)
        )
    return False


def _writes_only(statement: ast.stmt, dead: set[str]) -> bool:
    """``statement`` changes nothing but names of ``dead``, and evaluates nothing that acts."""
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AugAssign):
        targets = [statement.target]
    elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        func = statement.value.func
        targets = [func.value] if isinstance(func, ast.Attribute) else []
    else:
        return False
    bases = [_base(t) for t in targets]
    return bool(bases) and all(b in dead for b in bases) and not _acts(statement)


def _acts(statement: ast.stmt) -> bool:
    """Whether evaluating the parts of a write other than the change itself can matter (an
    index, a value, a method's arguments that call something)."""
    if isinstance(statement, ast.Expr):
        call = statement.value
        parts = call.args + [k.value for k in call.keywords]  # type: ignore[attr-defined]
    else:
        targets = getattr(statement, "targets", None) or [statement.target]  # type: ignore[attr-defined]
        indices = [n.slice for t in targets for n in ast.walk(t) if isinstance(n, ast.Subscript)]
        parts = [statement.value, *indices]  # type: ignore[attr-defined]
    return any(facts.has_effect(p) for p in parts)


def _base(target: ast.expr) -> str | None:
    while isinstance(target, (ast.Subscript, ast.Attribute)):
        target = target.value
    return target.id if isinstance(target, ast.Name) else None


def _empty_declaration(statement: ast.stmt) -> bool:
    return isinstance(statement, (ast.Global, ast.Nonlocal)) and not statement.names
