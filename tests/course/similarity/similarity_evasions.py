"""A corpus of ways to hide a copied module from ``descent similarity`` without changing what it
computes: each takes a module's text and returns another that grades exactly as it does.

* ``renamed``      none: the copy only renamed and its functions reordered, as every other
  copy of the corpus is too (the score every evasion must reach);
* ``try_reraise``  every assignment, ``if`` and ``for`` wrapped in ``try: ... except
  ZeroDivisionError: raise`` (0.945 to 0.361 before the canonical form removed it);
* ``nullcontext``  every statement of a function inside ``with contextlib.nullcontext():``;
* ``noop_append``  after every statement of a function, an append to a module-level list that
  nothing reads;
* ``nullcontext_append``  both of the last two (0.324);
* ``counter``      after every statement of a function, ``_steps += 1`` on a module-level counter
  (``global _steps``) that nothing reads;
* ``local_counter``  the same on a counter of the function's own;
* ``passes``       a ``pass`` after every statement;
* ``forwarders``   each of the kit's functions renamed, and a function of the kit's name that only
  forwards its arguments to it;
* ``inlined``      each call of a helper of the module as a whole statement replaced by the
  helper's body (its parameters bound first), and the helper removed;
* ``split``        the second half of each long function moved into a helper of its own, called
  with the names it needs;
* ``all``          every one of these, then renamed and reordered (:func:`similarity_class.disguise`
  and the ``reordered`` obfuscation).

Round six's indirections (issue 58), each on top of the renaming and reordering, written by
:func:`hide` since some of them write other modules than the one they hide:

* ``getattr``      every attribute read through ``getattr(obj, "name")`` (0.177 before);
* ``exec``         each module's text run from a string literal with ``exec`` (0.0 before);
* ``moved``        each module's code moved into an exercise module the original left empty
  (regression's into losses.py, activations' into layers.py, after those modules' own stubs),
  the module itself only ``from .losses import *`` (the kit imports a submission as a package;
  0.0 before);
* ``indirect_all`` all three: the moved code read through ``getattr`` and run from a string
  (0.069 before);
* ``dynamic``      the module's text run from base64 (code built at run time: compared with
  nothing, and named as such).
"""

from __future__ import annotations

import ast
import base64
import copy
import itertools

from . import similarity_class

EVASIONS = (
    "renamed",
    "try_reraise",
    "nullcontext",
    "noop_append",
    "nullcontext_append",
    "counter",
    "local_counter",
    "passes",
    "forwarders",
    "inlined",
    "split",
    "all",
)
_STEPS = ("passes", "counter", "noop_append", "nullcontext", "try_reraise")
INDIRECTIONS = ("getattr", "exec", "moved", "indirect_all", "dynamic")
HOSTS = {"regression": "losses", "activations": "layers"}  # modules the original left empty


def hide(texts: dict[str, str], how: str, starter: dict[str, str]) -> dict[str, str]:
    """``{module: text}`` of a copy of ``texts`` (module -> text) renamed, reordered and hidden
    by the indirection ``how`` (see the module doc); ``starter``: the kit's template of each
    host module."""
    out = {}
    for module, text in texts.items():
        text = similarity_class.obfuscate(similarity_class.disguise(text), "reordered")
        if how in ("getattr", "indirect_all"):
            text = _getattr(text)
        if how in ("exec", "indirect_all"):
            text = f"exec({text!r})\n"
        if how == "dynamic":
            encoded = base64.b64encode(text.encode()).decode()
            text = f"import base64\n\nexec(base64.b64decode({encoded!r}).decode())\n"
        if how in ("moved", "indirect_all"):
            host = HOSTS[module]
            out[host] = starter[host] + "\n\n" + text
            text = f"from .{host} import *  # noqa: F403\n"  # the kit imports a package
        out[module] = text
    return out


def _getattr(text: str) -> str:
    """Every attribute read written as ``getattr(obj, "name")``."""

    class Reads(ast.NodeTransformer):
        def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
            self.generic_visit(node)
            if not isinstance(node.ctx, ast.Load):
                return node
            call = ast.Call(
                ast.Name("getattr", ast.Load()), [node.value, ast.Constant(node.attr)], []
            )
            return ast.copy_location(call, node)

    return ast.unparse(ast.fix_missing_locations(Reads().visit(ast.parse(text)))) + "\n"


def evade(text: str, how: str) -> str:
    """``text`` hidden by the evasion ``how`` (see the module's docstring)."""
    if how == "all":
        for step in ("inlined", "split", "forwarders", "local_counter", *_STEPS):
            text = evade(text, step)
        return similarity_class.obfuscate(similarity_class.disguise(text), "reordered")
    if how == "renamed":
        return text
    if how == "nullcontext_append":
        return evade(evade(text, "noop_append"), "nullcontext")
    tree = ast.parse(text)
    {
        "try_reraise": _try_reraise,
        "nullcontext": _nullcontext,
        "noop_append": _noop_append,
        "counter": _counter,
        "local_counter": _local_counter,
        "passes": _passes,
        "forwarders": _forwarders,
        "inlined": _inlined,
        "split": _split,
    }[how](tree)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _stmt(source: str) -> list[ast.stmt]:
    return ast.parse(source).body


def _functions(tree: ast.Module):
    """Every function of the module, methods and nested ones included."""
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _blocks(tree: ast.Module):
    """Every statement block inside a function (its body, and those of its compound
    statements, not those of the functions and classes it defines: those are listed with their
    own), as (node, field name)."""
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
    for function in _functions(tree):
        todo: list[ast.AST] = [function]
        while todo:
            node = todo.pop()
            todo.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, scopes))
            for name in ("body", "orelse", "finalbody"):
                block = getattr(node, name, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    yield node, name


def _docstring(block: list[ast.stmt]) -> list[ast.stmt]:
    first = block[0] if block else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        return [first]
    return []


def _after_each(tree: ast.Module, make) -> None:
    """``make()``'s statements after every statement of every function block (a docstring and
    a statement that ends its block, such as ``return``, excepted)."""
    for node, name in list(_blocks(tree)):
        block = getattr(node, name)
        head = _docstring(block) if isinstance(node, ast.FunctionDef) else []
        out = list(head)
        for statement in block[len(head) :]:
            out.append(statement)
            if not isinstance(statement, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
                out.extend(make())
        setattr(node, name, out)


def _module_line(tree: ast.Module, source: str) -> None:
    """``source`` placed after the module's imports."""
    at = max((i + 1 for i, n in enumerate(tree.body) if isinstance(n, ast.Import | ast.ImportFrom)))
    tree.body[at:at] = _stmt(source)


def _try_reraise(tree: ast.Module) -> None:
    wrapped = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.If, ast.For, ast.While)
    for node, name in list(_blocks(tree)):
        out = []
        for statement in getattr(node, name):
            if isinstance(statement, wrapped):
                guard = _stmt("try:\n    pass\nexcept ZeroDivisionError:\n    raise")[0]
                guard.body = [statement]
                statement = guard
            out.append(statement)
        setattr(node, name, out)


def _nullcontext(tree: ast.Module) -> None:
    _module_line(tree, "import contextlib")
    for node, name in list(_blocks(tree)):
        block = getattr(node, name)
        head = _docstring(block) if isinstance(node, ast.FunctionDef) else []
        out = list(head)
        for statement in block[len(head) :]:
            wrapper = _stmt("with contextlib.nullcontext():\n    pass")[0]
            wrapper.body = [statement]
            out.append(wrapper)
        setattr(node, name, out)


def _noop_append(tree: ast.Module) -> None:
    numbers = itertools.count()
    _module_line(tree, "_trail = []")
    _after_each(tree, lambda: _stmt(f"_trail.append({next(numbers)})"))


def _counter(tree: ast.Module) -> None:
    _module_line(tree, "_steps = 0")
    for function in _functions(tree):
        head = _docstring(function.body)
        function.body[len(head) : len(head)] = _stmt("global _steps")
    _after_each(tree, lambda: _stmt("_steps += 1"))


def _local_counter(tree: ast.Module) -> None:
    for function in _functions(tree):
        head = _docstring(function.body)
        function.body[len(head) : len(head)] = _stmt("_count = 0")
    _after_each(tree, lambda: _stmt("_count = _count + 1"))


def _passes(tree: ast.Module) -> None:
    _after_each(tree, lambda: _stmt("pass"))


def _forwarders(tree: ast.Module) -> None:
    """Each top-level function ``f`` becomes ``_f_impl``, and ``def f(<its parameters>):
    return _f_impl(<each passed on by name>)`` follows it."""
    out = []
    for node in tree.body:
        out.append(node)
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
            continue
        wrapper = copy.deepcopy(node)
        node.name = f"_{node.name}_impl"
        args = wrapper.args
        positional = [ast.Name(a.arg, ast.Load()) for a in args.posonlyargs + args.args]
        if args.vararg:
            positional.append(ast.Starred(ast.Name(args.vararg.arg, ast.Load()), ast.Load()))
        named = [ast.keyword(a.arg, ast.Name(a.arg, ast.Load())) for a in args.kwonlyargs]
        if args.kwarg:
            named.append(ast.keyword(None, ast.Name(args.kwarg.arg, ast.Load())))
        call = ast.Call(ast.Name(node.name, ast.Load()), positional, named)
        wrapper.body = _docstring(wrapper.body) + [ast.Return(call)]
        wrapper.decorator_list = []
        out.append(wrapper)
    tree.body = out


def _inlined(tree: ast.Module) -> None:
    """Calls of a top-level helper (``_name``) that make a whole statement (``v = h(...)``,
    ``return h(...)``) replaced by its body; a helper with no call left is removed."""
    helpers = {
        n.name: n
        for n in tree.body
        if isinstance(n, ast.FunctionDef) and n.name.startswith("_") and _inlinable(n)
    }
    for node, name in list(_blocks(tree)):
        out = []
        for statement in getattr(node, name):
            out.extend(_inline(statement, helpers))
        setattr(node, name, out)
    called = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    tree.body = [n for n in tree.body if not (n in helpers.values() and n.name not in called)]


def _inlinable(helper: ast.FunctionDef) -> bool:
    """Plain parameters, one ``return`` at its end and none elsewhere."""
    body = helper.body[len(_docstring(helper.body)) :]
    args = helper.args
    returns = [n for n in ast.walk(helper) if isinstance(n, ast.Return)]
    return (
        bool(body)
        and isinstance(body[-1], ast.Return)
        and returns == [body[-1]]
        and not (args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs or args.defaults)
    )


def _inline(statement: ast.stmt, helpers: dict) -> list[ast.stmt]:
    value = getattr(statement, "value", None)
    if not (
        isinstance(statement, (ast.Assign, ast.Return))
        and isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id in helpers
        and not value.keywords
    ):
        return [statement]
    helper = copy.deepcopy(helpers[value.func.id])
    body = helper.body[len(_docstring(helper.body)) :]
    bound = [
        ast.Assign([ast.Name(a.arg, ast.Store())], argument)
        for a, argument in zip(helper.args.args, value.args)
    ]
    result = body[-1].value
    last = (
        ast.Return(result)
        if isinstance(statement, ast.Return)
        else ast.Assign(statement.targets, result)
    )
    return bound + body[:-1] + [last]


def _split(tree: ast.Module) -> None:
    """The second half of each top-level function of four statements or more that ends in a
    ``return`` becomes ``_<name>_rest(<the names it reads>)``."""
    out = []
    for node in tree.body:
        out.append(node)
        if not isinstance(node, ast.FunctionDef):
            continue
        head = _docstring(node.body)
        body = node.body[len(head) :]
        if len(body) < 4 or not isinstance(body[-1], ast.Return) or _special(node):
            continue
        first, rest = body[: len(body) // 2], body[len(body) // 2 :]
        bound = _bound(first) | {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
        needed = sorted(_loaded(rest) & bound)
        helper = ast.FunctionDef(
            name=f"_{node.name}_rest",
            args=ast.arguments(
                posonlyargs=[],
                args=[ast.arg(n) for n in needed],
                kwonlyargs=[],
                kw_defaults=[],
                defaults=[],
            ),
            body=rest,
            decorator_list=[],
        )
        call = ast.Call(
            ast.Name(helper.name, ast.Load()), [ast.Name(n, ast.Load()) for n in needed], []
        )
        node.body = head + first + [ast.Return(call)]
        out.append(helper)
    tree.body = out


def _special(function: ast.FunctionDef) -> bool:
    """What a helper cannot take over: ``yield``, ``global``, ``nonlocal``."""
    kinds = (ast.Yield, ast.YieldFrom, ast.Global, ast.Nonlocal)
    return any(isinstance(n, kinds) for n in ast.walk(function))


def _bound(block: list[ast.stmt]) -> set[str]:
    return {
        n.id
        for s in block
        for n in ast.walk(s)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


def _loaded(block: list[ast.stmt]) -> set[str]:
    return {
        n.id
        for s in block
        for n in ast.walk(s)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
