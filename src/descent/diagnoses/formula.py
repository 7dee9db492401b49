"""Slips of one operation of a formula, written into the reference's code by
:mod:`descent.diagnoses.mutant` (each rule takes ``(node, context)`` and yields
``(before, after, kind, text)``: :mod:`~.syntax`; :data:`~.order.MUTANT_SLIPS` lists them):

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
  ``x = x + e``); ``step``: a ``+ 1`` or ``- 1`` left out (``frozen`` when it advances a
  counter read from the state);
- ``sign``: a difference taken the other way round or a sum for a difference;
- ``factor``: a numeric factor of a product left out, ``n`` for ``n - 1`` (a biased variance for
  the unbiased one);
- ``step`` too: a power whose exponent is a count raised one too high or one too low (one decay
  or drop too many or too few);
- ``branch``: one operand of an ``and`` or ``or`` left out;
- ``reduction``: a matrix parameter read transposed everywhere (rows for columns);
- ``clamp``: a log (or log-softmax) of something floored at a small constant (1e-6 to 1e-20):
  the result clamped at the floor's log (the log of a softmax clamped at 1e-10), or the floor
  added to what the log is taken of; a floor's small constant (``clamp(min=1e-12)``) moved to
  another; a binary loss's softplus terms taken as logs of sigmoid probabilities kept off 0 and
  1 (clipped, a floor added, or each log clamped at -100).

Texts quote no code of the reference: only the parameters of the signature, names the docstring
shows, and the operation.
"""

from __future__ import annotations

import ast
import copy
import math
from collections.abc import Iterator
from typing import Any

from .base import FLOORS, UNDER_ROOT
from .rerun import transposed as transposed_text
from .syntax import Context, Slip, callee, count, eps_name, one, quote, reads_state, substituted

_OMITTED_CALLS = ("sqrt", "rsqrt", "log", "exp", "log1p", "abs", "tanh")


def operation_omitted(node: Any, context: Context) -> Iterator[Slip]:
    if isinstance(node, ast.Call) and callee(node) in _OMITTED_CALLS:
        name = callee(node) or ""
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
        quoted = quote(node, context.public)
        what = (
            f"{quoted} written as {quote(node.left, context.public)}"
            if quoted
            else "a power left out"
        )
        yield node, node.left, "omitted", f"{what}: the power left out (the base used as it is)"
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        if count(node.right):
            yield (
                node,
                node.left,
                "sum-mean",
                "a division by a count left out: a sum where the mean belongs",
            )
        elif not isinstance(node.left, ast.Constant):
            quoted = quote(node.right, context.public)
            yield node, node.left, "omitted", f"the division by {quoted or 'a normalizer'} left out"
    elif (
        isinstance(node, ast.Call)
        and callee(node) in ("div", "div_")
        and isinstance(node.func, ast.Attribute)
        and len(node.args) == 1
    ):
        if count(node.args[0]):
            yield (
                node,
                node.func.value,
                "sum-mean",
                ("a division by a count left out: a sum where the mean belongs"),
            )
        else:
            quoted = quote(node.args[0], context.public)
            yield (
                node,
                node.func.value,
                "omitted",
                (f"the division by {quoted or 'a normalizer'} left out"),
            )
    elif isinstance(node, ast.Call) and callee(node) in ("mean", "sum"):
        other = "sum" if callee(node) == "mean" else "mean"
        after = copy.deepcopy(node)
        if isinstance(after.func, ast.Attribute):
            after.func.attr = other
        elif isinstance(after.func, ast.Name):
            after.func.id = other
        yield (
            node,
            after,
            "sum-mean",
            f"a {other} where the {callee(node)} belongs",
        )


def eps_left_out_or_moved(node: Any, context: Context) -> Iterator[Slip]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        for kept, dropped in ((node.left, node.right), (node.right, node.left)):
            if eps_name(dropped):
                yield node, kept, "eps", f"`{ast.unparse(dropped)}` left out where it is added"
                root = _root(kept)
                if root is not None:  # sqrt(a) + eps -> sqrt(a + eps)
                    moved = copy.deepcopy(kept)
                    _set_root_argument(moved, ast.BinOp(_root_argument(kept), ast.Add(), dropped))
                    yield (
                        node,
                        moved,
                        "eps",
                        f"`{ast.unparse(dropped)}` {UNDER_ROOT}",
                    )
    elif (
        isinstance(node, ast.Call)
        and callee(node) in ("add", "add_")
        and isinstance(node.func, ast.Attribute)
        and len(node.args) == 1
        and eps_name(node.args[0])
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
                f"`{ast.unparse(node.args[0])}` {UNDER_ROOT}",
            )
    elif isinstance(node, ast.Call) and callee(node) in ("sqrt", "rsqrt"):
        arg = _root_argument(node)
        if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Add) and eps_name(arg.right):
            eps = arg.right
            root = copy.deepcopy(node)
            _set_root_argument(root, arg.left)
            after: Any = (
                ast.BinOp(root, ast.Add(), eps)
                if callee(node) == "sqrt"
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
    return node if isinstance(node, ast.Call) and callee(node) in ("sqrt", "rsqrt") else None


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


def hyperparameter_swapped(node: Any, context: Context) -> Iterator[Slip]:
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


def term_slips(node: Any, context: Context) -> Iterator[Slip]:
    if not isinstance(node, ast.BinOp):
        return
    if isinstance(node.op, ast.Sub) and count(node.left) and one(node.right):
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
            if eps_name(dropped) or isinstance(node.op, ast.Sub) and kept is node.right:
                continue
            if one(dropped):
                if reads_state(kept) or ast.unparse(kept) in context.from_state:
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
            quoted = quote(dropped, context.public)
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
        elif not eps_name(node.right):
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


def power_off_by_one(node: Any, context: Context) -> Iterator[Slip]:
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


def condition_left_out(node: Any, context: Context) -> Iterator[Slip]:
    """One operand of an ``and`` or ``or`` left out: a case the test should catch (a NaN in the
    second of two curves) goes to the other branch."""
    if not isinstance(node, ast.BoolOp):
        return
    for i in range(len(node.values)):
        rest = node.values[:i] + node.values[i + 1 :]
        after = rest[0] if len(rest) == 1 else ast.BoolOp(node.op, rest)
        dropped = ast.unparse(node.values[i])
        yield (
            node,
            after,
            "branch",
            f"no case of its own for `{dropped}` (a condition of a test left out, one operand "
            "of an `and` or `or`, or no test for it at all): those inputs go down the other "
            "path",
        )


def log_clamped(node: Any, context: Context) -> Iterator[Slip]:
    """A log (or a log-softmax) whose argument is floored at a small constant: its result
    clamped at the floor's log."""
    name = callee(node) if isinstance(node, ast.Call) else None
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


_SOFTPLUS = ("_softplus", "softplus")
_WRITTEN_FLOORS = (1e-5, 1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-15)  # the floors learners write


def softplus_of_probabilities(node: Any, context: Context) -> Iterator[Slip]:
    """A loss's softplus terms (``softplus(-z) = -log(p)``, ``softplus(z) = -log(1 - p)`` of
    ``p = sigmoid(z)``) taken as logs of the probabilities kept off 0 and 1: ``p`` clipped to
    ``[f, 1 - f]``, ``f`` added under each log, or each log clamped at -100 (what
    ``torch.nn.BCELoss`` does to the probabilities it is handed); in the input's precision and
    in float64 (a learner's NumPy code). Every term of the statement at once: a loss on
    probabilities writes both logs alike."""
    if not isinstance(node, ast.Assign):
        return
    calls = [
        n
        for n in ast.walk(node.value)
        if isinstance(n, ast.Call) and callee(n) in _SOFTPLUS and len(n.args) == 1
    ]
    if not calls:
        return
    said = (
        "the logs of the sigmoid's probabilities (log(p) and log(1 - p) of p = sigmoid(z)) "
        "{how}: where the probability saturates each term stops near {cap} and its gradient "
        "with it; compute both from the logits (softplus forms), with no floor"
    )
    for wide in (False, True):
        for floor in _WRITTEN_FLOORS:
            how, cap = f"with p clipped to [{floor:g}, 1 - {floor:g}]", f"{-math.log(floor):.4g}"
            after = _each(node, calls, wide, clipped=floor)
            yield node, after, "clamp", said.format(how=how, cap=cap)
            how = f"with {floor:g} added under each log"
            yield (
                node,
                _each(node, calls, wide, added=floor),
                "clamp",
                said.format(how=how, cap=cap),
            )
        how = "clamped at -100 (what torch.nn.BCELoss does to the probabilities it is given)"
        yield node, _each(node, calls, wide, least=-100.0), "clamp", said.format(how=how, cap="100")


def _each(node: Any, calls: list, wide: bool, **keep: float) -> ast.AST:
    """``node`` with each softplus call of ``calls`` written as minus the log of ``p = sigmoid(z)``
    (of ``1 - p`` for ``softplus(z)``), kept off 0 and 1 as ``keep`` says (``clipped``, ``added``
    or ``least``), in float64 where ``wide``, each term cast back to ``z``'s dtype."""
    pairs: list[tuple[ast.AST, ast.AST]] = []
    for call in calls:
        (u,) = call.args
        positive = isinstance(u, ast.UnaryOp) and isinstance(u.op, ast.USub)
        z = copy.deepcopy(u.operand if positive else u)
        p: ast.expr = _call("torch", "sigmoid", _method(z, "double") if wide else z)
        if "clipped" in keep:
            f = keep["clipped"]
            p = _call("torch", "clamp", p, ast.Constant(f), ast.Constant(1 - f))
        q = p if positive else ast.BinOp(ast.Constant(1.0), ast.Sub(), p)
        if "added" in keep:
            q = ast.BinOp(q, ast.Add(), ast.Constant(keep["added"]))
        log: ast.expr = _call("torch", "log", q)
        if "least" in keep:
            log = ast.Call(
                ast.Attribute(log, "clamp", ast.Load()),
                [],
                [ast.keyword("min", ast.Constant(keep["least"]))],
            )
        term = ast.UnaryOp(ast.USub(), log)
        pairs.append(
            (call, _method(term, "to", ast.Attribute(copy.deepcopy(z), "dtype", ast.Load())))
        )
    return substituted(node, pairs)


def _method(owner: ast.expr, name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(ast.Attribute(owner, name, ast.Load()), list(args), [])


def _call(module: str, function: str, *args: Any) -> ast.Call:
    """``module.function(*args)`` as a tree."""
    return ast.Call(
        ast.Attribute(ast.Name(module, ast.Load()), function, ast.Load()), list(args), []
    )


def _floor_constant(node: Any) -> Any:
    """The small positive constant a call floors at (``clamp(x, min=1e-12)``, ``max(1e-12, x)``,
    ``maximum(x, 1e-12)``), as its node; ``None`` for any other call."""
    if not isinstance(node, ast.Call):
        return None
    name = callee(node)
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


def floor_moved(node: Any, context: Context) -> Iterator[Slip]:
    """A floor's constant moved (a denominator floored at 1e-8 where 1e-12 belongs): wherever
    what is floored lies between the two, the result changes."""
    constant = _floor_constant(node)
    if constant is None:
        return
    for floor in FLOORS:
        if floor == constant.value:
            continue
        after = substituted(node, [(constant, ast.Constant(floor))])
        higher = "higher" if floor > constant.value else "lower"
        yield (
            node,
            after,
            "clamp",
            f"a floor {higher} than the {constant.value:g} the formula uses: where what is "
            "floored lies between the two, the result differs",
        )


def read_transposed(node: Any, context: Context) -> Iterator[Slip]:
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
