"""What a repair search reads of the student's module before editing it: its functions and
class methods (:func:`functions`), those the exercise's functions reach (:func:`reached`), and of
each function to edit (:func:`read`): the places
it reads the call's hyperparameters (its signature's numbers, a dict of settings), its names
and conditions, the numbers that are a setting's fallback or a factor, which of its values is
an update of which, the stability terms it is given and never reads, and the nodes no edit may
touch (:func:`freeze`). Reads the tree only; nothing is run. Used by
:mod:`descent.diagnoses.edits`."""

from __future__ import annotations

import ast
import builtins
import copy
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeGuard, cast

_SNIPPET = 60  # characters of the student's code quoted at most
_MAX_KEYS = 12  # keys of a dict of settings tried in place of a number


@dataclass
class Context:
    """What the rules read of one function of the student's: its text, where it reads its
    hyperparameters, its names and conditions, the numbers that are settings or factors, which
    value updates which, and the stability terms it never reads."""

    source: str
    function: ast.FunctionDef
    hyperparameters: tuple[ast.expr, ...]  # where the call's hyperparameters are read
    names: tuple[str, ...]  # parameters and the names the function assigns
    conditions: set = field(default_factory=set)  # the nodes of every condition it tests
    settings: set = field(default_factory=set)  # the numbers a setting falls back on
    factors: set = field(default_factory=set)  # the numbers that multiply or divide
    updates: set = field(default_factory=set)  # (old, new): `new` is computed from `old`
    unused: tuple = ()  # the stability terms (an eps) the function is given and never reads
    stability: tuple = ()  # every stability term it is given, read or not
    ignored: tuple = ()  # the other inputs it is given and never reads (an upstream gradient)
    stores: dict = field(default_factory=dict)  # name -> [(line, value or None)], :func:`_stores`
    undefined: frozenset = frozenset()  # the names it reads that nothing defines (a typo)
    compared: set = field(default_factory=set)  # the nodes of every comparison, tested or kept

    def value(self, name: str, line: int | None) -> ast.expr | None:
        """What ``name`` holds where line ``line`` reads it: the value of the plain ``name =
        value`` stored last on a line before it; ``None`` where the last store before it is
        another kind (``x -= c``, a tuple's item) or none is. With no line (a node an edit
        wrote), the value of a name stored only once."""
        stores = self.stores.get(name, [])
        if line is None:
            return stores[0][1] if len(stores) == 1 else None
        before = [value for at, value in stores if at < line]
        return before[-1] if before else None

    def quote(self, node: ast.AST) -> str:
        text = ast.get_source_segment(self.source, node) or ast.unparse(node)
        text = " ".join(text.split())
        return text if len(text) <= _SNIPPET else text[: _SNIPPET - 3] + "..."


def functions(source: str) -> dict[str, ast.FunctionDef]:
    """The module's top-level functions by name, and the methods of its top-level classes as
    ``"Class.method"`` (``{}`` when the text does not parse)."""
    found: dict[str, ast.FunctionDef] = {}
    for name, unit in units(source).items():
        if isinstance(unit, ast.FunctionDef):
            found[name] = unit
        else:
            found.update(
                (f"{name}.{m.name}", m) for m in unit.body if isinstance(m, ast.FunctionDef)
            )
    return found


def units(source: str) -> dict[str, ast.FunctionDef | ast.ClassDef]:
    """The module's top-level functions and classes by name, in order. A function the module
    defines again further down, after binding the first one to a second name (``_course_relu =
    relu_backward``, then ``def relu_backward``: a course's code kept under the kit's names), is
    the first one under that second name, which is what reaches it when the module runs."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    found: dict[str, ast.FunctionDef | ast.ClassDef] = {}
    kept = _kept_names(tree.body)
    for i, node in enumerate(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            if i in kept:
                node = copy.copy(node)
                node.name = kept[i]
            found[node.name] = node
        elif _named_lambda(node):
            found[node.targets[0].id] = _as_function(cast(ast.Assign, node))  # type: ignore[attr-defined]
    return found


def _named_lambda(node: ast.stmt) -> bool:
    """``sigmoid = lambda x: 1 / (1 + e ** -x)`` at the module's top: a function by another
    spelling, edited as one."""
    return (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Lambda)
    )


def _as_function(node: ast.Assign) -> ast.FunctionDef:
    """The named lambda ``node`` as the ``def`` it stands for, at its place in the text."""
    lam = cast(ast.Lambda, node.value)
    body = ast.copy_location(ast.Return(lam.body), lam.body)
    name = cast(ast.Name, node.targets[0]).id
    fn = ast.FunctionDef(name=name, args=lam.args, body=[body], decorator_list=[], returns=None)
    return ast.copy_location(fn, node)


def _kept_names(body: list[ast.stmt]) -> dict[int, str]:
    """{position of a definition: the second name it is kept under} for each top-level ``g =
    f`` (or ``g1, g2 = f1, f2``) whose ``f`` is defined before it and again after it."""
    where: dict[str, list[int]] = {}
    for i, node in enumerate(body):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            where.setdefault(node.name, []).append(i)
    kept: dict[int, str] = {}
    for i, node in enumerate(body):
        for target, value in _pairs(node):
            defs = where.get(value.id, [])
            before = [j for j in defs if j < i]
            if before and any(j > i for j in defs):
                kept.setdefault(before[-1], target.id)
    return kept


def _pairs(node: ast.stmt) -> list[tuple[ast.Name, ast.Name]]:
    """(name, name) for each ``g = f`` in ``node``, item by item in ``g1, g2 = f1, f2``."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
        return []
    target, value = node.targets[0], node.value
    if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
        pairs = list(zip(target.elts, value.elts)) if len(target.elts) == len(value.elts) else []
    else:
        pairs = [(target, value)]
    return [(t, v) for t, v in pairs if isinstance(t, ast.Name) and isinstance(v, ast.Name)]


_MANGLED = re.compile(r"_[A-Za-z]\w*?__\w+")


def reached(
    defs: dict[str, ast.FunctionDef],
    roots: tuple[str, ...],
    aliases: dict[str, str] | None = None,
    bases: dict[str, tuple[str, ...]] | None = None,
    objects: dict[str, str] | None = None,
) -> list[str]:
    """``roots`` and the module's functions they call, directly or through one another, in the
    order they are reached; a name the module binds to a function or class (``aliases``:
    ``_course_step = step``) reaches it. A class named reaches its base classes (``bases``) and,
    of their methods, those the code reached reads as an attribute (``net.softmax(x)``,
    ``self._norm(x)``) and those Python or a library calls for it (``__init__``, operators,
    ``forward``, ``backward``): a course's class keeps many methods the exercise never runs,
    and a bounded search must not spend its trials on them. A method read off a module-level
    object of one of the module's classes (``objects``, :func:`instances`: ``_net.mse_grad``)
    is reached, and nothing else of that class. A function a class reached binds to an
    attribute (``aliases``' ``"Class.attr"``) is reached as that method would be."""
    aliases, bases, objects = aliases or {}, bases or {}, objects or {}
    out: list[str] = []
    classes: list[str] = []
    attributes: set[str] = set()
    todo = [r for r in roots if r in defs]
    while todo:
        name = todo.pop(0)
        if name in out:
            continue
        out.append(name)
        for node in ast.walk(defs[name]):
            if isinstance(node, ast.Attribute):
                attributes.add(node.attr)
                # a private method read from outside its class by the name Python gives it
                # (`m._Model__softmax(x)` reaches `__softmax`)
                if _MANGLED.fullmatch(node.attr):
                    attributes.add("__" + node.attr.partition("__")[2])
                owner = node.value.id if isinstance(node.value, ast.Name) else ""
                method = f"{objects.get(owner)}.{node.attr}"
                todo += [method] if owner in objects and method in defs else []
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                attributes.add(node.value)  # a method named in a string: getattr(m, "loss")
            if isinstance(node, ast.Name) and node.id not in out:
                for called in dict.fromkeys((node.id, aliases.get(node.id, node.id))):
                    todo += [called] if called in defs else []
                    classes += _with_bases(called, bases, defs, classes)
        todo += [
            d for d in defs if d not in out and d not in todo and _runs(d, classes, attributes)
        ]
        todo += [
            f
            for a, f in aliases.items()
            if f in defs and f not in out and _runs(a, classes, attributes)
        ]
    return out


def _with_bases(name: str, bases: dict, defs: dict, known: list[str]) -> list[str]:
    """The class ``name`` (one with methods in ``defs``) and the bases it inherits from, each
    not in ``known`` yet."""
    found: list[str] = []
    todo = [name]
    while todo:
        cls = todo.pop(0)
        if cls in known or cls in found:
            continue
        if any(d.startswith(f"{cls}.") for d in defs) or cls in bases:
            found.append(cls)
            todo += list(bases.get(cls, ()))
    return found


_CALLED_FOR_IT = frozenset({"forward", "backward"})  # by nn.Module and autograd.Function


def _runs(method: str, classes: list[str], attributes: set[str]) -> bool:
    """``Class.method`` of a class reached, read as an attribute or called by Python or a
    library for its class."""
    owner, _, name = method.partition(".")
    if not name or owner not in classes:
        return False
    dunder = name.startswith("__") and name.endswith("__")
    return dunder or name in _CALLED_FOR_IT or name in attributes


def bases(source: str) -> dict[str, tuple[str, ...]]:
    """The module's top-level classes by name, with the names of the classes they inherit
    from (``class SGD(_BaseOptimizer)``); ``{}`` when the text does not parse."""
    return {
        name: tuple(b.id for b in unit.bases if isinstance(b, ast.Name))
        for name, unit in units(source).items()
        if isinstance(unit, ast.ClassDef)
    }


def aliases(source: str) -> dict[str, str]:
    """The module's top-level names bound to one of its functions or classes (``A = B``), and
    the attributes its classes bind so in their bodies, as ``"Class.attr"`` (``class _Model:
    compute_loss = compute_loss``: a course's method kept as a function and called on an
    object)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    named = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    named |= {n.targets[0].id for n in tree.body if _named_lambda(n)}  # type: ignore[attr-defined]
    found = _bound(tree.body, named, "")
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        found.update(_bound(cls.body, named, f"{cls.name}."))
    return found


def _bound(body: list[ast.stmt], units: set[str], prefix: str) -> dict[str, str]:
    """The names ``body`` binds to one of ``units`` (``A = B``, or item by item, ``A, C = B,
    D``), or to a method of one of them or of an object of one (``f = Activations.sigmoid``,
    ``row = Softmax()._softmax``: ``"Softmax._softmax"``), each after ``prefix``."""
    found = {}
    for n in body:
        if not (isinstance(n, ast.Assign) and len(n.targets) == 1):
            continue
        pairs = [(n.targets[0], n.value)]
        if isinstance(n.targets[0], ast.Tuple) and isinstance(n.value, ast.Tuple):
            pairs = list(zip(n.targets[0].elts, n.value.elts))
        for target, value in pairs:
            bound = _unit_of(value, units) if isinstance(target, ast.Name) else None
            if bound is not None:
                found[f"{prefix}{cast(ast.Name, target).id}"] = bound
    return found


def _unit_of(value: ast.expr, units: set[str]) -> str | None:
    """The function, class or method of ``units`` that ``value`` names (``B``, ``Cls.method``,
    ``Cls().method``); else ``None``."""
    if isinstance(value, ast.Name):
        return value.id if value.id in units else None
    if isinstance(value, ast.Attribute):
        owner = value.value.func if isinstance(value.value, ast.Call) else value.value
        if isinstance(owner, ast.Name) and owner.id in units:
            return f"{owner.id}.{value.attr}"
    return None


def instances(source: str) -> dict[str, str]:
    """The module's top-level names bound to an object of one of its classes (``_net =
    Network(...)``, ``object.__new__(Network)``), each with its class's name: a method read
    off such a name (``_net.mse_grad(y, p)``) is that class's."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    found: dict[str, str] = {}
    for n in tree.body:
        if not (isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)):
            continue
        made = _made(n.value)
        if isinstance(made, ast.Name) and made.id in classes:
            found.update((t.id, made.id) for t in n.targets if isinstance(t, ast.Name))
    return found


def _made(call: ast.Call) -> ast.expr:
    """What ``call`` makes an object of: ``Network`` in ``Network(...)``,
    ``Network.__new__(Network)`` and ``object.__new__(Network)`` (a wrapper's way of making one
    without running its ``__init__``)."""
    made = call.func
    if isinstance(made, ast.Attribute) and made.attr == "__new__" and call.args:
        return call.args[0]
    return made.value if isinstance(made, ast.Attribute) else made


def read(
    source: str,
    fn: ast.FunctionDef,
    module: Iterable[ast.FunctionDef],
    siblings: Iterable[ast.FunctionDef] = (),
) -> Context:
    """The context of ``fn`` (frozen first, :func:`freeze`), a function of the module whose
    text is ``source`` and whose functions are ``module``; for a method, ``siblings`` are its
    class's methods (where a stability term it never reads, ``self.eps``, is set)."""
    ctx = Context(
        source,
        fn,
        _hyperparameters(fn, _keys(module)),
        _names(fn),
        _conditions(fn),
        _fallbacks(fn),
        _factors(fn),
        _updates(fn),
    )
    ctx.unused = _unused_terms(fn, ctx.hyperparameters) + _members(fn, siblings, unread=True)
    terms = [h for h in ctx.hyperparameters if STABILITY.search(ast.unparse(h))]
    ctx.stability = (*terms, *_members(fn, siblings, unread=False))
    # (after the stability terms: `self.eps` is read there through _members already)
    ctx.hyperparameters += _member_settings(fn, siblings)
    ctx.ignored = _ignored(fn)
    ctx.stores = _stores(fn)
    ctx.undefined = _undefined(fn, source)
    # a comparison kept as a flag or a mask picks a path or a branch too (`use_momentum =
    # momentum != 0`, `np.where(x == 0, 0.5, d)`): a number in it one off leaves a path unrun
    ctx.compared = {n for c in ast.walk(fn) if isinstance(c, ast.Compare) for n in ast.walk(c)}
    return ctx


def _undefined(fn: ast.FunctionDef, source: str) -> frozenset[str]:
    """The names ``fn`` reads that neither it, its module's top level nor Python defines
    (``true``, a variable misspelt, another function's local such as ``sample_mean`` read in a
    test-time forward): the code raises NameError there."""
    try:
        module = ast.parse(source)
    except (SyntaxError, ValueError):
        return frozenset()
    defined = set(dir(builtins))
    for top in module.body:
        if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(top.name)  # what a function or class body binds is its own
            defined.update(n for g in _globals(top) for n in g.names)
            continue
        if not _defines(top, defined):
            return frozenset()  # `from numpy import *`: anything may be defined
    for node in ast.walk(fn):
        if not _defines(node, defined):
            return frozenset()
    read = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return frozenset(read - defined)


def _globals(unit: ast.AST) -> list[ast.Global]:
    return [n for n in ast.walk(unit) if isinstance(n, ast.Global)]


@functools.lru_cache(maxsize=64)
def imported(source: str, module: str | None = None) -> frozenset[str]:
    """The names an ``import`` statement anywhere in ``source`` binds (``time``, ``np``, ``exp``
    of ``from math import exp``): shared by the whole process, so no edit writes into them.
    With ``module``, those ``from module import ...`` binds (``"*"`` for a star import)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    return frozenset(
        (a.asname or a.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        and (module is None or isinstance(node, ast.ImportFrom) and node.module == module)
        for a in node.names
    )


def _defines(tree: ast.AST, defined: set[str]) -> bool:
    """Add the names ``tree`` binds to ``defined``; ``False`` for a star import."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            defined.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if any(a.name == "*" for a in node.names):
                return False
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            defined.update(node.names)
    return True


def _stores(fn: ast.FunctionDef) -> dict[str, list[tuple[int, ast.expr | None]]]:
    """Each name ``fn`` stores, with the line of each store, in line order, and the value where
    the store is a plain ``name = value`` or one of ``a, b = x, y`` (``None`` for another: ``x
    -= c``, an item of a tuple returned, a loop's target): what a rule reads back through a
    name (``p = sigmoid(z)``, then ``np.log(p)``), or through an attribute of the method's
    object (``self.p = sigmoid(z)``, then ``np.log(self.p + 1e-9)``)."""
    plain: dict[int, ast.expr] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            plain[id(target)] = value
            if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
                if len(target.elts) == len(value.elts):
                    plain.update((id(t), v) for t, v in zip(target.elts, value.elts))
    found: dict[str, list[tuple[int, ast.expr | None]]] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.setdefault(node.id, []).append((node.lineno, plain.get(id(node))))
        if own_attribute(node) and isinstance(node.ctx, ast.Store):  # read back as `self.p`
            found.setdefault(ast.unparse(node), []).append((node.lineno, plain.get(id(node))))
    return {name: sorted(stores, key=lambda s: s[0]) for name, stores in found.items()}


def own_attribute(node: ast.AST) -> TypeGuard[ast.Attribute]:
    """``self.p``: an attribute of a plain name (a method keeps its values on its object)."""
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)


def _ignored(fn: ast.FunctionDef) -> tuple[str, ...]:
    """The parameters of ``fn`` without a default that it never reads, other than a method's
    object and a stability term (:func:`_unused_terms`)."""
    given = fn.args.posonlyargs + fn.args.args
    required = given[: len(given) - len(fn.args.defaults)]
    read = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return tuple(
        a.arg
        for a in required
        if a.arg not in read and a.arg not in ("self", "cls") and not STABILITY.search(a.arg)
    )


def _keys(defs: Iterable[ast.FunctionDef]) -> list[str]:
    """The string keys the module's functions give a dict (a literal, a subscript, ``get``,
    ``setdefault``), in order, :data:`_MAX_KEYS` at most."""
    found: dict[str, None] = {}
    for fn in defs:
        for node in ast.walk(fn):
            if isinstance(node, ast.Dict):
                keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
                found.update((k, None) for k in keys if type(k) is str)
            elif _setting(node):
                key = node.slice if isinstance(node, ast.Subscript) else node.args[0]  # type: ignore[attr-defined]
                found[str(cast(ast.Constant, key).value)] = None
    return list(found)[:_MAX_KEYS]


def _hyperparameters(fn: ast.FunctionDef, keys: list[str]) -> tuple[ast.expr, ...]:
    """Where ``fn`` reads the hyperparameters its caller passes: its parameters with a number
    for default (``eps=1e-8``), the names it sets from a dict of settings
    (``eps = config.get("epsilon", 1e-8)``, the CS231n and EECS 498 habit), the entries of such
    a dict it reads by a key (``config["epsilon"]``), and the other ``keys`` the module gives a
    dict, read from it (a setting the function never reads is the likeliest one it ignores)."""
    args = fn.args.args + fn.args.kwonlyargs
    defaults = [None] * (len(fn.args.args) - len(fn.args.defaults)) + list(fn.args.defaults)
    defaults += list(fn.args.kw_defaults)
    found: dict[str, ast.expr] = {
        a.arg: ast.Name(a.arg, ast.Load())
        for a, d in zip(args, defaults)
        if isinstance(d, ast.Constant) and type(d.value) in (int, float)
    }
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and _setting(node.value):
            target = node.targets[0]
            if isinstance(target, ast.Name):
                found.setdefault(target.id, ast.Name(target.id, ast.Load()))
        if _setting(node) and isinstance(node, ast.Subscript):
            found.setdefault(ast.unparse(node), ast.Subscript(node.value, node.slice, ast.Load()))
    for settings in _settings_dicts(fn):
        for key in keys:
            entry = ast.Subscript(ast.Name(settings, ast.Load()), ast.Constant(key), ast.Load())
            found.setdefault(ast.unparse(entry), entry)
    return tuple(found.values())


STABILITY = re.compile(r"eps|epsilon", re.IGNORECASE)


def _unused_terms(fn: ast.FunctionDef, hyperparameters: tuple[ast.expr, ...]) -> tuple:
    """The hyperparameters of ``fn`` named like a stability term (``eps``, ``config["epsilon"]``)
    that it never reads: a variable never loaded, or a setting whose key it never reads."""
    read = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    keys = {n.value for n in ast.walk(fn) if isinstance(n, ast.Constant)}
    out: list[ast.expr] = []
    for h in hyperparameters:
        if isinstance(h, ast.Name) and STABILITY.search(h.id) and h.id not in read:
            out.append(h)
        key = getattr(h.slice, "value", None) if isinstance(h, ast.Subscript) else None
        if isinstance(key, str) and STABILITY.search(key) and key not in keys:
            out.append(h)
    return tuple(out)


def _members(fn: ast.FunctionDef, siblings: Iterable[ast.FunctionDef], unread: bool) -> tuple:
    """The attributes named like a stability term (``self.eps``) that the methods ``siblings``
    set on their object (``unread``: those the method ``fn`` never reads)."""
    if not fn.args.args:
        return ()
    me = fn.args.args[0].arg
    read = {ast.unparse(n) for n in ast.walk(fn) if _member(n, me, ast.Load)} if unread else set()
    found: dict[str, ast.expr] = {}
    for other in siblings:
        if other.args.args and other.args.args[0].arg == me:
            for node in ast.walk(other):
                if not (_member(node, me, ast.Store) and isinstance(node, ast.Attribute)):
                    continue
                text = ast.unparse(node)
                if STABILITY.search(node.attr) and text not in read:
                    found.setdefault(
                        text, ast.Attribute(ast.Name(me, ast.Load()), node.attr, ast.Load())
                    )
    return tuple(found.values())


def _member_settings(fn: ast.FunctionDef, siblings: Iterable[ast.FunctionDef]) -> tuple:
    """The attributes the methods ``siblings`` set from a parameter with a number for default
    (``self.slope = slope`` in ``__init__(self, slope=0.01)``): the hyperparameters a method
    reads through its object (a leaky ReLU's forward that types in 0.01 ignores its slope)."""
    if not fn.args.args:
        return ()
    me = fn.args.args[0].arg
    found: dict[str, ast.expr] = {}
    for other in siblings:
        numbered = {h.id for h in _hyperparameters(other, []) if isinstance(h, ast.Name)}
        for node in ast.walk(other):
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
                continue
            target = node.targets[0]
            from_setting = isinstance(node.value, ast.Name) and node.value.id in numbered
            if from_setting and _member(target, me, ast.Store):
                attr = cast(ast.Attribute, target).attr
                found.setdefault(attr, ast.Attribute(ast.Name(me, ast.Load()), attr, ast.Load()))
    return tuple(found.values())


def _member(node: ast.AST, me: str, context: type) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.ctx, context)
        and isinstance(node.value, ast.Name)
        and node.value.id == me
    )


def _settings_dicts(fn: ast.FunctionDef) -> list[str]:
    """The parameters of ``fn`` it reads settings from by a key."""
    params = {a.arg for a in fn.args.args + fn.args.kwonlyargs}
    out: dict[str, None] = {}
    for node in ast.walk(fn):
        if _setting(node):
            owner = node.value if isinstance(node, ast.Subscript) else node.func.value  # type: ignore[attr-defined]
            if isinstance(owner, ast.Name) and owner.id in params:
                out[owner.id] = None
    return list(out)


def _setting(node: ast.AST) -> bool:
    """A setting read from a dict by a key: ``d["key"]``, ``d.get("key", ...)``,
    ``d.setdefault("key", ...)``."""
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and type(node.slice.value) is str
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("get", "setdefault")
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and type(node.args[0].value) is str
    )


def _names(fn: ast.FunctionDef) -> tuple[str, ...]:
    params = [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs]
    stored = [
        n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    ]
    return tuple(dict.fromkeys(params + stored))


def _updates(fn: ast.FunctionDef) -> set[tuple[str, str]]:
    """The pairs ``(old, new)`` where ``new`` holds a later value than ``old``, ``old`` being a
    remembered value (read out of a container: ``state["v"]``, ``cache.get("v")``) or a copy of
    one: ``new = alpha * old + ...`` computed from it, or ``old`` a copy taken of a remembered
    value that is then brought up to date under its own name (``last = buf``, then
    ``buf = momentum * buf + g``)."""
    assigned = [
        (node.targets[0].id, node.value)
        for node in ast.walk(fn)
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
    ]
    remembered = {name for name, value in assigned if any(map(_reads_container, ast.walk(value)))}
    copies: dict[str, str] = {}  # a copy (or a default in its place) -> the value it copies
    for name, value in assigned:
        branches = (value.body, value.orelse) if isinstance(value, ast.IfExp) else (value,)
        for b in branches:
            if isinstance(b, ast.Name) and b.id in remembered and b.id != name:
                copies[name] = b.id
                remembered.add(name)
    out: set[tuple[str, str]] = set()
    for name, value in assigned:
        read = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
        if copies.get(name) in read:
            continue  # the copy itself: the same value
        out.update((r, name) for r in read & remembered if r != name)
        if name in read and name in remembered:  # brought up to date under its own name
            out.update((c, name) for c, of in copies.items() if of == name)
    return out


def _reads_container(node: ast.AST) -> bool:
    """``node`` reads an item out of a container: ``d["k"]`` or ``d.get("k", ...)``."""
    if isinstance(node, ast.Subscript):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
    )


def _fallbacks(fn: ast.FunctionDef) -> set:
    """The numbers a setting falls back on (``config.get("eps", 1e-8)``), marked so that no
    edit puts a hyperparameter in their place."""
    out: set = set()
    for node in ast.walk(fn):
        if _setting(node) and isinstance(node, ast.Call):
            for arg in node.args[1:]:
                for sub in ast.walk(arg):
                    if isinstance(sub, ast.Constant):
                        sub._descent_setting = True  # type: ignore[attr-defined]
                        out.add(sub)
    return out


def _factors(fn: ast.FunctionDef) -> set:
    """The numbers ``fn`` multiplies or divides by (a factor is dropped, not off by one)."""
    return {
        side
        for node in ast.walk(fn)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div))
        for side in (node.left, node.right)
        if isinstance(side, ast.Constant)
    }


def _conditions(fn: ast.FunctionDef) -> set:
    """The nodes of the conditions ``fn`` tests (``if``, ``while``, a conditional expression,
    an ``assert``), of every ``is`` / ``is not`` comparison, and of a comparison or ``and`` /
    ``or`` assigned to a name a condition tests (``covered = len(shape) == 4``, then
    ``if covered:``): an edit there sends every call down another path, as one in the test
    itself does."""
    out: set = set()
    for node in ast.walk(fn):
        test = (
            getattr(node, "test", None)
            if isinstance(node, (ast.If, ast.IfExp, ast.While, ast.Assert))
            else None
        )
        if isinstance(node, ast.Compare) and any(
            isinstance(o, (ast.Is, ast.IsNot)) for o in node.ops
        ):
            test = node
        if test is not None:
            out.update(ast.walk(test))
    tested = {n.id for n in out if isinstance(n, ast.Name)}
    for node in ast.walk(fn):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id in tested for t in node.targets)
            and isinstance(node.value, (ast.Compare, ast.BoolOp, ast.UnaryOp))
        ):
            out.update(ast.walk(node.value))
    return out


def frozen(node: ast.AST) -> bool:
    return getattr(node, "_descent_frozen", False)


def bound(node: ast.AST) -> bool:
    """A node of a loop's bound (a ``while`` test, a ``range`` argument): frozen to every edit
    but the few that change a count by one (:data:`.edit_rules.BOUND_RULES`)."""
    return getattr(node, "_descent_bound", False)


def freeze(fn: ast.FunctionDef) -> None:
    """Mark the nodes no edit touches: the function's own signature and decorators, the body of
    a ``while`` loop and its test, and ``range`` calls; a ``while`` test and a ``range``
    argument are marked as a loop's bound as well (any edit of a loop could make it never end;
    a count one off cannot)."""
    signature: list[ast.AST] = [*fn.decorator_list, fn.args]
    for node in signature:
        _mark(node)
    for node in ast.walk(fn):  # outer nodes first: a loop inside a while's body stays frozen
        if frozen(node):
            continue
        if isinstance(node, ast.While):
            _mark(node)
            _mark(node.test, bounding=True)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "range":
            _mark(node)
            for arg in node.args:
                _mark(arg, bounding=True)


def _mark(node: ast.AST, bounding: bool = False) -> None:
    for sub in ast.walk(node):
        sub._descent_frozen = True  # type: ignore[attr-defined]
        if bounding:
            sub._descent_bound = True  # type: ignore[attr-defined]
