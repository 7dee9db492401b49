"""Generic diagnoses that re-run the reference's own code with one slip written into it.

A student's mistake is often one operation of the formula done differently: a square root or a
log left out, one hyperparameter used where another belongs, eps missing, ``=`` where ``+=``
belongs, a statistic of the batch taken in evaluation mode. :func:`mutants` reads the source of
the reference's functions of an exercise (and of the module's helpers they call, and of its class
for an exercise that is a class) and writes each such slip into a copy, every occurrence of the
changed expression at once (a student who misreads a formula misreads it everywhere). Each
mutant is an implementation; :mod:`descent.diagnoses.verified` runs the failing checks' recipes
on it and names the mutant that gives the student's results on all of them.

The slips are the rules of :data:`~.order.MUTANT_SLIPS`, each ``(node, context) -> Iterator[Slip]``
over the reference's syntax tree (:mod:`~.syntax` reads the context): one operation of a formula
(:mod:`~.formula`: an operation, eps, a hyperparameter, a term, a sign, a power, a floor), what
code keeps between calls (:mod:`~.bookkeeping`: ``=`` for ``+=``, a mode, a counter, a loop's
value), a backward's formula (:mod:`~.backward`: a gate, a branch, an axis, a factor, a
quantity) and how an expression is grouped (:mod:`~.regroup`). Powers left out alike, and a
grouping slip written alike in every expression of its form, are also tried together.

A slip of a forward with a backward beside it is tried again with a backward that differentiates
the slipped forward (:mod:`descent.diagnoses.differentiated`). The slips are written into the
reference, then into the exercise's catalogued alternatives (:func:`hosts`; only a backward's
slips there: :data:`~.order.ALTERNATIVE_SLIPS`), and (:func:`written_into`) into a catalogued
bug's own code.

Texts quote no code of the reference: only the parameters of the signature, names the docstring
shows, and the operation.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, cast

from .. import registry, variants
from ..calls.impl import Implementation, PatchedImplementation
from . import order, regroup
from .base import BIAS_CORRECTION
from .differentiated import differentiated
from .syntax import Slip, Sources, context, public_names, quote, shared_hyperparameters, substituted

MAX_MUTANTS = 160  # written per exercise at most (the most telling slips first)


@dataclass(frozen=True)
class Mutant:
    """One slip written into the reference: ``kind`` and ``text`` (completing "your result is
    what the reference gives with ...") and the functions it replaces (module, name) -> object."""

    kind: str
    text: str
    replaced: tuple[tuple[str, Any], ...]
    module: str
    source: str = "the reference"  # what the slip was written into (see :func:`hosts`)
    host: Implementation | None = None  # that code, where it is not the reference

    def apply(self, reference: Implementation) -> Implementation:
        return PatchedImplementation(
            reference, "mutant", {(self.module, name): obj for name, obj in self.replaced}
        )


def mutants(reference: Implementation, exercise: str | None) -> list[Mutant]:
    """Every slip of :data:`MAX_MUTANTS` at most written into the reference's code of
    ``exercise`` (cached per exercise); ``[]`` when its source cannot be read."""
    if exercise is None or exercise not in registry.EXERCISES:
        return []
    key = (id(reference), exercise)
    if key not in _CACHE:
        _CACHE[key] = []
        for host, source in hosts(reference, exercise):
            try:
                written = list(_written(host, exercise, host is not reference))[:MAX_MUTANTS]
            except (OSError, TypeError, SyntaxError):  # no source (a built-in, compiled code)
                continue
            other = None if host is reference else host
            _CACHE[key] += [replace(m, source=source, host=other) for m in written]
    return _CACHE[key]


def hosts(reference: Implementation, exercise: str) -> list[tuple[Implementation, str]]:
    """The correct code a slip is written into: the reference first, then the exercise's
    catalogued alternatives that replace all of its functions (correct code in another form: a
    student's slip in a ``_backward`` closure per operation, or in a textbook formula, has no
    one-expression twin in a reference written for speed). With the words a text names it by.
    Only the slips of a backward's formula are written into an alternative (:data:`~.order.ALTERNATIVE_SLIPS`):
    a term or a ``+ 1`` left out of a walk's bookkeeping can mimic an unrelated mistake."""
    out = [(reference, "the reference")]
    functions = set(registry.get(exercise).functions)
    for variant in variants.variants(variants.ALTERNATIVE, exercise):
        if set(variant.functions) >= functions:
            out.append((variant.apply(reference), "a correct solution written another way"))
    return out


_CACHE: dict[tuple[int, str], list[Mutant]] = {}

_INTO: dict[tuple[int, str, str], list[Mutant]] = {}


def written_into(
    reference: Implementation, variant: variants.Variant, exercise: str
) -> list[Mutant]:
    """The slips written into a catalogued bug's own code (the reference with that bug), each
    named as written into "code that <the bug's title>": a second mistake on top of one the
    catalogue knows (a convention of another course kept beside a slip of one's own). Cached per
    bug; ``[]`` when its source cannot be read."""
    key = (id(reference), variant.id, exercise)
    if key not in _INTO:
        host = variant.apply(reference)
        try:
            written = list(_written(host, exercise))[:MAX_MUTANTS]
        except (OSError, TypeError, SyntaxError):  # no source (a built-in, compiled code)
            written = []
        source = f"code that {variant.title}"
        _INTO[key] = [replace(m, source=source) for m in written]
    return _INTO[key]


def _written(
    reference: Implementation, exercise: str, backward_only: bool = False
) -> Iterator[Mutant]:
    """The slips of ``reference``'s code of ``exercise``; ``backward_only``: only those of a
    backward's formula (see :func:`hosts`)."""
    entry = registry.get(exercise)
    view = reference.module(entry.module)
    owners = {name: getattr(view, name) for name in entry.functions}
    if not all(inspect.isfunction(o) or inspect.isclass(o) for o in owners.values()):
        return
    namespace = _namespace(list(owners.values()))
    if namespace is None:
        return
    targets = dict(owners)
    for owner in owners.values():  # the module's helpers they call, one level down
        if inspect.isfunction(owner):
            for name in owner.__code__.co_names:
                helper = namespace.get(name)
                if inspect.isfunction(helper) and helper.__module__ == owner.__module__:
                    targets.setdefault(name, helper)
    trees = {name: _tree(obj) for name, obj in targets.items()}
    public = public_names(owners)
    shared = shared_hyperparameters(trees, set(owners))
    seen: set[tuple] = set()
    source = Sources()  # the trees are read, never changed: each node's source is read once
    for name, tree in trees.items():
        slips = _slips(tree, public, backward_only, shared)
        for pairs, kind, text in _grouped(slips, tree, public):
            key = (name, tuple((source(b), ast.unparse(a)) for b, a in pairs))
            if key in seen:
                continue
            seen.add(key)
            slipped = cast(ast.Module, substituted(tree, pairs, source))  # a module stays one
            changed = {**trees, name: slipped}
            built = _compiled(changed, namespace)
            if built is not None:
                _carry_over(owners, built)
                replaced = tuple((n, built[n]) for n in owners)
                yield Mutant(kind, text, replaced, entry.module)
                yield from _with_its_backward(name, kind, text, owners, built, entry.module)


def _with_its_backward(
    name: str, kind: str, text: str, owners: dict, built: dict, module: str
) -> Iterator[Mutant]:
    """For a slip of a forward with a backward beside it, the slip again with a backward that
    differentiates the slipped forward (:mod:`descent.diagnoses.differentiated`): a student
    derives their backward from the forward they wrote."""
    partner = name.removesuffix("_forward") + "_backward"
    if not name.endswith("_forward") or partner not in owners or name not in owners:
        return
    pair = differentiated(built[name], owners[name], owners[partner])
    replaced = tuple(
        (n, pair["forward"] if n == name else pair["backward"] if n == partner else built[n])
        for n in owners
    )
    yield Mutant(kind, text + ", and a backward that differentiates that forward", replaced, module)


def _grouped(
    slips: Iterator[Slip], tree: ast.Module, public: set[str]
) -> Iterator[tuple[list, str, str]]:
    """Each slip alone, and, for a power left out, every power with the same exponent left out
    at once (``1 - beta1 ** t`` and ``1 - beta2 ** t`` misread alike); a grouping slip
    (:func:`~.regroup.alike`) in every expression of the same form at once too (both moments'
    corrections, both running statistics)."""
    powers: dict[str, list] = {}
    forms: dict[tuple, list] = {}
    for before, after, kind, text in slips:
        after = ast.fix_missing_locations(ast.copy_location(after, before))
        yield [(before, after)], kind, text
        if kind == "omitted" and isinstance(before, ast.BinOp) and isinstance(before.op, ast.Pow):
            powers.setdefault(ast.unparse(before.right), []).append((before, after))
        if regroup.alike(kind, text):
            forms.setdefault((kind, regroup.form(before, after, text)), []).append(
                (before, after, text)
            )
    for (kind, *_), group in forms.items():
        if len({ast.unparse(b) for b, _, _ in group}) > 1:
            yield [(b, a) for b, a, _ in group], kind, regroup.together([t for _, _, t in group])
    for exponent, pairs in powers.items():
        if len({ast.unparse(b) for b, _ in pairs}) > 1:
            yield (
                pairs,
                "omitted",
                f"every power `** {exponent}` left out (the bases used as they are)"
                + _corrections(tree, [b for b, _ in pairs], public),
            )


def _corrections(tree: ast.Module, powers: list, public: set[str]) -> str:
    """For powers that each stand in ``1 - base ** t`` with a base the stub shows (``beta1``):
    the bias correction this misreads, in the stub's names ("" otherwise)."""
    inside = {
        ast.unparse(n.right)
        for n in ast.walk(tree)
        if isinstance(n, ast.BinOp)
        and isinstance(n.op, ast.Sub)
        and isinstance(n.left, ast.Constant)
        and n.left.value == 1
    }
    shown = [p for p in powers if ast.unparse(p) in inside and quote(p.left, public)]
    if not shown or len(shown) < len(powers):
        return ""
    words = " and ".join(
        f"(1 - {ast.unparse(p.left)}) instead of (1 - {ast.unparse(p)})"
        for p in dict((ast.unparse(p), p) for p in shown).values()
    )
    return f": {BIAS_CORRECTION} {words}"


def _namespace(owners: list[Any]) -> dict | None:
    """The namespace ``owners`` (functions, or classes through their methods) run in: their
    module's, with the variables their code closes over (functions written inside another)."""
    functions = [
        f
        for o in owners
        for f in ([o] if inspect.isfunction(o) else vars(o).values())
        if inspect.isfunction(f)
    ]
    if not functions:
        return None
    scope: dict = {}
    for fn in reversed(functions):  # a bug's function beside the reference's: both modules'
        scope.update(fn.__globals__)
    for fn in functions:
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
            try:
                scope[name] = cell.cell_contents
            except ValueError:  # a cell not filled yet
                continue
    return scope


def _carry_over(owners: dict[str, Any], built: dict[str, Any]) -> None:
    """What a class was given after its statement (``Value.__radd__ = ...``) given to the class
    compiled again from that statement, which lacks it."""
    for name, owner in owners.items():
        if inspect.isclass(owner) and inspect.isclass(built.get(name)):
            for attr, value in vars(owner).items():
                if attr not in vars(built[name]):
                    setattr(built[name], attr, value)


def _tree(obj: Any) -> ast.Module:
    """``obj``'s source as a tree, without the catalogue's ``@variant.replaces`` decorators: run
    again, they would register the slipped copy as the alternative's own code (a slip written
    into an alternative would then be graded as that alternative)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            node.decorator_list = [d for d in node.decorator_list if not _registers(d)]
    return tree


def _registers(decorator: ast.expr) -> bool:
    """A decorator that registers what it decorates with a catalogued variant."""
    return isinstance(decorator, ast.Attribute) and decorator.attr == "replaces"


def _compiled(trees: dict[str, ast.Module], namespace: dict) -> dict[str, Any] | None:
    """The objects the changed sources define, in a copy of the module's namespace (so that the
    functions call each other's changed versions); ``None`` when the slip does not compile."""
    scope = dict(namespace)
    try:
        for tree in trees.values():
            code = compile(ast.fix_missing_locations(tree), "<reference with a slip>", "exec")
            exec(code, scope)  # noqa: S102 - the kit's own reference, changed by one operation
    except Exception:  # noqa: BLE001 - a slip that makes no valid code is no candidate
        return None
    return {name: scope[name] for name in trees if name in scope}


def _slips(
    tree: ast.Module,
    public: set[str],
    backward_only: bool = False,
    shared: frozenset[str] = frozenset(),
) -> Iterator[Slip]:
    """``(before, after, kind, text)`` for every slip of ``tree``, the most telling first;
    ``backward_only``: only the slips of a backward's formula (:data:`~.order.ALTERNATIVE_SLIPS`);
    ``shared``: the exercise's hyperparameters (:func:`~.syntax.context`)."""
    known = context(tree, public, shared)
    nodes = list(ast.walk(tree))
    slips = order.ALTERNATIVE_SLIPS if backward_only else order.MUTANT_SLIPS
    for rule in order.resolved(slips):
        for node in nodes:
            for slip in rule(node, known):
                if not backward_only or slip[2] in order.ALTERNATIVE_KINDS:
                    yield slip
