"""The names a scope of a student's module binds, for the scan of borrowed library operations
(:mod:`descent.isolation.scan`): a function's, lambda's or comprehension's own names, its
parameters and their defaults, the parts Python evaluates in the enclosing scope, and the nodes
that run in the scope itself. Pure reading of a syntax tree: nothing is imported or run."""

from __future__ import annotations

import ast


def evaluated_outside(node) -> list[ast.AST]:
    """The parts of a function, lambda or comprehension that Python evaluates in the enclosing
    scope: decorators, default values and annotations; a comprehension's first iterable. (They
    are visited again inside the scope, where a local name adds nothing.)"""
    parts: list[ast.AST] = list(getattr(node, "decorator_list", []))
    args = getattr(node, "args", None)
    if isinstance(args, ast.arguments):
        parts += [d for d in [*args.defaults, *args.kw_defaults] if d is not None]
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        parts += [a.annotation for a in every if a is not None and a.annotation is not None]
    if getattr(node, "returns", None) is not None:
        parts.append(node.returns)
    generators = getattr(node, "generators", [])
    if generators:
        parts.append(generators[0].iter)
    return parts


def defaults(node) -> dict[str, ast.expr]:
    """A function's or lambda's parameters that have a default value, with that value."""
    args = getattr(node, "args", None)
    if not isinstance(args, ast.arguments):
        return {}
    positional = [*args.posonlyargs, *args.args]
    found = dict(
        zip([a.arg for a in positional[len(positional) - len(args.defaults) :]], args.defaults)
    )
    found.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    return found


def scope_names(node) -> set[str]:
    """The names a function, lambda or comprehension binds in its own scope: its parameters, the
    names it stores, defines or catches, less those it declares global or nonlocal. Nested scopes
    are not entered, and an import is not counted (the scan resolves an import as a use)."""
    names = params(node)
    for gen in getattr(node, "generators", ()):
        names |= {n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name)}
    declared: set[str] = set()
    for child in in_scope(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(child.name)
        elif isinstance(child, ast.Name) and not isinstance(child.ctx, ast.Load):
            names.add(child.id)
        elif isinstance(child, ast.ExceptHandler) and child.name:
            names.add(child.name)
        elif isinstance(child, (ast.Global, ast.Nonlocal)):
            declared.update(child.names)
    return names - declared


def params(node) -> set[str]:
    """The parameters of a function or lambda (none for a comprehension)."""
    args = getattr(node, "args", None)
    if not isinstance(args, ast.arguments):
        return set()
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return {a.arg for a in every if a is not None}


def in_scope(node):
    """The nodes of ``node``'s body that run in its own scope: a nested function, class,
    lambda or comprehension is met (its name is bound here) but not entered."""
    body = getattr(node, "body", [])  # a lambda's is one expression; a comprehension has none
    todo = list(body) if isinstance(body, list) else [body]
    while todo:
        child = todo.pop()
        yield child
        if not isinstance(
            child,
            (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp)
            + (ast.SetComp, ast.DictComp, ast.GeneratorExp),
        ):
            todo.extend(ast.iter_child_nodes(child))
