"""Edits that make an unstable formula stable, read from the student's own code: an exp of
unshifted scores shifted by their maximum (a softmax), a log taken of a probability (a sigmoid,
one minus a sigmoid, a softmax's ratio) written from the scores themselves, ``log(1 + exp(z))``
written as a softplus, and a sigmoid or a tanh written as a ratio of exps rewritten so that no
exp overflows into inf / inf; and a stability term added to a standard deviation moved under
its root. A name is read through to the value it was last given before the line that reads it
(``p = sigmoid(z)``, then ``np.log(p)``). The words say what overflows or underflows, never the
stable form. The rules are part of :data:`descent.diagnoses.edit_rules.RULES`.
"""

from __future__ import annotations

import ast
import copy
import functools
from collections.abc import Callable, Iterator
from typing import cast

from .edit_context import STABILITY, Context, functions, imported, own_attribute
from .edit_nodes import (
    AXIS_KEYWORDS,
    CLIPS,
    LIBRARIES,
    callee,
    is_number,
    method_call,
    with_args,
    with_keywords,
)

OVERFLOWS = (
    "overflows for large scores: the maximum of each slice belongs subtracted before the exp "
    "(softmax does not change under that shift)"
)
MISSHIFTED = (
    "takes the exp of scores shifted by something other than each slice's own maximum: a slice "
    "far below it underflows to 0 (and 0 / 0), one above it overflows; the maximum of each "
    "slice belongs subtracted before the exp"
)
UNDERFLOWS = (
    "takes the log of a probability, which rounds to 0 (or to 1) for scores far apart: the "
    "log-probability belongs computed from the scores themselves"
)
OVERFLOWS_IN_LOG = (
    "takes the log of 1 + exp(z), whose exp overflows for large scores: the log belongs "
    "computed without forming the exp"
)
RATIO = (
    "is a ratio of exps that overflow to inf / inf (NaN) for large inputs: the ratio belongs "
    "divided through by its largest exp, so that only a number <= 0 is exponentiated"
)
SCALAR = (
    "takes math.exp of a number that can pass about 709, where math.exp raises OverflowError "
    "(for inputs far below 0): only a number <= 0 belongs exponentiated"
)
SCALAR_POWER = (  # `e ** -x`: the same overflow, raised by Python's power of a float
    "raises e to a number that can pass about 709, where Python raises OverflowError (for "
    "inputs far below 0): only a number <= 0 belongs exponentiated"
)
_LOGS = frozenset({"log"})


def shift(node, ctx):
    """An exp of scores that are not shifted by their maximum first (a softmax that overflows
    for large inputs): the shift, over the axis the function is given, then 1, -1 and 0."""
    if exp_of(node) is not None:
        for new in shifted(node, ctx.function):
            yield "shift", f"`{ctx.quote(node)}` {shift_words(node, ctx)}", new


def shift_words(node: ast.AST, ctx) -> str:
    """What is wrong with the exp ``node`` of scores: shifted already by something other than
    each slice's maximum (``x - np.max(x)`` kept in a name, ``x + c`` with ``c = -np.max(x)``,
    or ``x -= x.max()``), or not shifted at all."""
    scores = exp_of(node)
    line = getattr(node, "lineno", None)
    held = ctx.value(scores.id, line) if isinstance(scores, ast.Name) else scores
    moved = isinstance(held, ast.BinOp) and isinstance(held.op, (ast.Sub, ast.Add))
    return MISSHIFTED if moved or _shifted_in_place(scores, line, ctx) else OVERFLOWS


def _shifted_in_place(scores: ast.AST | None, line: int | None, ctx) -> bool:
    """The name ``scores`` was last stored before ``line`` by ``scores -= c`` (or ``+=``): an
    exp of scores shifted already (``mat -= mat.max()``, the whole batch's maximum)."""
    if not isinstance(scores, ast.Name) or line is None:
        return False
    before = [at for at, _ in ctx.stores.get(scores.id, []) if at < line]
    return bool(before) and any(
        isinstance(n, ast.AugAssign)
        and isinstance(n.op, (ast.Sub, ast.Add))
        and isinstance(n.target, ast.Name)
        and n.target.id == scores.id
        and n.lineno == before[-1]
        for n in ast.walk(ctx.function)
    )


def exp_of(node: ast.AST) -> ast.expr | None:
    """The scores ``node`` takes the exp of (``np.exp(x)``, ``torch.exp(x)``, ``x.exp()``),
    where they are not already shifted (``x - m``); else ``None``."""
    inside = _exponent(node)
    one_number = isinstance(node, ast.Call) and _owner_is(node, "math")  # no axis to shift over
    if (
        inside is None
        or one_number
        or isinstance(inside, ast.BinOp)
        and isinstance(inside.op, ast.Sub)
    ):
        return None
    return inside


def shifted(node: ast.Call, fn: ast.FunctionDef) -> Iterator[ast.expr]:
    """``node``, an exp of scores, with the scores' maximum over one axis (kept) subtracted:
    the axis the function is given, then the last and the first; NumPy's ``max`` for
    ``np.exp``, a tensor's ``amax`` for ``torch.exp`` and ``x.exp()``."""
    scores = cast(ast.expr, exp_of(node))
    owner = node.func.value if isinstance(node.func, ast.Attribute) else None
    numpy = isinstance(owner, ast.Name) and owner.id in ("np", "numpy")
    given = [a.arg for a in fn.args.args + fn.args.kwonlyargs if a.arg in AXIS_KEYWORDS]
    axes: list[ast.expr | int] = [*[ast.Name(a, ast.Load()) for a in given], -1, 0]
    for axis in axes:
        top = ast.Call(ast.Attribute(scores, "max" if numpy else "amax", ast.Load()), [], [])
        moved = ast.BinOp(
            copy.deepcopy(scores), ast.Sub(), with_keywords(top, axis=axis, keepdims=True)
        )
        if node.args:
            yield with_args(node, [moved])
        else:
            yield ast.Call(ast.Attribute(moved, "exp", ast.Load()), [], [])


def eps_under_root(node, ctx):
    """A square root of a variance without the stability term the function writes under
    another root (``np.sqrt(running_var)`` in evaluation, where training has ``var + eps``):
    the term under it."""
    inside = _under_root(node)
    if inside is None or ctx.unused:  # a term never read is put in place by edit_rules._left_out
        return
    if any(STABILITY.search(ast.unparse(n)) for n in ast.walk(inside) if _named(n)):
        return  # it has one already (where it belongs is another rule's: edit_rules._root_term)
    elsewhere = [_under_root(n) for n in ast.walk(ctx.function) if n is not node]
    written = {ast.dump(t) for e in elsewhere if e is not None for t in ast.walk(e)}
    for term in (t for t in ctx.stability if ast.dump(t) in written):  # under another root
        said = f"the square root in `{ctx.quote(node)}` lacks `{ctx.quote(term)}` under it"
        under = ast.BinOp(copy.deepcopy(inside), ast.Add(), copy.deepcopy(term))
        yield "eps", said, ast.BinOp(under, ast.Pow(), ast.Constant(0.5))


def std_plus_eps(node, ctx):
    """A stability term added to a standard deviation (``std + eps`` where ``std =
    np.std(Z, axis=0)``, or ``x.std() + eps``): after its square root, where it belongs under
    the root with the variance."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
        return
    for std, term in ((node.left, node.right), (node.right, node.left)):
        if not STABILITY.search(ast.unparse(term)) or not _a_std(std, ctx):
            continue
        said = (
            f"`{ctx.quote(node)}` adds `{ctx.quote(term)}` to a standard deviation, after its "
            "square root, where it belongs under the root with the variance"
        )
        variance = ast.BinOp(copy.deepcopy(std), ast.Pow(), ast.Constant(2))
        under = ast.BinOp(variance, ast.Add(), copy.deepcopy(term))
        yield "eps", said, ast.BinOp(under, ast.Pow(), ast.Constant(0.5))


def _a_std(node: ast.expr, ctx: Context) -> bool:
    """``node`` is a standard deviation: a ``std`` call, or a name last given one."""
    if isinstance(node, ast.Name):
        held = ctx.value(node.id, getattr(node, "lineno", None))
        node = held if held is not None else node
    return isinstance(node, ast.Call) and callee(node) == "std"


def _named(node: ast.AST) -> bool:
    return isinstance(node, (ast.Name, ast.Attribute)) or isinstance(node, ast.Subscript)


def _under_root(node: ast.AST) -> ast.expr | None:
    if isinstance(node, ast.Call) and callee(node) == "sqrt" and len(node.args) == 1:
        return node.args[0]
    if isinstance(node, ast.Call) and callee(node) == "sqrt" and not node.args:
        return node.func.value if isinstance(node.func, ast.Attribute) else None  # `v.sqrt()`
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and is_number(node.right, 0.5):
        return node.left
    return None


def stable_log(node, ctx):
    """A log of a probability the function computed first: of a sigmoid of ``z`` (or one
    minus it), of ``1 + exp(z)``, or of a softmax's ratio ``exp(u) / s``, entries picked out
    of it or not, kept off 0 by a floor or not (:func:`_unfloored`); written from ``z`` or
    ``u`` instead."""
    found = _log_of(node)
    if found is None:
        return
    inside, library = found
    inside = _unfloored(inside)
    index = None
    if isinstance(inside, ast.Subscript):
        index, inside = inside.slice, inside.value
    value = _unfloored(_through(inside, ctx))
    if index is None and isinstance(value, ast.Subscript):  # `p = probs[rows, y]`, `log(p)`
        index, value = value.slice, _unfloored(_through(value.value, ctx))
    said, new = OVERFLOWS_IN_LOG, _softplus_of(value, library, ctx)
    if new is None:
        said, new = UNDERFLOWS, _log_from_scores(value, library, ctx)
    if new is not None:
        if index is not None:
            new = ast.Subscript(new, copy.deepcopy(index), ast.Load())
        yield "stable", f"`{ctx.quote(node)}` {said}", new


def floored_division(node, ctx):
    """A division by a value with a small number added to keep it off 0 (``y / (p + 1e-8)``, a
    loss's derivative): the division by ``p`` itself (see :func:`floored_log`)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        kept = _floor_dropped(node.right, ctx)
        if kept is not None:
            new = ast.BinOp(copy.deepcopy(node.left), ast.Div(), kept)
            yield "term", f"`{ctx.quote(node)}` {FLOORED_DIVISION}", new


def floored_log(node, ctx):
    """A log of a probability with a small number added to keep it off 0 (``np.log(p +
    1e-3)``, the number typed in or given a name first): the log of ``p`` itself. The floor
    moves every value (and caps the loss of a confident mistake); :mod:`.edit_everywhere`
    drops it from every log of a function at once (every division, :func:`floored_division`),
    since a loss writes it once per log."""
    found = _log_of(node)
    kept = _floor_dropped(found[0], ctx) if found is not None else None
    if kept is None or not isinstance(node, ast.Call):
        return
    new = copy.deepcopy(node)
    if node.args and found is not None and node.args[0] is found[0]:
        new.args[0] = kept
    elif isinstance(new.func, ast.Attribute):
        new.func.value = kept
    yield "term", f"`{ctx.quote(node)}` {FLOORED}", new


def _floor_dropped(node: ast.AST, ctx: Context) -> ast.expr | None:
    """``p`` where ``node`` is ``p + eps`` (or ``eps + p``) with ``eps`` a small number (typed
    in or a name given one before the line); else ``None``."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
        return None
    line = getattr(node, "lineno", None)
    for kept, added in ((node.left, node.right), (node.right, node.left)):
        if small(added) or (isinstance(added, ast.Name) and small(ctx.value(added.id, line))):
            return copy.deepcopy(kept)
    return None


FLOORED = (
    "takes the log of a probability with a small number added, which moves every value (and "
    "caps the loss of a confident mistake): no such term belongs in the log"
)
FLOORED_DIVISION = (
    "divides by a value with a small number added to keep it off 0, which moves every value: "
    "no such term belongs in the divisor"
)
_FLOORS = CLIPS | {"maximum"}


def _unfloored(node: ast.AST) -> ast.AST:
    """``p`` where ``node`` keeps a probability off 0 (``p + 1e-10``, ``np.clip(p, eps, 1 -
    eps)``, ``np.maximum(p, 1e-12)``, ``p.clamp(min=eps)``): the floor caps the loss of a
    confident mistake instead of computing it, and the stable form needs none."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        for kept, added in ((node.left, node.right), (node.right, node.left)):
            if small(added):
                return kept
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):  # 1e-10 + 1 - h
        one = _unfloored(node.left)
        if one is not node.left and is_number(one, 1):
            return ast.BinOp(ast.Constant(1), ast.Sub(), node.right)
    if isinstance(node, ast.Call) and callee(node) in _FLOORS:
        owner = node.func.value if isinstance(node.func, ast.Attribute) else None
        if method_call(node) and owner is not None:
            return owner
        if node.args and not method_call(node):
            return node.args[0]
    return node


def small(node: ast.AST | None) -> bool:
    """``node`` is a small positive number written in (``1e-10``, ``10 ** -16``, up to
    ``1e-3``)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and is_number(node.left, 10):
        power = node.right
        negative = isinstance(power, ast.UnaryOp) and isinstance(power.op, ast.USub)
        return negative and isinstance(power.operand, ast.Constant)  # type: ignore[attr-defined]
    value = node.value if isinstance(node, ast.Constant) else None
    return type(value) is float and 0 < value <= 1e-3


def stable_ratio(node, ctx):
    """A sigmoid written ``e / (1 + e)``, its derivative ``e / (1 + e) ** 2``, or a tanh written
    ``(e - 1/e) / (e + 1/e)`` with exps: divided through so that no exp overflows into inf /
    inf."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)):
        return
    top, below = _through(node.left, ctx), _through(node.right, ctx)
    z = _exponent(top)
    squared = isinstance(below, ast.BinOp) and isinstance(below.op, ast.Pow)
    if squared and is_number(cast(ast.BinOp, below).right, 2):
        below = _through(cast(ast.BinOp, below).left, ctx)
    if z is not None and _one_plus(below, ctx) == ast.dump(top):
        s = _sigmoid(top, ast.UnaryOp(ast.USub(), copy.deepcopy(z)))
        new = ast.BinOp(s, ast.Mult(), ast.BinOp(ast.Constant(1), ast.Sub(), copy.deepcopy(s)))
        yield "stable", f"`{ctx.quote(node)}` {RATIO}", new if squared else s
    scalar = _scalar_sigmoid(top, below, ctx)
    if scalar is not None:
        said, stable = scalar
        yield "stable", f"`{ctx.quote(node)}` {said}", stable
    tanh = _tanh_of(top, below, ctx)
    if tanh is not None:
        exp, a = tanh
        twice = _exp_like(exp, ast.BinOp(ast.Constant(2), ast.Mult(), copy.deepcopy(a)))
        ratio = ast.BinOp(ast.Constant(2), ast.Div(), ast.BinOp(twice, ast.Add(), ast.Constant(1)))
        yield "stable", f"`{ctx.quote(node)}` {RATIO}", ast.BinOp(ast.Constant(1), ast.Sub(), ratio)


def _scalar_sigmoid(top: ast.AST, below: ast.AST, ctx: Context) -> tuple[str, ast.expr] | None:
    """``1 / (1 + math.exp(e))`` (a sigmoid of ``-e`` of one number, whose ``math.exp`` raises
    OverflowError for ``e`` above about 709) as ``exp(min(z, 0)) / (1 + exp(-abs(z)))``, the
    same value with no exponent above 0, with the words for the way the exp is written."""
    term = _one_plus_term(below, ctx) if is_number(top, 1) else None
    found = _scalar_exp(term, ctx.source) if term is not None else None
    if found is None:
        return None
    e, exp = found
    z = e.operand if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub) else None
    z = z if z is not None else ast.UnaryOp(ast.USub(), copy.deepcopy(e))
    template = "_exp(min(_z, 0)) / (1 + _exp(-abs(_z)))"
    stable = cast(ast.expr, _Exp(exp).visit(_Fill(z).visit(ast.parse(template, mode="eval").body)))
    return (SCALAR_POWER if isinstance(term, ast.BinOp) else SCALAR), stable


def _scalar_exp(node: ast.AST, source: str) -> tuple[ast.expr, Callable] | None:
    """``(exponent, how to write an exp)`` where ``node`` is an exp of one Python number, which
    raises OverflowError past about 709: ``math.exp(z)``, ``exp(z)`` with ``exp`` imported from
    math, or a power of Euler's number (``math.e ** z``, ``e ** z`` with ``e`` from math)."""
    if isinstance(node, ast.Call) and (_owner_is(node, "math") or _from_math(node.func, source)):
        if callee(node) != "exp" or len(node.args) != 1 or node.keywords:
            return None
        return node.args[0], lambda a: ast.Call(copy.deepcopy(node.func), [a], [])
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        base = node.left
        euler = (
            isinstance(base, ast.Attribute) and base.attr == "e" and _is_name(base.value, "math")
        )
        if euler or (isinstance(base, ast.Name) and base.id == "e" and _from_math(base, source)):
            return node.right, lambda a: ast.BinOp(copy.deepcopy(base), ast.Pow(), a)
    return None


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _from_math(node: ast.AST, source: str) -> bool:
    """``node`` is a bare name that the module imports from ``math`` (anywhere in its text)."""
    if not isinstance(node, ast.Name):
        return False
    names = imported(source, "math")
    return node.id in names or "*" in names


class _Exp(ast.NodeTransformer):
    """The placeholder call ``_exp(a)`` of a template written as the student writes an exp."""

    def __init__(self, exp: Callable[[ast.expr], ast.expr]):
        self.exp = exp

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        return self.exp(node.args[0]) if _is_name(node.func, "_exp") else node


_RESHAPES = frozenset({"flatten", "ravel", "squeeze", "reshape", "view"})


def _reshaped(node: ast.AST) -> bool:
    """``node`` is an array's method that only lays its entries out anew (``p.ravel()``)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    return method_call(node) and node.func.attr in _RESHAPES


def _log_from_scores(value: ast.AST, library: str, ctx: Context) -> ast.expr | None:
    if _reshaped(value):  # log(p.ravel()) = log(p).ravel()
        call = cast(ast.Call, value)
        method = cast(ast.Attribute, call.func)
        inner = _log_from_scores(_through(method.value, ctx), library, ctx)
        if inner is None:
            return None
        return ast.Call(ast.Attribute(inner, method.attr, ast.Load()), call.args, call.keywords)
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div) and is_number(value.left, 1):
        inner = _log_from_scores(_through(value.right, ctx), library, ctx)
        if inner is not None:  # log(1 / p) = -log(p); else it may be 1 / (1 + exp(-z))
            return ast.UnaryOp(ast.USub(), inner)
    z = _sigmoid_of(value, ctx)
    if z is not None:  # log(sigmoid(z)) = -softplus(-z)
        return ast.UnaryOp(ast.USub(), _softplus(ast.UnaryOp(ast.USub(), z), library))
    if _minus_from_one(value):
        z = _sigmoid_of(_through(cast(ast.BinOp, value).right, ctx), ctx)
        if z is not None:  # log(1 - sigmoid(z)) = -softplus(z)
            return ast.UnaryOp(ast.USub(), _softplus(z, library))
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div):
        u = _exponent(_through(value.left, ctx))
        if u is not None:  # log(exp(u) / s) = u - log(s)
            return ast.BinOp(copy.deepcopy(u), ast.Sub(), _log(value.right, library))
    u = _softmax_of(value)
    return None if u is None or library == "math" else _template(_LOG_SOFTMAX, u, library)


def _softmax_of(value: ast.AST) -> ast.expr | None:
    """The scores of a call of a function named for a softmax (``softmax(x)``, ``softmax(x,
    axis=1)``), taken over the last axis, which is the one a row's classes lie on."""
    name = (callee(value) or "").lower() if isinstance(value, ast.Call) else ""
    if "softmax" not in name or "log" in name:
        return None
    args = cast(ast.Call, value).args
    return args[0] if args and not any(isinstance(a, ast.Starred) for a in args) else None


def _softplus_of(value: ast.AST, library: str, ctx: Context) -> ast.expr | None:
    """``log(1 + exp(z))`` (``value`` is ``1 + exp(z)``) as a softplus of ``z``."""
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add) and is_number(value.left, 1):
        z = _exponent(_through(value.right, ctx))
        if z is not None:
            return _softplus(z, library)
    return None


def _log_of(node: ast.AST) -> tuple[ast.expr, str] | None:
    """What ``node`` takes the log of, and how: ``np``, ``torch``, ``math`` (the module's name
    as written) or ``"method"`` for ``p.log()``."""
    if not (isinstance(node, ast.Call) and callee(node) in _LOGS and not node.keywords):
        return None
    owner = node.func.value if isinstance(node.func, ast.Attribute) else None
    if isinstance(owner, ast.Name) and (owner.id in LIBRARIES or owner.id == "math"):
        return (node.args[0], owner.id) if len(node.args) == 1 else None
    return (owner, "method") if owner is not None and not node.args else None


def _log(value: ast.expr, library: str) -> ast.expr:
    value = copy.deepcopy(value)
    if library == "method":
        return ast.Call(ast.Attribute(value, "log", ast.Load()), [], [])
    return ast.Call(ast.Attribute(ast.Name(library, ast.Load()), "log", ast.Load()), [value], [])


# log(1 + exp(z)) in forms that never overflow, by the library the student's log was taken in
_SOFTPLUS = {
    "numpy": "{library}.logaddexp(0.0, _z)",
    "math": "max(_z, 0.0) + math.log1p(math.exp(-abs(_z)))",  # one number
    "torch": "torch.nn.functional.softplus(_z)",
}


# log(softmax(z)) over the last axis, shifted by the maximum so that no exp overflows
_LOG_SOFTMAX = {
    "numpy": "_z - {library}.max(_z, axis=-1, keepdims=True) - {library}.log({library}.sum("
    "{library}.exp(_z - {library}.max(_z, axis=-1, keepdims=True)), axis=-1, keepdims=True))",
    "torch": "torch.log_softmax(_z, dim=-1)",
}


def _softplus(z: ast.expr, library: str) -> ast.expr:
    return _template(_SOFTPLUS, z, library)


def _template(forms: dict[str, str], z: ast.expr, library: str) -> ast.expr:
    """The form of ``forms`` for the library the student's log was taken in, filled with ``z``."""
    kind = "numpy" if library in ("np", "numpy", "jnp") else library
    template = forms.get(kind, forms["torch"]).format(library=library)
    return cast(ast.expr, _Fill(z).visit(ast.parse(template, mode="eval").body))


class _Fill(ast.NodeTransformer):
    """Names replaced by copies of expressions: the placeholder ``_z`` of a template by ``z``, or
    each name of a dict by its value."""

    def __init__(self, z: ast.expr | dict[str, ast.expr]):
        self.values = z if isinstance(z, dict) else {"_z": z}

    def visit_Name(self, node: ast.Name) -> ast.AST:
        value = self.values.get(node.id)
        return node if value is None else copy.deepcopy(value)


def _sigmoid_of(value: ast.AST, ctx: Context) -> ast.expr | None:
    """The ``z`` of a sigmoid: a call of a function named for it (``sigmoid(z)``, ``expit``),
    ``1 / (1 + exp(-z))``, or ``exp(z) / (1 + exp(z))``."""
    value = _through(value, ctx)
    if isinstance(value, ast.Call) and len(value.args) == 1 and not value.keywords:
        name = (callee(value) or "").lower()
        if "sigmoid" in name or name in ("expit", "logistic"):
            return value.args[0]
    value = _inlined(value, ctx)
    if not (isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div)):
        return None
    top = _through(value.left, ctx)
    if is_number(top, 1):
        term = _one_plus_term(value.right, ctx)
        e = _exponent(term) if term is not None else None
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
            return e.operand
        return None if e is None else ast.UnaryOp(ast.USub(), copy.deepcopy(e))  # exp(-y * a)
    z = _exponent(top)
    return z if z is not None and _one_plus(value.right, ctx) == ast.dump(top) else None


def _inlined(node: ast.AST, ctx: Context) -> ast.AST:
    """``node``, or where it calls a function of the module (or a method, on ``self``) whose body
    is one ``return``, what that returns with the call's arguments in its parameters' places (a
    sigmoid under another name: ``self.mu(X, y)``)."""
    if not (isinstance(node, ast.Call) and node.args and not node.keywords):
        return node
    owner = node.func.value if isinstance(node.func, ast.Attribute) else None
    on_self = isinstance(owner, ast.Name) and owner.id == "self"
    if owner is not None and not on_self:
        return node
    found = _returns(ctx.source).get((on_self, callee(node) or ""))
    if found is None or len(found[0]) != len(node.args):
        return node
    params, value = found
    return _Fill(dict(zip(params, node.args))).visit(copy.deepcopy(value))


@functools.lru_cache(maxsize=8)
def _returns(source: str) -> dict[tuple[bool, str], tuple[tuple[str, ...], ast.expr]]:
    """{(a method?, name): (its parameters, what it returns)} for each function and method of
    the module ``source`` whose body is one ``return`` (a docstring aside)."""
    found = {}
    for key, fn in functions(source).items():
        body = [s for s in fn.body if not isinstance(s, ast.Expr)]  # a docstring, a bare call
        params = [a.arg for a in fn.args.args]
        method = "." in key
        if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
            params = params[1:] if method else params
            found[(method, fn.name)] = (tuple(params), body[0].value)
    return found


def _tanh_of(top: ast.AST, below: ast.AST, ctx: Context) -> tuple[ast.Call, ast.expr] | None:
    """``(exp(a), a)`` where ``top / below`` is ``(exp(a) - exp(-a)) / (exp(a) + exp(-a))``."""
    pairs = []
    for part, op in ((top, ast.Sub), (below, ast.Add)):
        if not (isinstance(part, ast.BinOp) and isinstance(part.op, op)):
            return None
        pairs.append((_through(part.left, ctx), _through(part.right, ctx)))
    (a, b), (c, d) = pairs
    if ast.dump(a) != ast.dump(c) or ast.dump(b) != ast.dump(d):
        return None
    x, y = _exponent(a), _exponent(b)
    if x is None or y is None or ast.dump(ast.UnaryOp(ast.USub(), x)) != ast.dump(y):
        return None
    return cast(ast.Call, a), x


def _one_plus(node: ast.AST, ctx: Context) -> str | None:
    """``ast.dump`` of ``e`` where ``node`` is ``1 + e`` (read through names)."""
    term = _one_plus_term(node, ctx)
    return ast.dump(term) if term is not None else None


def _one_plus_term(node: ast.AST, ctx: Context) -> ast.AST | None:
    node = _through(node, ctx)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        if is_number(node.left, 1):
            return _through(node.right, ctx)
        if is_number(node.right, 1):
            return _through(node.left, ctx)
    return None


def _minus_from_one(node: ast.AST) -> bool:
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and is_number(node.left, 1)


def _exponent(node: ast.AST) -> ast.expr | None:
    """What ``node`` takes the exp of (``np.exp(x)``, ``math.exp(x)``, ``x.exp()``), shifted or
    not; else ``None``."""
    if not isinstance(node, ast.Call) or callee(node) != "exp" or node.keywords:
        return None
    if len(node.args) == 1 and not method_call(node):
        return node.args[0]
    if len(node.args) == 1 and _owner_is(node, "math"):
        return node.args[0]
    owner = node.func.value if isinstance(node.func, ast.Attribute) else None
    if not node.args and owner is not None and method_call(node):
        return owner
    return None


def _exp_like(exp: ast.Call, z: ast.expr) -> ast.expr:
    """An exp of ``z`` written as ``exp`` is (``np.exp(...)`` or ``(...).exp()``)."""
    if exp.args:
        return ast.Call(copy.deepcopy(exp.func), [z], [])
    return ast.Call(ast.Attribute(z, "exp", ast.Load()), [], [])


def _sigmoid(exp: ast.AST, z: ast.expr) -> ast.expr:
    """``1 / (1 + exp(z))``, the exp written as ``exp`` is."""
    below = ast.BinOp(ast.Constant(1), ast.Add(), _exp_like(cast(ast.Call, exp), z))
    return ast.BinOp(ast.Constant(1), ast.Div(), below)


def _owner_is(node: ast.Call, name: str) -> bool:
    owner = node.func.value if isinstance(node.func, ast.Attribute) else None
    return isinstance(owner, ast.Name) and owner.id == name


def _through(node: ast.AST, ctx: Context) -> ast.AST:
    """``node``, or the value of the name (or of the object's attribute, ``self.p``) it is
    where ``node`` reads it (:meth:`Context.value`)."""
    if isinstance(node, ast.Name) or own_attribute(node):
        name = node.id if isinstance(node, ast.Name) else ast.unparse(node)
        value = ctx.value(name, getattr(node, "lineno", None))
        return node if value is None else value
    return node
