"""Code reached through indirection, written out before a module is put in canonical form
(:mod:`.normalize`), so that a copy read through ``getattr`` or run from a string compares as
the code it runs. Each rewrite keeps what the module computes; it only decides what is
fingerprinted (the tree is rewritten in place):

* ``getattr(x, "name")`` is ``x.name`` (and ``x.__getattribute__("name")`` too), a statement
  ``setattr(x, "name", v)`` is ``x.name = v``, ``delattr(x, "name")`` is ``del x.name``, unless
  the module binds one of these names itself;
* the text given to ``exec`` or ``eval`` (or to ``compile`` for them) is compiled when it is
  known without running anything: a string literal, literals joined with ``+``, ``"".join`` or
  an f-string of literals, a bytes literal decoded, ``textwrap.dedent``/``inspect.cleandoc``
  or ``.strip()`` of one, or a module-level name bound once to one. An ``exec`` statement is
  replaced by the statements it runs, an ``eval`` by its expression (their lines standing for
  the call's), three levels deep; any other ``exec``, ``eval`` or ``compile`` runs code built
  at run time, which no comparison can see, and :func:`resolve` names it (the report lists
  such code as "dynamic");
* ``name = importlib.import_module("m")`` (or ``__import__("m")``) is ``import m as name``, so
  a module reached that way links like one imported (:func:`imported_names`).

:func:`imported_names` tells which names a module takes from each other module of the student's
(``from losses import f``, ``from .losses import f``, as the kit imports a submission as a
package, ``import losses as L`` then ``L.f``, ``from losses import *``): those
names are used from outside the module that defines them, so its canonical form keeps them (a
copy moved into a module the kit never calls is then still compared).
"""

from __future__ import annotations

import ast
import copy
import inspect
import textwrap
from collections.abc import Collection

ROUNDS = 3  # exec of text that itself runs exec of text: this many levels are written out
MAX_TEXT = 1 << 16  # the most text compiled from one module (the cost bound's size)
_ATTRIBUTE_CALLS = ("getattr", "setattr", "delattr")
_RUNS = ("exec", "eval", "compile")
_DEDENT = ("dedent", "cleandoc")
_STRIP = ("strip", "lstrip", "rstrip")
_IMPORT_CALLS = ("import_module", "__import__")


def resolve(tree: ast.Module) -> list[str]:
    """Write out the indirection of ``tree`` (see the module doc), in place; returns what runs
    code built at run time, one line each ("line 12: exec() of text built at run time")."""
    bound = _bound_names(tree)
    budget = [MAX_TEXT]
    for _ in range(ROUNDS):
        if not _splice(tree, _module_texts(tree), budget):
            break
    dynamic = _dynamic(tree, _module_texts(tree))
    _AttributeReads(bound).visit(tree)
    _imports(tree)
    ast.fix_missing_locations(tree)
    return dynamic


def parsed(text: str) -> ast.Module | None:
    """``text`` parsed, its indirection written out; None when it is not Python (or nested too
    deep to walk)."""
    try:
        tree = ast.parse(text)
        resolve(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return tree


def imported_names(tree: ast.Module, modules: Collection[str]) -> dict[str, set[str]]:
    """``{module: names}`` that ``tree`` takes from the student's own ``modules`` (``"*"``: all
    of its public names; a module imported whole and never read from is there, with none)."""
    out: dict[str, set[str]] = {}
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level <= 1:
            if node.module is not None and node.module in modules:  # from (.)losses import f
                out.setdefault(node.module, set()).update(a.name for a in node.names)
            elif node.module is None:  # from . import losses
                for alias in node.names:
                    if alias.name in modules:
                        aliases[alias.asname or alias.name] = alias.name
                        out.setdefault(alias.name, set())
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    aliases[alias.asname or alias.name] = alias.name
                    out.setdefault(alias.name, set())
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            out.setdefault(aliases[node.value.id], set()).add(node.attr)
    return out


def _bound_names(tree: ast.Module) -> set[str]:
    """Every name the module binds anywhere (a ``def getattr`` means ``getattr`` is not the
    built-in)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.add(node.id)
        elif isinstance(node, ast.alias):
            found.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            found.add(node.arg)
    return found


# -- text known without running anything ---------------------------------------------------
def _module_texts(tree: ast.Module) -> dict[str, str]:
    """Module-level names bound exactly once, to a text known without running anything."""
    counts: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            counts[node.id] = counts.get(node.id, 0) + 1
    texts: dict[str, str] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and counts.get(node.targets[0].id) == 1
        ):
            value = _text(node.value, texts)
            if value is not None:
                texts[node.targets[0].id] = value
    return texts


def _text(node: ast.expr, names: dict[str, str]) -> str | None:
    """The text ``node`` evaluates to, when that is known without running anything and no
    longer than :data:`MAX_TEXT` (names bound to ``a + a`` in turn would double it each line)."""
    found = _known(node, names)
    return found if found is None or len(found) <= MAX_TEXT else None


def _known(node: ast.expr, names: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.JoinedStr):
        parts = [_text(v, names) if isinstance(v, ast.Constant) else None for v in node.values]
        return None if None in parts else "".join(parts)  # type: ignore[arg-type]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left, names), _text(node.right, names)
        if left is None or right is None or len(left) + len(right) > MAX_TEXT:
            return None
        return left + right
    if isinstance(node, ast.Call) and not node.keywords:
        return _called_text(node, names)
    return None


def _called_text(node: ast.Call, names: dict[str, str]) -> str | None:
    func, args = node.func, node.args
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if called in _DEDENT and len(args) == 1:
        inner = _text(args[0], names)
        if inner is None:
            return None
        return textwrap.dedent(inner) if called == "dedent" else inspect.cleandoc(inner)
    if not isinstance(func, ast.Attribute):
        return None
    if called in _STRIP and not args:
        inner = _text(func.value, names)
        return None if inner is None else getattr(inner, called)()
    if called == "decode" and len(args) <= 1 and isinstance(func.value, ast.Constant):
        raw = func.value.value
        if isinstance(raw, bytes):
            codec = [a.value for a in args if isinstance(a, ast.Constant)]
            try:
                return raw.decode(*codec)  # type: ignore[arg-type]
            except (UnicodeDecodeError, LookupError, TypeError):
                return None
    if called == "join" and len(args) == 1 and isinstance(args[0], (ast.List, ast.Tuple)):
        glue = _text(func.value, names)
        parts = [_text(e, names) for e in args[0].elts]
        if glue is None or None in parts:
            return None
        size = sum(map(len, parts)) + len(glue) * len(parts)  # type: ignore[arg-type]
        return glue.join(parts) if size <= MAX_TEXT else None  # type: ignore[arg-type]
    return None


# -- exec, eval and compile ----------------------------------------------------------------
def _run_call(node: ast.AST) -> ast.Call | None:
    """``node`` when it calls the built-in ``exec``, ``eval`` or ``compile``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _RUNS
        and node.args
    ):
        return node
    return None


def _source_of(call: ast.Call, names: dict[str, str]) -> str | None:
    """The text an ``exec``/``eval``/``compile`` call runs, when it is known."""
    first = call.args[0]
    inner = _run_call(first)
    if inner is not None and inner.func.id == "compile":  # type: ignore[attr-defined]
        return _source_of(inner, names)
    return _text(first, names)


def _splice(tree: ast.Module, names, budget: list[int]) -> bool:
    """One round: each ``exec`` statement of known text replaced by its statements, each
    ``eval`` of known text by its expression; whether anything was replaced."""
    changed = False
    for node in list(ast.walk(tree)):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not block or not isinstance(block, list):
                continue
            if not all(isinstance(s, ast.stmt) for s in block):
                continue
            out: list[ast.stmt] = []
            for statement in block:
                body = _exec_body(statement, names, budget)
                if body is None:
                    out.append(statement)
                else:
                    out.extend(body)
                    changed = True
            setattr(node, field, out or [ast.copy_location(ast.Pass(), node)])
    return _EvalCalls(names, budget).run(tree) or changed


def _dynamic(tree: ast.Module, names: dict[str, str]) -> list[str]:
    """The ``exec``, ``eval`` and ``compile`` calls left: of text built at run time, or (exec
    and eval) of known text not written out (nested too deep, over the budget, not Python)."""
    found = []
    for node in ast.walk(tree):
        call = _run_call(node)
        if call is None:
            continue
        kind = call.func.id  # type: ignore[attr-defined]
        if _source_of(call, names) is None:
            found.append((call.lineno, f"line {call.lineno}: {kind}() of text built at run time"))
        elif kind != "compile":
            found.append((call.lineno, f"line {call.lineno}: {kind}() of text not compared"))
    return [line for _, line in sorted(set(found))]


def _exec_body(statement: ast.stmt, names, budget: list[int]) -> list[ast.stmt] | None:
    """The statements an ``exec(TEXT)`` statement runs, placed at its lines; None when it is
    not one, or its text is not known or not Python."""
    call = _run_call(statement.value) if isinstance(statement, ast.Expr) else None
    if call is None or call.func.id != "exec":  # type: ignore[attr-defined]
        return None
    text = _source_of(call, names)
    parsed = _parse(text, "exec", budget)
    if parsed is None:
        return None
    body = _placed(parsed, statement).body
    return body or [ast.copy_location(ast.Pass(), statement)]


def _parse(text: str | None, mode: str, budget: list[int]):
    if text is None or len(text) > budget[0]:
        return None
    try:
        parsed = ast.parse(text, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    budget[0] -= len(text)
    return parsed


def _placed(tree, at: ast.AST):
    """``tree`` (parsed from a string) with every node standing for the lines of ``at``,
    line ``k`` of the text for line ``at.lineno + k - 1`` (a literal written over several
    lines), within ``at``'s lines."""
    first, last = at.lineno, getattr(at, "end_lineno", None) or at.lineno  # type: ignore[attr-defined]
    for node in ast.walk(tree):
        if "lineno" in node._attributes:
            start = min(last, first + getattr(node, "lineno", 1) - 1)
            end = min(last, first + (getattr(node, "end_lineno", None) or 1) - 1)
            node.lineno, node.end_lineno = start, max(start, end)  # type: ignore[attr-defined]
            node.col_offset, node.end_col_offset = 0, 0  # type: ignore[attr-defined]
    return tree


class _EvalCalls(ast.NodeTransformer):
    """Each ``eval(TEXT)`` of known text replaced by the expression it evaluates."""

    def __init__(self, names: dict[str, str], budget: list[int]):
        self.names, self.budget, self.changed = names, budget, False

    def run(self, tree: ast.Module) -> bool:
        self.visit(tree)
        return self.changed

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if _run_call(node) is None or node.func.id != "eval":  # type: ignore[attr-defined]
            return node
        parsed = _parse(_source_of(node, self.names), "eval", self.budget)
        if parsed is None:
            return node
        self.changed = True
        return _placed(parsed, node).body


# -- attributes by name, modules by name ---------------------------------------------------
class _AttributeReads(ast.NodeTransformer):
    """``getattr(x, "a")`` -> ``x.a`` and its kin (see the module doc)."""

    def __init__(self, bound: set[str]):
        self.builtin = {name for name in _ATTRIBUTE_CALLS if name not in bound}

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        name = _constant_name(node.args[1]) if len(node.args) >= 2 else None
        if (
            isinstance(func, ast.Name)
            and func.id == "getattr"
            and "getattr" in self.builtin
            and len(node.args) == 2
            and not node.keywords
            and name
        ):
            return ast.copy_location(ast.Attribute(node.args[0], name, ast.Load()), node)
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "__getattribute__"
            and len(node.args) == 1
            and (attr := _constant_name(node.args[0]))
        ):
            return ast.copy_location(ast.Attribute(func.value, attr, ast.Load()), node)
        return node

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        self.generic_visit(node)
        call = node.value
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id in self.builtin
            and not call.keywords
        ):
            return node
        args, kind = call.args, call.func.id
        name = _constant_name(args[1]) if len(args) >= 2 else None
        if kind == "setattr" and len(args) == 3 and name:
            target = ast.Attribute(args[0], name, ast.Store())
            return ast.copy_location(ast.Assign([target], args[2]), node)
        if kind == "delattr" and len(args) == 2 and name:
            return ast.copy_location(ast.Delete([ast.Attribute(args[0], name, ast.Del())]), node)
        return node


def _constant_name(node: ast.expr) -> str | None:
    """A string constant that is a valid attribute name."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if node.value.isidentifier() else None
    return None


def _imports(tree: ast.Module) -> None:
    """``x = importlib.import_module("m")`` / ``x = __import__("m")`` -> ``import m as x``."""
    for node in list(ast.walk(tree)):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                setattr(node, field, [_as_import(s) for s in block])


def _as_import(statement):
    if not (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and isinstance(statement.value, ast.Call)
        and len(statement.value.args) == 1
        and not statement.value.keywords
    ):
        return statement
    func = statement.value.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    module = _constant_name(statement.value.args[0])
    if called not in _IMPORT_CALLS or module is None:
        return statement
    alias = ast.alias(module, statement.targets[0].id)
    return ast.copy_location(ast.Import([copy.copy(alias)]), statement)
