"""Generic diagnoses that re-run the reference's own code with one slip written into it.

A student's mistake is often one operation of the formula done differently: a square root or a
log left out, one hyperparameter used where another belongs, eps missing, ``=`` where ``+=``
belongs, a statistic of the batch taken in evaluation mode. :func:`mutants` reads the source of
the reference's functions of an exercise (and of the module's helpers they call, and of its class
for an exercise that is a class) and writes each such slip into a copy, every occurrence of the
changed expression at once (a student who misreads a formula misreads it everywhere). Each
mutant is an implementation; :mod:`descent.diagnoses.verified` runs the failing checks' recipes
on it and names the mutant that gives the student's results on all of them. The slips, by kind:

- ``omitted``: a call of ``sqrt``, ``rsqrt``, ``log``, ``exp``, ``log1p``, ``abs`` or ``tanh``
  left out (its argument used as it is), a power ``a ** k`` left out (``a`` for it), a division
  by something that is no count left out;
- ``sum-mean``: a division by a count (a size, a length, ``n``, the sum of a weighted mean's
  weights) left out; a ``mean`` taken as a ``sum`` or the reverse;
- ``eps``: eps (a name with ``eps`` in it) left out of a sum, or moved under the square root it
  was added after (and the reverse);
- ``swapped``: a hyperparameter (a float parameter, or a name unpacked from one such as
  ``beta1``), or ``1 - `` it, used where another belongs;
- ``term``: one term of a sum or difference left out; ``accumulate``: that term a running total
  (read from the state, carried through a loop, an attribute or an item: ``x = e`` for
  ``x = x + e``), or an augmented ``+=`` written as ``=``; ``step``: a ``+ 1`` or ``- 1`` left out
  (``frozen`` when it advances a counter read from the state);
- ``sign``: a difference taken the other way round or a sum for a difference;
- ``factor``: a numeric factor of a product left out, ``n`` for ``n - 1`` (a biased variance for
  the unbiased one);
- ``branch``: a strict comparison for an inclusive one or the reverse, or the two values of a
  backward's choice (``torch.where``, ``a if c else b``) exchanged; ``gate``: a backward's
  comparison with 0
  made with 1, or made on another of its arguments (the gradient gated on the wrong region);
- ``mode``: a test of a mode flag (``training``) forced one way: the statistics of one mode used in
  the other; or the other branch computing what the flag's branch computes but for the updates
  of the running state (the batch's statistics in evaluation, the running ones left as read);
- ``frozen``: a counter read from the state and advanced (``state.get("step", 0) + 1``) started
  afresh on every call, or written back into the new state as it was read, so that it never
  advances; a value a loop carries (set before it: a best so far) never updated inside it;
- ``step`` too: a power whose exponent is a count raised one too high or one too low (one decay
  or drop too many or too few);
- ``reduction``: a matrix parameter read transposed everywhere (rows for columns);
- ``branch`` too: one operand of an ``and`` or ``or`` left out;
- ``edge``: the size parameter pieces are cut to (``batch_size``) used where the length of each
  piece a loop walks through belongs (a short last batch handled like a full one);
- ``clamp``: a log (or log-softmax) of something floored at a small constant (1e-6 to 1e-20):
  the result clamped at the floor's log (the log of a softmax clamped at 1e-10); a floor's small
  constant (``clamp(min=1e-12)``) moved to another;
- ``reduction``: a sum or a mean over another axis (0, 1 or the last);
- in a backward, within its own statement: ``factor``, a factor that is a quantity left out of
  a product or a quotient's numerator left out (1 in its place); ``argument``, an operand's
  attribute read from another object of the operation (``out.data`` for ``self.data``).

A slip of a forward with a backward beside it is tried again with a backward that differentiates
the slipped forward (:mod:`descent.diagnoses.differentiated`). The slips are written into the
reference, then into the exercise's catalogued alternatives (:func:`hosts`; only a backward's
slips there: a gate, an axis, a factor, another quantity).

Texts quote no code of the reference: only the parameters of the signature, names the docstring
shows, and the operation.
"""

from __future__ import annotations

import ast
import copy
import inspect
import math
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from .. import registry, variants
from ..calls.impl import Implementation, PatchedImplementation
from . import order, regroup
from .base import FLOORS
from .differentiated import differentiated
from .rerun import transposed as transposed_text

_OMITTED_CALLS = ("sqrt", "rsqrt", "log", "exp", "log1p", "abs", "tanh")
_COUNTS = ("n", "N", "d", "D", "m", "count", "size", "numel", "batch", "batch_size")
_MODES = ("training", "train", "is_training", "eval", "evaluation")
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
    public = _public_names(owners)
    shared = _shared_hyperparameters(trees, set(owners))
    seen: set[tuple] = set()
    for name, tree in trees.items():
        slips = _slips(tree, public, backward_only, shared)
        for pairs, kind, text in _grouped(slips, tree, public):
            key = (name, tuple((ast.unparse(b), ast.unparse(a)) for b, a in pairs))
            if key in seen:
                continue
            seen.add(key)
            changed = {**trees, name: _Replace(pairs).visit(copy.deepcopy(tree))}
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
    shown = [p for p in powers if ast.unparse(p) in inside and _quote(p.left, public)]
    if not shown or len(shown) < len(powers):
        return ""
    words = " and ".join(
        f"(1 - {ast.unparse(p.left)}) instead of (1 - {ast.unparse(p)})"
        for p in dict((ast.unparse(p), p) for p in shown).values()
    )
    return f": a bias correction that divides by {words}"


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


def _totals(tree: ast.Module) -> set[str]:
    """Names that carry a value from one call or step to the next: assigned from a read of a
    state (``state.get(...)``, ``state[...]``) or inside a loop."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.While)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Assign, ast.AugAssign)):
                    targets = inner.targets if isinstance(inner, ast.Assign) else [inner.target]
                    found |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.Assign) and _reads_state(node.value):
            found |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return found


def _reads_state(node: Any) -> bool:
    """``node`` reads an entry of a dict named like a state (``state.get(k)``, ``state[k]``)."""
    for inner in ast.walk(node):
        owner = None
        if isinstance(inner, ast.Call) and _callee(inner) == "get":
            owner = getattr(inner.func, "value", None)
        elif isinstance(inner, ast.Subscript):
            owner = inner.value
        if isinstance(owner, ast.Name) and "state" in owner.id:
            return True
    return False


def _loops(tree: ast.Module) -> tuple[set[int], set[str]]:
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
                carried |= before & _stored(statement)
            elif isinstance(statement, ast.Assign):
                before |= _stored(statement)
    return looped, carried


def _stored(node: Any) -> set[str]:
    return {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


def _counters(tree: ast.Module) -> dict[str, Any]:
    """The counters a state holds: each ``state.get("key", <int>)`` read, by its key."""
    found: dict[str, Any] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _callee(node) == "get" and _reads_state(node)):
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


def _public_names(owners: dict[str, Any]) -> set[str]:
    """Names a text may quote: the exercise functions' parameters and the words of their
    docstrings (what the student's own stub shows)."""
    names: set[str] = set()
    for obj in owners.values():
        if inspect.isfunction(obj):
            names |= set(inspect.signature(obj).parameters)
        for word in (inspect.getdoc(obj) or "").replace("*", " ").split():
            names.add(word.strip("`.,:;()[]"))
    return names


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


class _Replace(ast.NodeTransformer):
    """Every occurrence of each ``before`` (compared as source) replaced by its ``after``."""

    def __init__(self, pairs: list[tuple[ast.AST, ast.AST]]):
        self.pairs = {ast.unparse(before): after for before, after in pairs}

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, (ast.expr, ast.stmt)):
            after = self.pairs.get(ast.unparse(node))
            # (a statement that is one call reads like that call: replace like with like)
            if after is not None and isinstance(after, ast.stmt) == isinstance(node, ast.stmt):
                return copy.deepcopy(after)
        return super().generic_visit(node)


# -- the slips -----------------------------------------------------------------------------------
Slip = tuple[Any, Any, str, str]  # (before, after, kind, text)


@dataclass
class _Context:
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


def _slips(
    tree: ast.Module,
    public: set[str],
    backward_only: bool = False,
    shared: frozenset[str] = frozenset(),
) -> Iterator[Slip]:
    """``(before, after, kind, text)`` for every slip of ``tree``, the most telling first;
    ``backward_only``: only the slips of a backward's formula (:data:`~.order.ALTERNATIVE_SLIPS`);
    ``shared``: the exercise's hyperparameters, read as such where ``tree`` takes or unpacks one
    (a helper handed ``lr`` and ``alpha`` without their defaults)."""
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
        if isinstance(n, ast.Assign) and _reads_state(n.value)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    context = _Context(
        public,
        *(
            _hyperparameters(tree) | (shared & _bound(tree)),
            assigned,
            backward,
            _totals(tree),
            tensors,
            from_state,
        ),
        _counters(tree),
        *_loops(tree),
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
    context.quantities = _quantities(tree)
    context.statements = {
        id(inner): statement
        for statement in ast.walk(tree)
        if isinstance(statement, (ast.Assign, ast.AugAssign, ast.Return, ast.Expr))
        for inner in ast.walk(statement)
    }
    nodes = list(ast.walk(tree))
    slips = order.ALTERNATIVE_SLIPS if backward_only else order.MUTANT_SLIPS
    for rule in order.resolved(slips):
        for node in nodes:
            for slip in rule(node, context):
                if not backward_only or slip[2] in order.ALTERNATIVE_KINDS:
                    yield slip


def _quote(node: Any, public: set[str]) -> str | None:
    """``node`` as source when every name in it is one the student's stub shows."""
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    if names <= public and not any(isinstance(n, ast.Attribute) for n in ast.walk(node)):
        return f"`{ast.unparse(node)}`"
    return None


def _callee(node: Any) -> str | None:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None


def _omitted(node: Any, context: _Context) -> Iterator[Slip]:
    if isinstance(node, ast.Call) and _callee(node) in _OMITTED_CALLS:
        name = _callee(node) or ""
        method = isinstance(node.func, ast.Attribute) and not node.args
        inner = getattr(node.func, "value", None) if method else None
        inner = inner if method else node.args[0] if len(node.args) == 1 else None
        if inner is None or node.keywords:
            return
        after: Any
        if name == "rsqrt":
            after = ast.BinOp(ast.Constant(1.0), ast.Div(), inner)
            what = "the square root of 1 / sqrt(...) left out"
        else:
            after = inner
            what = {"sqrt": "no square root", "log": "no log", "exp": "no exp"}.get(
                name, f"no call of {name}"
            ) + " (it is left out"
        yield node, after, "omitted", f"{what}: what it applies to used as it is)"
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        quoted = _quote(node, context.public)
        what = (
            f"{quoted} written as {_quote(node.left, context.public)}"
            if quoted
            else "a power left out"
        )
        yield node, node.left, "omitted", f"{what}: the power left out (the base used as it is)"
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        if _count(node.right):
            yield (
                node,
                node.left,
                "sum-mean",
                "a division by a count left out: a sum where the mean belongs",
            )
        elif not isinstance(node.left, ast.Constant):
            quoted = _quote(node.right, context.public)
            yield node, node.left, "omitted", f"the division by {quoted or 'a normalizer'} left out"
    elif (
        isinstance(node, ast.Call)
        and _callee(node) in ("div", "div_")
        and isinstance(node.func, ast.Attribute)
        and len(node.args) == 1
    ):
        if _count(node.args[0]):
            yield (
                node,
                node.func.value,
                "sum-mean",
                ("a division by a count left out: a sum where the mean belongs"),
            )
        else:
            quoted = _quote(node.args[0], context.public)
            yield (
                node,
                node.func.value,
                "omitted",
                (f"the division by {quoted or 'a normalizer'} left out"),
            )
    elif isinstance(node, ast.Call) and _callee(node) in ("mean", "sum"):
        other = "sum" if _callee(node) == "mean" else "mean"
        after = copy.deepcopy(node)
        if isinstance(after.func, ast.Attribute):
            after.func.attr = other
        elif isinstance(after.func, ast.Name):
            after.func.id = other
        yield (
            node,
            after,
            "sum-mean",
            f"a {other} where the {_callee(node)} belongs",
        )


def _count(node: Any) -> bool:
    """An expression that counts: a count-like name, a size (``x.shape[0]``, ``len(x)``,
    ``x.numel()``), or a product or difference of those."""
    if isinstance(node, ast.Name):
        return node.id in _COUNTS or node.id.startswith(("n_", "num_"))
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
        return node.value.attr == "shape"
    if isinstance(node, ast.Call):  # a size, or the sum of the weights of a weighted mean
        return _callee(node) in ("len", "numel", "size") or _callee(node) == "sum" and not node.args
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Sub)):
        return _count(node.left) and (_count(node.right) or isinstance(node.right, ast.Constant))
    return False


def _one(node: Any) -> bool:
    return isinstance(node, ast.Constant) and node.value == 1


def _eps_name(node: Any) -> bool:
    return isinstance(node, ast.Name) and "eps" in node.id.lower()


def _eps(node: Any, context: _Context) -> Iterator[Slip]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        for kept, dropped in ((node.left, node.right), (node.right, node.left)):
            if _eps_name(dropped):
                yield node, kept, "eps", f"`{ast.unparse(dropped)}` left out where it is added"
                root = _root(kept)
                if root is not None:  # sqrt(a) + eps -> sqrt(a + eps)
                    moved = copy.deepcopy(kept)
                    _set_root_argument(moved, ast.BinOp(_root_argument(kept), ast.Add(), dropped))
                    yield (
                        node,
                        moved,
                        "eps",
                        f"`{ast.unparse(dropped)}` added under the square root instead of after it",
                    )
    elif (
        isinstance(node, ast.Call)
        and _callee(node) in ("add", "add_")
        and isinstance(node.func, ast.Attribute)
        and len(node.args) == 1
        and _eps_name(node.args[0])
    ):
        kept = node.func.value
        yield node, kept, "eps", f"`{ast.unparse(node.args[0])}` left out where it is added"
        if _root(kept) is not None:
            moved = copy.deepcopy(kept)
            _set_root_argument(moved, ast.BinOp(_root_argument(kept), ast.Add(), node.args[0]))
            yield (
                node,
                moved,
                "eps",
                f"`{ast.unparse(node.args[0])}` added under the square root instead of after it",
            )
    elif isinstance(node, ast.Call) and _callee(node) in ("sqrt", "rsqrt"):
        arg = _root_argument(node)
        if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Add) and _eps_name(arg.right):
            eps = arg.right
            root = copy.deepcopy(node)
            _set_root_argument(root, arg.left)
            after: Any = (
                ast.BinOp(root, ast.Add(), eps)
                if _callee(node) == "sqrt"
                else ast.BinOp(
                    ast.Constant(1.0),
                    ast.Div(),
                    ast.BinOp(_as_sqrt(root), ast.Add(), eps),
                )
            )
            yield (
                node,
                after,
                "eps",
                f"`{ast.unparse(eps)}` added after the square root instead of under it",
            )


def _root(node: Any) -> Any:
    return node if isinstance(node, ast.Call) and _callee(node) in ("sqrt", "rsqrt") else None


def _root_argument(node: Any) -> Any:
    if not isinstance(node, ast.Call):
        return None
    if node.args:
        return node.args[0]
    return node.func.value if isinstance(node.func, ast.Attribute) else None


def _set_root_argument(node: Any, value: Any) -> None:
    if node.args:
        node.args[0] = value
    elif isinstance(node.func, ast.Attribute):
        node.func.value = value


def _as_sqrt(node: Any) -> Any:
    out = copy.deepcopy(node)
    if isinstance(out.func, ast.Attribute):
        out.func.attr = "sqrt"
    elif isinstance(out.func, ast.Name):
        out.func.id = "sqrt"
    return out


def _shared_hyperparameters(trees: dict[str, ast.Module], owners: set[str]) -> frozenset[str]:
    """The float hyperparameters of the exercise's own functions (``owners``: their defaults
    say so), and the names any of ``trees`` unpacks from one of them (``beta1, beta2 = betas``)."""
    found: set[str] = set()
    for name in owners & set(trees):
        found |= _hyperparameters(trees[name])
    tuples = set()
    for name in owners & set(trees):
        for fn in (n for n in ast.walk(trees[name]) if isinstance(n, ast.FunctionDef)):
            defaults = list(fn.args.defaults) + list(fn.args.kw_defaults)
            args = (fn.args.args[len(fn.args.args) - len(fn.args.defaults) :]) + list(
                fn.args.kwonlyargs
            )
            tuples |= {a.arg for a, d in zip(args, defaults) if isinstance(d, ast.Tuple)}
    for tree in trees.values():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Name)
                and node.value.id in tuples
                and isinstance(node.targets[0], ast.Tuple)
            ):
                found |= {e.id for e in node.targets[0].elts if isinstance(e, ast.Name)}
    return frozenset(n for n in found if "eps" not in n.lower())


def _bound(tree: ast.Module) -> set[str]:
    """The names ``tree``'s functions take as parameters or assign."""
    names = {
        a.arg
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef)
        for a in fn.args.args + fn.args.kwonlyargs
    }
    return names | _stored(tree)


def _hyperparameters(tree: ast.Module) -> set[str]:
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
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Name)
            and node.value.id in tuples
            and isinstance(node.targets[0], ast.Tuple)
        ):
            found |= {e.id for e in node.targets[0].elts if isinstance(e, ast.Name)}
    return found - {n for n in found if "eps" in n.lower()}


def _swapped(node: Any, context: _Context) -> Iterator[Slip]:
    """A hyperparameter, or 1 minus it, used where another belongs."""
    used = None
    if isinstance(node, ast.Name) and node.id in context.hyper and isinstance(node.ctx, ast.Load):
        used = node.id
    elif (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Sub)
        and isinstance(node.left, ast.Constant)
        and node.left.value == 1
        and isinstance(node.right, ast.Name)
        and node.right.id in context.hyper
    ):
        used = f"1 - {node.right.id}"
    if used is None:
        return
    for other in sorted(context.hyper):
        if other in used.split():
            continue
        yield (
            node,
            ast.Name(other, ast.Load()),
            "swapped",
            f"`{other}` used where `{used}` belongs",
        )


def _accumulated(node: Any, context: _Context) -> Iterator[Slip]:
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
        yield (
            node,
            ast.Assign([copy.deepcopy(node.target)], node.value),
            "accumulate",
            "an assignment where the reference adds: `=` for `+=` (each contribution "
            "overwrites the ones before it)",
        )
    elif (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.value, ast.BinOp)
        and isinstance(node.value.op, ast.Add)
    ):
        target = ast.unparse(node.targets[0])
        carried = not isinstance(node.targets[0], ast.Name) or target in context.totals
        for kept, total in (
            (node.value.right, node.value.left),
            (node.value.left, node.value.right),
        ):
            if carried and ast.unparse(total) == target:
                yield (
                    node,
                    ast.Assign([copy.deepcopy(node.targets[0])], kept),
                    "accumulate",
                    "an assignment where the reference adds to a running total: `=` for "
                    "`+=` (each contribution overwrites the ones before it)",
                )


def _mode(node: Any, context: _Context) -> Iterator[Slip]:
    if not isinstance(node, (ast.If, ast.IfExp)):
        return
    test = node.test
    name = test.operand if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) else test
    if not (isinstance(name, ast.Name) and name.id in _MODES):
        return
    for value in (True, False):
        yield (
            test,
            ast.Constant(value),
            "mode",
            f"`{ast.unparse(test)}` taken as {value} whatever the mode: what belongs to one "
            "mode (the batch's statistics, or the running ones) used in the other",
        )


def _statistics_of_mode(node: Any, context: _Context) -> Iterator[Slip]:
    """``if training: A else: B`` with B computing what A computes, except the updates of the
    running state (the names A computes from a ``running_...`` read), which B still keeps: the
    batch's statistics used in evaluation while the running statistics are left as they were,
    which forcing the flag (:func:`_mode`) cannot give, since it also updates them."""
    if not (isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.orelse):
        return
    if node.test.id not in _MODES:
        return
    updates = {
        target
        for statement in node.body
        if isinstance(statement, ast.Assign) and _reads_running(statement.value)
        for target in _stored(statement)
    }
    kept = [s for s in node.orelse if updates and _stored(s) and _stored(s) <= updates]
    if not kept:
        return
    body = [s for s in node.body if not (_stored(s) and _stored(s) <= updates)]
    after = ast.If(node.test, node.body, copy.deepcopy(body) + kept)
    yield (
        node,
        after,
        "mode",
        f"the statistics of the `{node.test.id}` branch used in the other mode too, while the "
        "running statistics are returned as they were: the batch's statistics in evaluation",
    )


def _reads_running(node: Any) -> bool:
    return any(isinstance(n, ast.Name) and n.id.startswith("running") for n in ast.walk(node))


def _frozen(node: Any, context: _Context) -> Iterator[Slip]:
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
        return
    read, step = node.left, node.right
    if not (isinstance(step, ast.Constant) and step.value == 1):
        return
    if (
        isinstance(read, ast.Call)
        and _callee(read) == "get"
        and len(read.args) == 2
        and isinstance(read.func, ast.Attribute)
        and "state" in ast.unparse(read.func.value)  # a count of users in a graph is no state
    ):
        yield (
            node,
            ast.BinOp(copy.deepcopy(read.args[1]), ast.Add(), step),
            "frozen",
            "a counter kept in the state that is never incremented: every call counts as "
            "the first (the stored count is not read back, or not stored)",
        )


def _stored_as_read(node: Any, context: _Context) -> Iterator[Slip]:
    """A counter the state holds (read as ``state.get("step", 0)``) written back into the new
    state as it was read: the update uses the advanced count, the stored one stays put, so every
    call counts as the first (``t = self.t + 1`` computed, ``self.t`` kept)."""
    if not isinstance(node, ast.Dict):
        return
    for i, (key, value) in enumerate(zip(node.keys, node.values)):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            continue
        read = context.counters.get(key.value)
        if read is None or ast.unparse(value) == ast.unparse(read):
            continue
        after = copy.deepcopy(node)
        after.values[i] = copy.deepcopy(read)
        yield (
            node,
            after,
            "frozen",
            "a counter kept in the state that is stored back as it was read: the update counts "
            "the step but the count it returns is never incremented, so every call counts as "
            "the first",
        )


def _not_updated(node: Any, context: _Context) -> Iterator[Slip]:
    """Inside a loop, the update of a value the loop carries (set before it: a best so far)
    left out, the rest of the statement kept: ``best_epoch = epoch`` for ``best, best_epoch =
    loss, epoch``. The value keeps its first setting, and every step is compared with that."""
    if not (isinstance(node, ast.Assign) and id(node) in context.looped):
        return
    target, value = node.targets[0], node.value
    pairs = (
        list(zip(target.elts, value.elts))
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple)
        else [(target, value)]
    )
    for i, (name, _) in enumerate(pairs):
        if not (isinstance(name, ast.Name) and name.id in context.carried):
            continue
        rest = pairs[:i] + pairs[i + 1 :]
        after: Any = (
            ast.Assign(
                [ast.Tuple([t for t, _ in rest], ast.Store()) if len(rest) > 1 else rest[0][0]],
                ast.Tuple([v for _, v in rest], ast.Load()) if len(rest) > 1 else rest[0][1],
            )
            if rest
            else ast.Pass()
        )
        quoted = _quote(name, context.public) or "a value the loop carries"
        yield (
            node,
            after,
            "frozen",
            f"{quoted} never updated inside the loop: it keeps the value it was given before the "
            "loop, so every later step is compared with that first one",
        )


def _clamped(node: Any, context: _Context) -> Iterator[Slip]:
    """A log (or a log-softmax) whose argument is floored at a small constant: its result
    clamped at the floor's log."""
    name = _callee(node) if isinstance(node, ast.Call) else None
    if name is None or not (name == "log" or "log_softmax" in name or "logsigmoid" in name):
        return
    for floor in FLOORS:
        after = ast.Call(
            ast.Attribute(copy.deepcopy(node), "clamp", ast.Load()),
            [],
            [ast.keyword("min", ast.Constant(math.log(floor)))],
        )
        yield (
            node,
            after,
            "clamp",
            (
                f"what a log is taken of clamped at {floor:g} (the log floored at "
                f"{math.log(floor):.4g}): where the true probability is smaller the result stops "
                "there and no gradient flows; compute the log in a stable form (log-softmax, "
                "log-sum-exp) rather than guard it with a floor"
            ),
        )
    for floor in FLOORS:  # the floor added instead: log(p + 1e-12), which moves every value
        inner = node if name != "log" else node.args[0] if len(node.args) == 1 else None
        if inner is None:
            continue
        probability = inner if name == "log" else _call("torch", "exp", copy.deepcopy(inner))
        added = ast.BinOp(copy.deepcopy(probability), ast.Add(), ast.Constant(floor))
        yield (
            node,
            _call("torch", "log", added),
            "clamp",
            (
                f"{floor:g} added to what a log is taken of (log(p + {floor:g}), the log of a "
                f"softmax kept finite by an added {floor:g}): it stops the result near "
                f"{-math.log(floor):.4g} where the probability underflows and shifts every other "
                "value a little; compute the log in a stable form (log-softmax, log-sum-exp) "
                "with nothing added"
            ),
        )


def _call(module: str, function: str, *args: Any) -> ast.Call:
    """``module.function(*args)`` as a tree."""
    return ast.Call(
        ast.Attribute(ast.Name(module, ast.Load()), function, ast.Load()), list(args), []
    )


def _gated_on(node: Any, context: _Context) -> Iterator[Slip]:
    """A backward's gate tested on another of its arguments (``dy > 0`` for ``x > 0``)."""
    names = context.tensors.get(id(node))
    if not (names and isinstance(node, ast.Compare) and isinstance(node.left, ast.Name)):
        return
    if not all(isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for op in node.ops):
        return  # a gate is a threshold: `node not in seen` is a walk's bookkeeping
    if node.left.id not in names:
        return
    for other in names:
        if other != node.left.id:
            after = copy.deepcopy(node)
            after.left = ast.Name(other, ast.Load())
            yield (
                node,
                after,
                "gate",
                (
                    f"the gradient's gate tested on `{other}` where it belongs on "
                    f"`{node.left.id}`: the gradient passes (or stops) on the wrong region"
                ),
            )


def _branches_swapped(node: Any, context: _Context) -> Iterator[Slip]:
    """In a backward, the two values of a choice exchanged: ``torch.where(c, b, a)`` for
    ``where(c, a, b)``, ``b if c else a`` for ``a if c else b`` (a forward's choices are left
    alone: a stable formula often writes one value two ways, and exchanging them is another
    slip's twin, ``sigmoid(-x)`` for ``sigmoid(x)``)."""
    if id(node) not in context.backward:
        return  # a forward's two branches are often one formula in two stable forms
    if isinstance(node, ast.IfExp):
        if isinstance(node.body, ast.Constant) and isinstance(node.orelse, ast.Constant):
            return  # two constants exchanged invert a gate: too many slips look like that
        after: Any = ast.IfExp(node.test, node.orelse, node.body)
    elif isinstance(node, ast.Call) and _callee(node) == "where" and len(node.args) == 3:
        after = copy.deepcopy(node)
        after.args[1], after.args[2] = after.args[2], after.args[1]
    else:
        return
    yield (
        node,
        after,
        "branch",
        (
            "the two branches of a choice exchanged: each side of the condition gets the value "
            "that belongs to the other"
        ),
    )


def _branch(node: Any, context: _Context) -> Iterator[Slip]:
    flips = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}
    if (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and type(node.ops[0]) in flips
        and id(node) in context.backward
        and isinstance(node.comparators[0], ast.Constant)
        and node.comparators[0].value == 0
    ):  # a backward's gate at 1 where it belongs at 0 (out > 1 for x > 0)
        after = copy.deepcopy(node)
        after.comparators = [ast.Constant(1)]
        yield (
            node,
            after,
            "gate",
            (
                "the gradient's gate moved from 0 to 1: it passes (or stops) the gradient on the "
                "wrong region of the input"
            ),
        )
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in flips:
        after = copy.deepcopy(node)
        after.ops = [flips[type(node.ops[0])]()]
        yield (
            node,
            after,
            "branch",
            "a strict comparison where the reference's is inclusive, or the reverse (< for "
            "<=, > for >=): values exactly on the boundary go to the other side",
        )


def _terms(node: Any, context: _Context) -> Iterator[Slip]:
    if not isinstance(node, ast.BinOp):
        return
    if isinstance(node.op, ast.Sub) and _count(node.left) and _one(node.right):
        yield (
            node,
            node.left,
            "factor",
            (
                "a count n where n - 1 belongs (what is spread over n - 1 divided by n: a biased "
                "variance for the unbiased one)"
            ),
        )
        return
    if isinstance(node.op, (ast.Add, ast.Sub)):
        for kept, dropped in ((node.left, node.right), (node.right, node.left)):
            if _eps_name(dropped) or isinstance(node.op, ast.Sub) and kept is node.right:
                continue
            if _one(dropped):
                if _reads_state(kept) or ast.unparse(kept) in context.from_state:
                    yield (
                        node,
                        kept,
                        "frozen",
                        (
                            "a counter kept in the state that is never incremented (its + 1 or - 1 "
                            "left out): every call counts as the first"
                        ),
                    )
                else:
                    yield node, kept, "step", "a count one off (its + 1 or - 1 left out)"
                continue
            name = ast.unparse(dropped)
            if name in context.assigned.get(id(node), ()) and name in context.totals:
                yield (
                    node,
                    kept,
                    "accumulate",
                    (
                        "a total that is not carried from one call or step to the next: each "
                        "new contribution replaces it (`=` where `+=` belongs)"
                    ),
                )
                continue
            quoted = _quote(dropped, context.public)
            yield node, kept, "term", f"the term {quoted or 'of a sum'} left out"
        if isinstance(node.op, ast.Sub):
            yield (
                node,
                ast.BinOp(node.right, ast.Sub(), node.left),
                "sign",
                "a difference taken the other way round (b - a for a - b)",
            )
            yield (
                node,
                ast.BinOp(node.left, ast.Add(), node.right),
                "sign",
                ("a sum where the reference subtracts"),
            )
        elif not _eps_name(node.right):
            yield (
                node,
                ast.BinOp(node.left, ast.Sub(), node.right),
                "sign",
                ("a difference where the reference adds"),
            )
    elif isinstance(node.op, ast.Mult):
        for kept, factor in ((node.right, node.left), (node.left, node.right)):
            if (
                isinstance(factor, ast.Constant)
                and isinstance(factor.value, (int, float))
                and factor.value not in (0, 1, -1)
            ):
                yield node, kept, "factor", f"the factor {factor.value!r} left out"


def _condition_left_out(node: Any, context: _Context) -> Iterator[Slip]:
    """One operand of an ``and`` or ``or`` left out: a case the test should catch (a NaN in the
    second of two curves) goes to the other branch."""
    if not isinstance(node, ast.BoolOp):
        return
    for i in range(len(node.values)):
        rest = node.values[:i] + node.values[i + 1 :]
        after = rest[0] if len(rest) == 1 else ast.BoolOp(node.op, rest)
        yield (
            node,
            after,
            "branch",
            "one condition of a test left out (one operand of an `and` or `or`): the cases "
            "only it catches go to the other branch",
        )


def _power_off_by_one(node: Any, context: _Context) -> Iterator[Slip]:
    """A power whose exponent is a count (not a constant) raised one too high or one too low:
    one decay or drop too many or too few (a loop that also counts step 0)."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow)):
        return
    if isinstance(node.right, ast.Constant):
        return
    for op, text in ((ast.Add(), "one too high"), (ast.Sub(), "one too low")):
        after = ast.BinOp(node.left, ast.Pow(), ast.BinOp(node.right, op, ast.Constant(1)))
        yield (
            node,
            after,
            "step",
            f"a power {text} (its exponent, a count, one off): one decay or drop "
            f"{'too many' if isinstance(op, ast.Add) else 'too few'}",
        )


def _whole_for_part(node: Any, context: _Context) -> Iterator[Slip]:
    """The length of each piece a loop walks through (``len(idx)``, ``idx`` the loop's variable)
    replaced by the size parameter the pieces were cut to (``batch_size``): a short last piece
    treated like a full one."""
    if not (isinstance(node, ast.Call) and _callee(node) == "len" and len(node.args) == 1):
        return
    piece = node.args[0]
    if not (isinstance(piece, ast.Name) and piece.id in context.pieces):
        return
    for size in sorted(context.sizes):
        yield (
            node,
            ast.Name(size, ast.Load()),
            "edge",
            f"`{size}` used where the length of each piece belongs: a short last piece (the last "
            "batch of an epoch) is handled like a full one",
        )


def _transposed(node: Any, context: _Context) -> Iterator[Slip]:
    """A matrix argument (a parameter with no default) read transposed everywhere: the rows
    taken for the columns, so every reduction runs over the other dimension (the re-run of
    :mod:`descent.diagnoses.rerun` that transposes a matrix, for a check whose values a reading
    pre-empted)."""
    if not isinstance(node, ast.FunctionDef):
        return
    required = node.args.args[: len(node.args.args) - len(node.args.defaults)]
    for arg in required:
        if arg.arg in ("self", "cls") or arg.arg in context.hyper:
            continue
        yield (
            ast.Name(arg.arg, ast.Load()),
            _reversed(arg.arg),
            "reduction",
            transposed_text(arg.arg),
        )


def _reversed(name: str) -> ast.expr:
    """``name`` read as ``name.T`` reads it (its axes reversed), without torch's warning that
    ``.T`` of a tensor that is not 2-D is deprecated: such a tensor is permuted instead, and an
    object with no ``permute`` (a NumPy array) keeps ``.T``."""
    expr = ast.parse(
        f"{name}.T if {name}.ndim == 2 or not hasattr({name}, 'permute') "
        f"else {name}.permute(tuple(range({name}.ndim - 1, -1, -1)))",
        mode="eval",
    ).body
    for node in ast.walk(expr):  # placed where it replaces the name (ast.fix_missing_locations)
        for attribute in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
            if hasattr(node, attribute):
                delattr(node, attribute)
    return expr


# -- slips of a backward written in another form (a reduction's axis, a factor, a quantity) -------
def _quantities(tree: ast.Module) -> dict[int, list[str]]:
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


def _in_statement(node: Any, after: Any, context: _Context) -> tuple[Any, Any]:
    """``(statement, statement with node replaced by after)``: a slip of one formula of a
    backward, not of every formula that shares the expression (``self.data`` is in all)."""
    statement = context.statements.get(id(node))
    if statement is None:
        return node, after
    memo: dict[int, Any] = {}
    changed = copy.deepcopy(statement, memo)
    return statement, _Swap(memo[id(node)], after).visit(changed)


class _Swap(ast.NodeTransformer):
    """The one node ``target`` (by identity) replaced by ``after``."""

    def __init__(self, target: Any, after: Any):
        self.target, self.after = target, after

    def visit(self, node: ast.AST) -> Any:
        return self.after if node is self.target else super().visit(node)


def _axis_of(node: ast.Call) -> tuple[Any, int] | None:
    """The reduction axis a ``sum`` or ``mean`` call names (a ``dim=`` or ``axis=`` keyword, or
    the int after the tensor) as (the node, its value)."""
    for keyword in node.keywords:
        if keyword.arg in ("dim", "axis"):
            return _int_node(keyword.value)
    method = isinstance(node.func, ast.Attribute) and not (
        isinstance(node.func.value, ast.Name) and node.func.value.id in ("torch", "np", "numpy")
    )
    position = 0 if method else 1
    return _int_node(node.args[position]) if len(node.args) > position else None


def _int_node(node: Any) -> tuple[Any, int] | None:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return None
    return (node, value) if type(value) is int else None


def _reduced_over(node: Any, context: _Context) -> Iterator[Slip]:
    """A sum or a mean over another axis than the reference's (0, 1 or the last): the batch
    where the features belong (a layer norm's backward taking batch norm's means), or the
    reverse (a bias gradient summed over the features)."""
    if not (isinstance(node, ast.Call) and _callee(node) in ("sum", "mean")):
        return
    axis = _axis_of(node)
    if axis is None:
        return
    before, value = axis
    for other in (0, 1, -1):
        if other == value:
            continue
        after = _Replace([(before, ast.Constant(other))]).visit(copy.deepcopy(node))
        yield (
            node,
            after,
            "reduction",
            f"a {_callee(node)} over dimension {other} where it belongs over dimension {value}: "
            "the reduction taken across the wrong axis",
        )


def _factor_left_out(node: Any, context: _Context) -> Iterator[Slip]:
    """In a backward, a factor that is a quantity (a name, an attribute, an item) left out of a
    product, or the numerator of a quotient left out (1 in its place): a chain rule's factor
    forgotten (``dy`` where ``dy * gamma`` belongs, ``-1 / b**2`` for ``-a / b**2``)."""
    if id(node) not in context.backward or not isinstance(node, ast.BinOp):
        return
    quantity = (ast.Name, ast.Attribute, ast.Subscript)
    if isinstance(node.op, ast.Mult):
        for kept, dropped in ((node.left, node.right), (node.right, node.left)):
            if isinstance(dropped, quantity):
                quoted = _quote(dropped, context.public)
                what = f"the factor {quoted}" if quoted else "a factor of a product"
                before, after = _in_statement(node, kept, context)
                yield (
                    before,
                    after,
                    "factor",
                    f"{what} left out (the chain rule's factor forgotten)",
                )
    elif isinstance(node.op, ast.Div):
        top: Any = node.left
        negated = isinstance(top, ast.UnaryOp) and isinstance(top.op, ast.USub)
        if isinstance(top.operand if negated else top, quantity):
            one = ast.UnaryOp(ast.USub(), ast.Constant(1)) if negated else ast.Constant(1)
            yield (
                *_in_statement(node, ast.BinOp(one, ast.Div(), node.right), context),
                "factor",
                "the numerator of a quotient left out (1 in its place): a factor of the "
                "derivative forgotten",
            )


def _other_quantity(node: Any, context: _Context) -> Iterator[Slip]:
    """In a backward, one quantity of the operation read where another belongs: a local
    derivative written in terms of the output where the input belongs (``1 / y`` for log's
    ``1 / x``), or of the other operand."""
    read = context.quantities.get(id(node))
    if not (read and isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
        return
    statement = context.statements.get(id(node))
    target = getattr(statement, "target", None) or next(
        iter(getattr(statement, "targets", [])), None
    )
    if not isinstance(node.ctx, ast.Load) or getattr(target, "attr", None) == node.attr:
        return  # the quantity being accumulated (a grad) is no operand of the derivative
    for other in read:
        if other != node.value.id:
            quantity = ast.Attribute(ast.Name(other, ast.Load()), node.attr, ast.Load())
            yield (
                *_in_statement(node, quantity, context),
                "argument",
                "a local derivative written with another quantity of the operation (its output "
                "where its input belongs, or the reverse, or the other operand)",
            )


def _floor_constant(node: Any) -> Any:
    """The small positive constant a call floors at (``clamp(x, min=1e-12)``, ``max(1e-12, x)``,
    ``maximum(x, 1e-12)``), as its node; ``None`` for any other call."""
    if not isinstance(node, ast.Call):
        return None
    name = _callee(node)
    if name in ("clamp", "clamp_min", "clip"):
        found = [k.value for k in node.keywords if k.arg in ("min", "a_min")]
        found += (
            node.args[1:2]
            if name == "clamp_min" or not isinstance(node.func, ast.Attribute)
            else node.args[:1]
        )
    elif name in ("max", "maximum", "fmax"):
        found = list(node.args)
    else:
        return None
    small = [
        n
        for n in found
        if isinstance(n, ast.Constant) and type(n.value) is float and 0 < n.value <= 1e-3
    ]
    return small[0] if len(small) == 1 else None


def _floored(node: Any, context: _Context) -> Iterator[Slip]:
    """A floor's constant moved (a denominator floored at 1e-8 where 1e-12 belongs): wherever
    what is floored lies between the two, the result changes."""
    constant = _floor_constant(node)
    if constant is None:
        return
    for floor in FLOORS:
        if floor == constant.value:
            continue
        after = _Replace([(constant, ast.Constant(floor))]).visit(copy.deepcopy(node))
        higher = "higher" if floor > constant.value else "lower"
        yield (
            node,
            after,
            "clamp",
            f"a floor {higher} than the {constant.value:g} the formula uses: where what is "
            "floored lies between the two, the result differs",
        )
