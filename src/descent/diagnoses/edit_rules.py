"""The rules of a repair search's edits: each reads one node of a student's function (with what
:mod:`.edit_context` read of it) and yields the small changes a program-repair search tries, each
with its kind and words (:data:`RULES`, in the order tried; the same change at every place at once
is :mod:`.edit_everywhere`'s). The words name the kind of mistake and quote the student's own
code, never the fix. :mod:`descent.diagnoses.edits` writes the edited functions."""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterator

from . import edit_state
from .edit_calls import (
    CALL_SLIPS,
    applied_again,
    biased,
    clip_bound,
    exp_sign,
    extreme,
    mixed_in,
    uniform_draw,
    unsquared,
)
from .edit_cases import both_branches, first_call, own_case, refusal, zero_divisor
from .edit_context import Context, bound
from .edit_names import (
    lag,
    near_name,
    other_name,
    swapped_names,
    undefined_name,
    unset_attribute,
)
from .edit_nodes import (
    AXIS_KEYWORDS,
    CLIPS,
    PRECEDENCE,
    ROOTS,
    callee,
    computes,
    grouped_at,
    is_number,
    is_rooted,
    method_call,
    movable,
    right_spine,
    root_of_power,
    symbol,
    with_args,
    with_keyword,
    with_keywords,
    without,
)
from .edit_shapes import (
    count_missing,
    count_of,
    first_entry,
    input_shape,
    is_shape,
    mean_of_row_sums,
    whole_valued,
)
from .edit_stable import eps_under_root, shift, small, stable_log, stable_ratio, std_plus_eps
from .edit_state import accumulated, folded_rate, forward_factor, square_factor, stored_back
from .edit_types import one_for_all, whole_number

Rule = Callable[[ast.AST, Context], Iterator[tuple[str, str, ast.AST]]]  # (kind, text, new node)

_OPERATORS: dict[type, tuple[type, ...]] = {
    ast.Add: (ast.Sub,),
    ast.Sub: (ast.Add,),
    ast.Mult: (ast.Div,),
    ast.Div: (ast.Mult, ast.FloorDiv),
    ast.FloorDiv: (ast.Div,),
    ast.MatMult: (ast.Mult,),  # `dz * z @ (1 - z)`: a product of matrices for one of entries
}
_COMPARISONS: dict[type, tuple[type, ...]] = {
    ast.Lt: (ast.LtE, ast.Gt),
    ast.LtE: (ast.Lt, ast.GtE),
    ast.Gt: (ast.GtE, ast.Lt),
    ast.GtE: (ast.Gt, ast.LtE),
}
_BOUNDARIES: dict[type, type] = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}
_REDUCTIONS = frozenset(
    {"sum", "mean", "max", "min", "var", "std", "argmax", "argmin", "logsumexp", "norm", "amax"}
)

_PAIRED = frozenset({"max", "min"})  # reductions a tensor gives as (values, indices) along a dim
_DRAWS = frozenset(
    {"randn", "rand", "normal", "uniform", "random", "standard_normal", "randn_like"}
)
_SIZED = frozenset(
    {"zeros", "ones", "empty", "full", "reshape", "view", "eye", "arange", "repmat", "tile"}
)
_KEEP_KEYWORDS = frozenset({"keepdims", "keepdim"})


def counted_power(node: ast.AST) -> bool:
    """``beta2 ** 2``: a name or attribute to a whole power of 2 or more."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow)):
        return False
    right = node.right
    whole = isinstance(right, ast.Constant) and type(right.value) is int and right.value >= 2
    return whole and isinstance(node.left, (ast.Name, ast.Attribute))


def uncounted(node: ast.AST) -> bool:
    """``1 - beta1``: one minus a name, an attribute or an entry (a bias correction's)."""
    return (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Sub)
        and is_number(node.left, 1)
        and isinstance(node.right, (ast.Name, ast.Attribute, ast.Subscript))
    )


def counted(node: ast.BinOp, counter: str) -> ast.BinOp:
    """``1 - beta1`` made ``1 - beta1 ** counter``."""
    power = ast.BinOp(node.right, ast.Pow(), ast.Name(counter, ast.Load()))
    return ast.BinOp(node.left, ast.Sub(), power)


def constant_text(number: str, source: ast.expr, lines: str = "") -> str:
    """ "the number `1e-7` stands where `eps` belongs", for a parameter or a setting."""
    read = ast.unparse(source)  # a parameter's name, or a setting read from a dict
    what = f"`{read}`" if isinstance(source, ast.Name) else f"the setting `{read}`"
    return (
        f"the number `{number}`{lines} stands where {what} belongs (the value passed to your "
        "function should decide it)"
    )


def _swapped_list(body: list, i: int) -> list:
    out = list(body)
    out[i], out[i + 1] = out[i + 1], out[i]
    return out


def _constant_for_argument(node, ctx):
    """A number written where an argument of the signature belongs (eps = 1e-7 typed in)."""
    if not (isinstance(node, ast.Constant) and type(node.value) is float):
        return  # a whole number (an index, a count, a power) is no hyperparameter typed in
    if node in ctx.settings:
        return  # a default of a setting's own: `config.get("eps", 1e-8)`
    if node in ctx.conditions:
        return  # a number a condition tests: replaced, it takes another path, explaining nothing
    for source in ctx.hyperparameters:
        yield "constant", constant_text(ctx.quote(node), source), source


def _left_out(node, ctx):
    """A stability term the function is given and never reads (``eps``), put where it can
    belong: under or after a square root, or added to a denominator."""
    for term in ctx.unused:
        said, here = f"`{ctx.quote(term)}` is never used: it belongs", f"`{ctx.quote(node)}`"
        root = isinstance(node, ast.Call) and callee(node) in ROOTS and len(node.args) == 1
        if root or isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            if root or is_number(node.right, 0.5):
                plus = ast.BinOp(node.args[0] if root else node.left, ast.Add(), term)
                under = with_args(node, [plus]) if root else root_of_power(plus)
                yield "eps", f"{said} under the root in {here}", under
                yield "eps", f"{said} after {here}", ast.BinOp(node, ast.Add(), term)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            if not is_rooted(node.right):
                below = ast.BinOp(node.right, ast.Add(), term)
                yield (
                    "eps",
                    f"{said} in the denominator of {here}",
                    ast.BinOp(node.left, ast.Div(), below),
                )


def _root(node, ctx):
    """A square root taken that does not belong, or one left out."""
    if isinstance(node, ast.Call) and callee(node) in ROOTS and len(node.args) == 1:
        yield "root", f"the square root in `{ctx.quote(node)}` does not belong there", node.args[0]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and is_number(node.right, 0.5):
        yield "root", f"the square root in `{ctx.quote(node)}` does not belong there", node.left
    unrooted = isinstance(node, ast.Assign) and not is_rooted(node.value)
    if unrooted and len(node.targets) == 1 and not isinstance(node.targets[0], ast.Tuple):
        value = root_of_power(node.value)
        target = ctx.quote(node.targets[0])
        yield (
            "root",
            f"a square root is missing: `{target}` should be the square root of what it is",
            ast.Assign(node.targets, value),
        )
    formula = isinstance(node, ast.Return) and isinstance(node.value, ast.BinOp)
    if formula and not is_rooted(node.value):  # a helper returning a variance where a std belongs
        yield (
            "root",
            f"a square root is missing: the value returned, `{ctx.quote(node.value)}`, should "
            "be the square root of what it is",
            ast.Return(root_of_power(node.value)),
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and not is_rooted(node.right):
        yield (
            "root",
            f"a square root is missing in `{ctx.quote(node)}`: divide by the square root of "
            f"`{ctx.quote(node.right)}`",
            ast.BinOp(node.left, ast.Div(), root_of_power(node.right)),
        )


def _ignored_input(node, ctx):
    """An input the function is given and never reads (the upstream gradient of a backward
    that returns its local derivative): a factor of a value it returns."""
    if not (isinstance(node, ast.Return) and node.value is not None):
        return
    values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
    for name in ctx.ignored:
        for i, value in enumerate(values):
            if isinstance(value, ast.Constant):
                continue
            times = ast.BinOp(value, ast.Mult(), ast.Name(name, ast.Load()))
            said = f"`{name}` is never used: it belongs as a factor of `{ctx.quote(value)}`"
            if isinstance(node.value, ast.Tuple):
                elts = [times if j == i else v for j, v in enumerate(values)]
                yield "factor", said, ast.Return(ast.Tuple(elts, ast.Load()))
            else:
                yield "factor", said, ast.Return(times)


def _power(node, ctx):
    """A square or another power that does not belong, or a whole number where the step
    counter belongs (``1 - beta2 ** 2`` for ``1 - beta2 ** t``)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and is_number(node.right, 2):
        yield "power", f"`{ctx.quote(node)}` should not be squared", node.left
    yield from corrected_power(node, ctx)
    yield from typed_power(node, ctx)


def corrected_power(node, ctx):
    """A division by one minus a decay rate (``x / (1 - beta1)``) where Adam's bias correction
    divides by ``1 - beta1 ** t``: the step counter as the power."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and uncounted(node.right):
        for counter in (n for n in ctx.names if n in COUNTERS):
            yield (
                "power",
                f"`{ctx.quote(node.right)}` lacks the step counter as a power of "
                f"`{ctx.quote(node.right.right)}`",
                ast.BinOp(node.left, ast.Div(), counted(node.right, counter)),
            )


def typed_power(node, ctx):
    """A whole number typed in as a power where the step counter belongs (``beta2 ** 2``)."""
    if counted_power(node):
        for counter in (n for n in ctx.names if n in COUNTERS):
            yield (
                "power",
                f"the power `{ctx.quote(node.right)}` in `{ctx.quote(node)}` is typed in "
                "where the step counter belongs",
                ast.BinOp(node.left, ast.Pow(), ast.Name(counter, ast.Load())),
            )


def _root_term(node, ctx):
    """A term under a square root that belongs after it (``sqrt(v + eps)``), or the reverse."""
    inside = root_of(node)
    if isinstance(inside, ast.BinOp) and isinstance(inside.op, ast.Add):
        term = ctx.quote(inside.right)
        yield (
            "root",
            f"the term `{term}` in `{ctx.quote(node)}` belongs after the square root, not under it",
            ast.BinOp(root_of_power(inside.left), ast.Add(), inside.right),
        )
    under = root_of(node.left) if isinstance(node, ast.BinOp) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and under is not None:
        yield (
            "root",
            f"the term `{ctx.quote(node.right)}` in `{ctx.quote(node)}` belongs under the square "
            "root, not after it",
            root_of_power(ast.BinOp(under, ast.Add(), node.right)),
        )


def root_of(node: ast.AST) -> ast.AST | None:
    """What ``node`` takes the square root of (``sqrt(x)``, ``x ** 0.5``), else ``None``."""
    if isinstance(node, ast.Call) and callee(node) in ROOTS and len(node.args) == 1:
        return node.args[0]
    if isinstance(node, ast.Call) and callee(node) in ROOTS and not node.args:
        return node.func.value if isinstance(node.func, ast.Attribute) else None  # `v.sqrt()`
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and is_number(node.right, 0.5):
        return node.left
    return None


COUNTERS = frozenset({"t", "step", "steps", "timestep", "iteration", "iterations", "n_iter"})


def _axis(node, ctx):
    """A reduction over another axis, or its axis kept or dropped."""
    if not isinstance(node, ast.Call):
        return
    for i, kw in enumerate(node.keywords):
        if kw.arg in AXIS_KEYWORDS and isinstance(kw.value, (ast.Constant, ast.UnaryOp)):
            for value in (0, 1, -1, None):
                if ast.unparse(kw.value) != repr(value):
                    yield (
                        "axis",
                        f"`{ctx.quote(node)}` runs over the wrong axis",
                        with_keyword(node, i, ast.keyword(kw.arg, ast.Constant(value))),
                    )
            yield "axis", f"`{ctx.quote(node)}` runs over the wrong axis", without(node, i)
        if kw.arg in _KEEP_KEYWORDS and isinstance(kw.value, ast.Constant):
            flipped = ast.keyword(kw.arg, ast.Constant(not kw.value.value))
            which = "keeps" if kw.value.value else "drops"
            yield (
                "axis",
                f"`{ctx.quote(node)}` {which} the reduced axis where the shapes need otherwise",
                with_keyword(node, i, flipped),
            )
    if _dropped_axis(node):
        yield (
            "axis",
            f"`{ctx.quote(node)}` drops the axis it reduces, so its result lines up with "
            "another axis of the array it came from",
            with_keywords(node, keepdims=True),
        )
    if callee(node) in _REDUCTIONS and not node.keywords and isinstance(node.func, ast.Attribute):
        whole = f"`{ctx.quote(node)}` reduces over every axis where it should reduce one"
        if not node.args:  # a reduction over everything where one axis belongs
            for value in (0, 1, -1):
                yield "axis", whole, with_args(node, [ast.Constant(value)])
        if over_everything(node):  # `x.max()` or `np.max(x)`, and the axis kept to broadcast
            for kept in one_axis(node, ctx.function):
                yield "axis", whole + " and keep it, to broadcast against its input", kept


def _dropped_axis(node: ast.Call) -> bool:
    """A reduction over a given axis (``dim=1``, ``axis=-1``, ``x.sum(1)``, ``np.sum(x, 1)``)
    that says nothing of keeping it."""
    if callee(node) not in _REDUCTIONS or callee(node) in {"argmax", "argmin"}:
        return False
    if any(k.arg in _KEEP_KEYWORDS for k in node.keywords):
        return False
    positional = len(node.args) >= (1 if method_call(node) else 2)
    return positional or any(k.arg in AXIS_KEYWORDS for k in node.keywords)


def over_everything(node: ast.Call) -> bool:
    """``x.max()`` or ``np.max(x)``: a reduction over every axis of one array."""
    if callee(node) not in _REDUCTIONS or node.keywords:
        return False
    return isinstance(node.func, ast.Attribute) and len(node.args) == (
        0 if method_call(node) else 1
    )


def one_axis(node: ast.Call, fn: ast.FunctionDef) -> Iterator[ast.expr]:
    """The reduction ``node`` over one axis with the axis kept, each axis in turn, the one the
    function ``fn`` is given first (``dim``), and its values alone where a tensor gives values
    and indices."""
    given = [a.arg for a in fn.args.args + fn.args.kwonlyargs if a.arg in AXIS_KEYWORDS]
    values: list[ast.expr | int] = [*[ast.Name(a, ast.Load()) for a in given], 1, -1, 0]
    for value in values:
        kept = with_keywords(node, axis=value, keepdims=True)
        yield kept
        if callee(node) in _PAIRED:
            yield ast.Subscript(kept, ast.Constant(0), ast.Load())


def _size(node, ctx):
    """A size typed in (``np.zeros((N, 10))``, ten classes) where the size of an input
    belongs: the code works only for the inputs it was written for."""
    if not (isinstance(node, ast.Call) and callee(node) in _SIZED):
        return
    for arg in node.args:
        for number in arg.elts if isinstance(arg, ast.Tuple) else [arg]:
            if not (isinstance(number, ast.Constant) and type(number.value) is int):
                continue
            if number.value < 2:
                continue
            for array in _arrays(ctx.function):
                for dim in (0, 1):
                    size = ast.Subscript(
                        ast.Attribute(ast.Name(array, ast.Load()), "shape", ast.Load()),
                        ast.Constant(dim),
                        ast.Load(),
                    )
                    swapped = _Replace(number, size).visit(copy.deepcopy(node))
                    yield (
                        "size",
                        f"the size `{number.value}` in `{ctx.quote(node)}` is typed in where it "
                        "should be read from the shape of an input",
                        swapped,
                    )


def _drawn(node, ctx):
    """Random values where zeros belong (a velocity or a moment started at random): the draw
    made zeros of its shape (the generator is still drawn from, as the student's code does)."""
    if isinstance(node, ast.Call) and callee(node) in _DRAWS:
        said = f"`{ctx.quote(node)}` draws random values where zeros belong"
        yield "draw", said, ast.BinOp(ast.Constant(0), ast.Mult(), node)


def _unclipped(node, ctx):
    """A clip or a clamp that changes results (a gradient clipped to [-1, 1], a probability
    floored): the value as it is."""
    if isinstance(node, ast.Call) and callee(node) in CLIPS:
        value = node.func.value if method_call(node) and not _library_call(node) else None
        value = value if value is not None else (node.args[0] if node.args else None)
        if value is not None:
            yield "clip", f"the clip in `{ctx.quote(node)}` does not belong there", value


def _library_call(node: ast.Call) -> bool:
    owner = node.func.value if isinstance(node.func, ast.Attribute) else None
    return isinstance(owner, ast.Name) and owner.id in ("np", "numpy", "torch", "jnp", "math")


def _arrays(fn: ast.FunctionDef) -> list[str]:
    """The function's parameters that can hold an array: not ``self``, and none with a number
    or a string for default."""
    args = fn.args.args
    plain = args[: len(args) - len(fn.args.defaults)]
    return [a.arg for a in plain if a.arg not in ("self", "cls")]


class _Replace(ast.NodeTransformer):
    """The node equal to ``old`` (by position) replaced by ``new``."""

    def __init__(self, old: ast.AST, new: ast.AST):
        self.where = (old.lineno, old.col_offset)  # type: ignore[attr-defined]
        self.new = new

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if (getattr(node, "lineno", None), getattr(node, "col_offset", None)) == self.where:
            if isinstance(node, ast.Constant):
                return ast.copy_location(copy.deepcopy(self.new), node)
        return super().generic_visit(node)


def _in_place(node, ctx):
    """``p += v`` on an array the caller handed in (an attribute or an entry of one, or an
    argument): it changes that array in place, where a new one belongs."""
    if not isinstance(node, ast.AugAssign) or type(node.op) not in _OPERATORS:
        return
    target = node.target
    if isinstance(target, ast.Name) and target.id not in _arrays(ctx.function):
        return  # a local name: `+=` changes only what the function made itself
    read = copy.deepcopy(target)
    for part in ast.walk(read):
        if hasattr(part, "ctx"):
            part.ctx = ast.Load()
    yield (
        "in place",
        f"`{ctx.quote(node)}` changes the array in place, and with it the one your caller "
        "passed: build a new array there",
        ast.Assign([target], ast.BinOp(read, node.op, node.value)),
    )


def _copy(node, ctx):
    """A write into an array the caller handed in, under its own name or another one bound to
    it (``dx = dout`` or ``x = self.cache``, then ``dx[x <= 0] = 0``): the caller's array
    changes with it. The edit copies the array right before the write (NumPy's ``copy``, or a
    tensor's ``clone``)."""
    name = _written_into(node)
    if name is None or name not in _handed_in(ctx.function):
        return
    said = (
        f"`{ctx.quote(node)}` writes into the array your caller passed (`{name}` is that array, "
        "not a copy of it): work on a copy"
    )
    for method in ("copy", "clone"):
        fresh = ast.Call(ast.Attribute(ast.Name(name, ast.Load()), method, ast.Load()), [], [])
        copied = ast.Assign([ast.Name(name, ast.Store())], fresh)
        yield "copy", said, ast.If(ast.Constant(True), [copied, node], [])


def _written_into(node: ast.AST) -> str | None:
    """The name whose array the statement ``node`` changes in place: ``a[i] = v``, ``a[i] += v``,
    ``a += v`` or a method of its ending in ``_`` (``a.clamp_(0)``)."""
    target = getattr(node, "targets", [None])[0] if isinstance(node, ast.Assign) else None
    if isinstance(node, ast.AugAssign):
        target = node.target
    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
        return target.value.id
    if isinstance(node, ast.AugAssign) and isinstance(target, ast.Name):
        return target.id
    call = node.value if isinstance(node, ast.Expr) else None
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute):
        method, owner = call.func.attr, call.func.value
        if method.endswith("_") and not method.startswith("_") and isinstance(owner, ast.Name):
            return owner.id
    return None


def _handed_in(fn: ast.FunctionDef) -> set[str]:
    """The function's parameters and the names it binds to something it was handed or keeps
    (``dx = dout``, ``x = self.cache``, ``x = cache[0]``, a view ``g = dy.reshape(1, -1)``),
    not to a new array."""
    names = {a.arg for a in fn.args.args + fn.args.kwonlyargs} - {"self", "cls"}
    for node in ast.walk(fn):
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target, value = node.targets[0], node.value
        pairs = [(target, value)]
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
            pairs = list(zip(target.elts, value.elts))
        for name, given in pairs:
            if isinstance(name, ast.Name) and (isinstance(given, _HANDED) or _view(given, names)):
                names.add(name.id)
    return names


_HANDED = (ast.Name, ast.Attribute, ast.Subscript)  # another name for an array, not a new one
_VIEWS = frozenset({"reshape", "view", "ravel", "squeeze", "transpose", "swapaxes"})


def _view(node: ast.AST, handed: set[str]) -> bool:
    """``node`` is a view of an array of ``handed`` (``dy.reshape(1, -1)``): written into, it
    writes into that array."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    owner = node.func.value
    return node.func.attr in _VIEWS and isinstance(owner, ast.Name) and owner.id in handed


_PRODUCTS = frozenset({"dot", "matmul", "mm"})


def _grouping(node, ctx):
    """Parentheses around the wrong terms: ``X @ (W + b)`` where ``X @ W + b`` belongs, and
    the reverse of a product grouped under a division (``a / (b * c)``)."""
    said = f"the parentheses in `{ctx.quote(node)}` group the wrong terms"
    if isinstance(node, ast.Call) and callee(node) in _PRODUCTS and len(node.args) == 2:
        inner = node.args[1]  # `np.dot(X, W + b)`: the bias inside the product
        if isinstance(inner, ast.BinOp) and isinstance(inner.op, (ast.Add, ast.Sub)):
            product = with_args(node, [node.args[0], inner.left])
            yield "grouping", said, ast.BinOp(product, inner.op, inner.right)
    if isinstance(node, ast.IfExp) and isinstance(node.orelse, ast.BinOp):  # `1 if c else 0 - f`
        tail = node.orelse
        rest = f"{symbol(tail.op)} {ctx.quote(tail.right)}"
        said = f"`{ctx.quote(node)}` takes all of `{ctx.quote(tail)}` as its else-value"
        grouped = ast.BinOp(ast.IfExp(node.test, node.body, tail.left), tail.op, tail.right)
        yield "grouping", f"{said}: the `{rest}` applies only when the test fails", grouped
    if not isinstance(node, ast.BinOp) or type(node.op) not in PRECEDENCE:
        return
    # parentheses around a part (`a * (b - c)`), or missing (`a ** k - 1` for `a ** (k - 1)`)
    missing = f"`{ctx.quote(node)}` groups its terms the wrong way: parentheses are missing"
    inner = node.right
    if isinstance(inner, ast.BinOp) and type(inner.op) in PRECEDENCE:
        written = PRECEDENCE[type(inner.op)] <= PRECEDENCE[type(node.op)]
        yield (
            "grouping",
            said if written else missing,
            ast.BinOp(ast.BinOp(node.left, node.op, inner.left), inner.op, inner.right),
        )
        chain = node.left  # `m + 1 - beta * g`: the chain's last term alone, `(1 - beta) * g`
        if not written and isinstance(chain, ast.BinOp) and type(chain.op) in PRECEDENCE:
            if PRECEDENCE[type(chain.op)] == PRECEDENCE[type(node.op)]:
                last = ast.BinOp(ast.BinOp(chain.right, node.op, inner.left), inner.op, inner.right)
                yield "grouping", missing, ast.BinOp(chain.left, chain.op, last)
    inner = node.left
    if isinstance(inner, ast.BinOp) and type(inner.op) in PRECEDENCE:
        written = PRECEDENCE[type(inner.op)] < PRECEDENCE[type(node.op)]
        yield (
            "grouping",
            said if written else missing,
            ast.BinOp(inner.left, inner.op, ast.BinOp(inner.right, node.op, node.right)),
        )
        if not written:  # deeper down the right-hand terms: `k * a ** k - 1`, `k * a ** (k - 1)`
            for deeper in right_spine(inner.right):
                yield "grouping", missing, grouped_at(inner, deeper, node.op, node.right)


def _reduction(node, ctx):
    """A mean where a sum belongs, or the reverse (a bias's gradient averaged over the batch)."""
    other = (
        {"mean": "sum", "average": "sum", "sum": "mean"}.get(callee(node) or "")
        if isinstance(node, ast.Call)
        else None
    )
    if other and isinstance(node.func, ast.Attribute):
        func = ast.Attribute(node.func.value, other, ast.Load())
        said = "averages where a sum belongs" if other == "sum" else "sums where a mean belongs"
        yield "reduction", f"`{ctx.quote(node)}` {said}", ast.Call(func, node.args, node.keywords)


def _sum_left_out(node, ctx):
    """An array kept whole where it belongs summed over one axis (a bias's gradient set to the
    upstream gradient itself): a variable assigned as it is, summed over the first or the second
    axis, that axis kept or dropped."""
    alias = isinstance(node, ast.Assign) and isinstance(node.value, (ast.Name, ast.Attribute))
    if not alias or len(node.targets) != 1 or isinstance(node.targets[0], ast.Tuple):
        return
    said = (
        f"`{ctx.quote(node)}` keeps every entry of `{ctx.quote(node.value)}` where they belong "
        "summed over one axis"
    )
    for axis in (0, 1):
        for keep in (True, False):
            total = ast.Call(ast.Attribute(node.value, "sum", ast.Load()), [], [])
            total = with_keywords(total, axis=axis, **({"keepdims": True} if keep else {}))
            yield "reduction", said, ast.Assign(node.targets, total)


def _order(node, ctx):
    """Two arguments, or two dimensions of a shape, in the other order; a transpose; two of the
    function's arguments in each other's places in a step (:func:`.edit_names.swapped_names`)."""
    if isinstance(node, ast.Call) and len(node.args) >= 2:
        a, b = node.args[0], node.args[1]
        # a test and a value swapped (`np.where(x, x > 0, 0)`) passes only by coincidence
        tests = isinstance(a, (ast.Compare, ast.BoolOp)) + isinstance(b, (ast.Compare, ast.BoolOp))
        if not (isinstance(a, ast.Constant) and isinstance(b, ast.Constant)) and tests != 1:
            args = [b, a, *node.args[2:]]
            yield (
                "order",
                f"the first two arguments in `{ctx.quote(node)}` are in the wrong order",
                with_args(node, args),
            )
    if isinstance(node, ast.Tuple) and len(node.elts) >= 2 and isinstance(node.ctx, ast.Load):
        elts = [node.elts[1], node.elts[0], *node.elts[2:]]
        # values handed on in another order (a cache) are names swapped: a swap, not a shape
        kind, what = ("order", "dimensions") if is_shape(node) else ("swap", "items")
        said = f"the {what} in `{ctx.quote(node)}` are in the wrong order"
        yield kind, said, ast.Tuple(elts, ast.Load())
    if isinstance(node, ast.Attribute) and node.attr == "T":
        yield "order", f"the transpose in `{ctx.quote(node)}` does not belong there", node.value
    yield from swapped_names(node, ctx)


def _operator(node, ctx):
    """One arithmetic operator for another; a minus sign dropped, or one a return lacks."""
    if isinstance(node, ast.BinOp):
        reciprocal = isinstance(node.op, ast.Add) and is_number(node.left, 1)  # `1 + (1 + e)`
        for other in _OPERATORS.get(type(node.op), ()) + ((ast.Div,) if reciprocal else ()):
            if other is ast.FloorDiv and not whole_valued(node.left):
                continue  # `(np.sign(z) + 1) // 2` floors floats: a repair by coincidence
            if other in (ast.Add, ast.Sub) and (small(node.left) or small(node.right)):
                continue  # `p - 1e-8` for a floor `p + 1e-8`: a repair by coincidence
            yield (
                "operator",
                f"the operation `{symbol(node.op)}` in `{ctx.quote(node)}` is the wrong one",
                ast.BinOp(node.left, other(), node.right),
            )
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield "sign", f"the minus sign of `{ctx.quote(node)}` does not belong there", node.operand
    returned = isinstance(node, ast.Return) and isinstance(node.value, (ast.Call, ast.BinOp))
    if returned and computes(ctx.function):  # a loss's minus (a helper that converts has none)
        said = f"`{ctx.quote(node)}` returns its value without the minus sign it needs"
        yield "sign", said, ast.Return(ast.UnaryOp(ast.USub(), node.value))


def _comparison(node, ctx):
    """A comparison's boundary or direction."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        for other in _COMPARISONS.get(type(node.ops[0]), ()):
            yield (
                "comparison",
                f"the comparison `{ctx.quote(node)}` is wrong at its boundary or direction",
                ast.Compare(node.left, [other()], node.comparators),
            )


def _term(node, ctx):
    """A term or a factor that does not belong."""
    if not isinstance(node, ast.BinOp):
        return
    if isinstance(node.op, (ast.Add, ast.Sub)):
        for kept, dropped in ((node.left, node.right), (node.right, node.left)):
            yield (
                "term",
                f"the term `{ctx.quote(dropped)}` in `{ctx.quote(node)}` does not belong there",
                kept,
            )
    if isinstance(node.op, (ast.Mult, ast.Div)):
        pairs = [(node.left, node.right)]
        if isinstance(node.op, ast.Mult):
            pairs.append((node.right, node.left))
        for kept, dropped in pairs:
            said = f"the factor `{ctx.quote(dropped)}` in `{ctx.quote(node)}` does not belong there"
            yield "factor", said, kept
            if isinstance(dropped, ast.UnaryOp) and isinstance(dropped.op, ast.USub):  # -10 * z
                yield "factor", f"{said}, only its minus sign", ast.UnaryOp(ast.USub(), kept)


def _boundary(node, ctx):
    """A ``while`` loop's test one pass off: ``<`` for ``<=`` and back (never the direction,
    which could make the loop never end)."""
    if bound(node) and isinstance(node, ast.Compare) and len(node.ops) == 1:
        other = _BOUNDARIES.get(type(node.ops[0]))
        if other is not None:
            said = f"the loop's test `{ctx.quote(node)}` makes one pass too many or too few"
            yield "count", said, ast.Compare(node.left, [other()], node.comparators)


def _count(node, ctx):
    """A whole number off by one (not in a condition: `dampening != 0` made `!= 1` sends every
    call down the other branch, a repair of code never run; nor in a comparison kept)."""
    if node in ctx.conditions or node in ctx.compared:
        return
    if isinstance(node, ast.Constant) and type(node.value) is int and node not in ctx.factors:
        for value in (node.value - 1, node.value + 1):
            yield "count", f"the number `{ctx.quote(node)}` is off by one", ast.Constant(value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        if is_number(node.right, 1):
            yield "count", f"the `{ctx.quote(node)}` is off by one", node.left


def _statements(node, ctx):
    """``+=`` where ``=`` belongs or the reverse, or two statements in the other order."""
    if isinstance(node, ast.AugAssign):
        yield (
            "update",
            f"`{ctx.quote(node)}` adds to what was there where it should replace it",
            ast.Assign([node.target], node.value),
        )
    yield from accumulated(node, ctx)
    for block in ("body", "orelse"):
        body = getattr(node, block, None)
        if not isinstance(body, list) or node is ctx.function and block == "orelse":
            continue
        for i in range(len(body) - 1):
            first, second = body[i], body[i + 1]
            if not movable(first) or not movable(second):
                continue
            replacement = type(node)(
                **{**dict(ast.iter_fields(node)), block: _swapped_list(body, i)}
            )
            yield "order", edit_state.swap_text(first, second), replacement


# The rules, one node each: kinds that write few edits and tell much first, for a bounded search
RULES: tuple[Rule, ...] = (
    # first: they write only at an exp or a log (passing only where every failure overflowed),
    shift,
    stable_log,
    stable_ratio,
    mixed_in,  # or at a read of a batch variance
    applied_again,
    _constant_for_argument,
    _left_out,
    eps_under_root,
    std_plus_eps,
    zero_divisor,
    refusal,
    own_case,
    both_branches,
    first_call,
    _ignored_input,
    _root,
    _root_term,
    _statements,
    edit_state.returned_after_update,
    edit_state.written_over_state,
    stored_back,
    folded_rate,
    forward_factor,
    square_factor,
    _boundary,
    _in_place,
    _copy,
    lag,
    undefined_name,
    unset_attribute,
    near_name,
    _axis,
    _reduction,
    _sum_left_out,
    _size,
    count_of,
    mean_of_row_sums,
    first_entry,
    uniform_draw,
    _drawn,
    _unclipped,
    clip_bound,
    *CALL_SLIPS,
    _grouping,
    _order,
    _power,
    unsquared,
    _operator,
    exp_sign,
    extreme,
    biased,
    _comparison,
    _count,
    whole_number,
    one_for_all,
    _term,
    input_shape,
    count_missing,
    other_name,
)

# also made at once in every expression written like the one changed (edit_everywhere's twins)
TWIN_RULES: tuple[Rule, ...] = (_operator, _term)

# The only rules a loop's bound gets (:func:`.edit_context.bound`): a count one off.
BOUND_RULES: tuple[Rule, ...] = (_boundary, _count)
