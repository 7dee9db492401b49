"""Edits of which library call the student made, for a repair search (part of
:data:`descent.diagnoses.edit_rules.RULES`): the minimum taken where the maximum belongs (or
the reverse), a variance or a standard deviation divided by n - 1 where n belongs (or a batch
variance divided by n mixed into a running one), an exp whose exponent has the wrong sign, a
function applied where its argument belongs as it is, a tanh's derivative or a norm without its
square, and a bound of a clip that does not belong; and the slips of :data:`CALL_SLIPS`, tried
later (a reduction where the entrywise maximum belongs, a Heaviside step's value at 0, an
operation inside an exp that belongs outside it, one entry where the whole array belongs, a
gradient averaged into one number, a cast to float32, a step not held at a schedule's end, an
absolute value taken, a loss's log left out). The words name the kind of mistake and quote the
student's call, never the fix.
"""

from __future__ import annotations

import ast
import copy

from .edit_context import imported
from .edit_nodes import (
    CLIPS,
    LIBRARIES,
    callee,
    is_number,
    is_rooted,
    method_call,
    root_of_power,
    with_args,
)
from .syntax import substituted

_EXTREMES = {"min": "max", "max": "min", "amin": "amax", "amax": "amin"}
_SPREADS = frozenset({"var", "std"})


def extreme(node, ctx):
    """``np.min`` (``x.min``, ``np.amin``) where the maximum belongs, or the reverse: a softmax
    shifted by each row's minimum overflows as an unshifted one does."""
    if isinstance(node, ast.Attribute) and node.attr in _EXTREMES:
        other = _EXTREMES[node.attr]
        said = f"`{ctx.quote(node)}` takes the {_WORD[node.attr]} where the {_WORD[other]} belongs"
        yield "reduction", said, ast.Attribute(node.value, other, node.ctx)


_WORD = {"min": "minimum", "amin": "minimum", "max": "maximum", "amax": "maximum"}


def biased(node, ctx):
    """A variance or a standard deviation divided by n - 1 (torch's default, ``ddof=1`` in
    NumPy) where the division by n belongs, as a normalization's statistics are."""
    if not (isinstance(node, ast.Call) and callee(node) in _SPREADS):
        return
    owner = node.func.value if isinstance(node.func, ast.Attribute) else None
    if isinstance(owner, ast.Name) and owner.id in ("np", "numpy") and not node.keywords:
        return  # NumPy's own default divides by n already
    kept = [k for k in node.keywords if k.arg not in ("ddof", "unbiased", "correction")]
    if len(kept) == len(node.keywords) and isinstance(owner, ast.Name) and owner.id in LIBRARIES:
        spelled = ["correction"] if owner.id == "torch" else []
    elif len(kept) == len(node.keywords):
        spelled = ["correction", "ddof"]  # a tensor's method or an array's: which is not known
    else:
        spelled = ["ddof" if any(k.arg == "ddof" for k in node.keywords) else "correction"]
    said = f"`{ctx.quote(node)}` divides by n - 1 (an unbiased estimate) where n belongs"
    for word in spelled:
        keywords = [*kept, ast.keyword(word, ast.Constant(0))]
        yield "reduction", said, ast.Call(node.func, node.args, keywords)


def mixed_in(node, ctx):
    """A batch variance divided by n mixed into a running variance where the unbiased one
    belongs (``moving_var = decay * moving_var + (1 - decay) * var``, with ``var =
    np.var(x, axis=0)`` also used to normalize): that read of the variance times n / (n - 1),
    n the length of the axis it was taken over."""
    if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
        return
    held = ctx.value(node.id, getattr(node, "lineno", None))
    count = _spread_count(held) if held is not None else None
    if count is None:
        return
    said = (
        f"`{node.id}` (the batch variance, divided by n) is mixed in where the unbiased "
        "variance (divided by n - 1) belongs"
    )
    ratio = ast.BinOp(count, ast.Div(), ast.BinOp(copy.deepcopy(count), ast.Sub(), ast.Constant(1)))
    yield "reduction", said, ast.BinOp(ast.Name(node.id, ast.Load()), ast.Mult(), ratio)


def _spread_count(node: ast.expr) -> ast.expr | None:
    """The count a variance ``node`` divides by (``np.var(x, axis=0)``, ``x.var(dim=0,
    unbiased=False)``, ``x.var([0], unbiased=False)``: ``x.shape[0]``), where it divides by n
    and its axis is one number."""
    if not (isinstance(node, ast.Call) and callee(node) == "var"):
        return None
    owner = node.func.value if isinstance(node.func, ast.Attribute) else None
    data = owner if method_call(node) else (node.args[0] if node.args else None)
    axes = [k.value for k in node.keywords if k.arg in ("axis", "dim")]
    axes += node.args[1:2] if not method_call(node) else node.args[:1]
    unbiased = any(
        k.arg in ("ddof", "correction")
        and not _number(k.value, 0)
        or k.arg == "unbiased"
        and not _number(k.value, False)
        for k in node.keywords
    )
    if len(axes) == 1 and isinstance(axes[0], (ast.List, ast.Tuple)):  # `x.var([0], ...)`
        axes = axes[0].elts
    if data is None or unbiased or len(axes) != 1 or not isinstance(axes[0], ast.Constant):
        return None
    shape = ast.Attribute(copy.deepcopy(data), "shape", ast.Load())
    return ast.Subscript(shape, ast.Constant(axes[0].value), ast.Load())


def _number(node: ast.AST, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value == value


def exp_sign(node, ctx):
    """An exp whose exponent has the wrong sign (``1 / (1 + np.exp(z))``, a sigmoid of -z); a
    minus sign that does not belong is :func:`.edit_rules._operator`'s."""
    if not (isinstance(node, ast.Call) and callee(node) == "exp" and not node.keywords):
        return
    if len(node.args) == 1 and not isinstance(node.args[0], ast.UnaryOp):
        negated = ast.UnaryOp(ast.USub(), copy.deepcopy(node.args[0]))
        said = f"the exponent in `{ctx.quote(node)}` has the wrong sign"
        yield "sign", said, ast.Call(node.func, [negated], [])


_UNIFORM = {"randn": "rand", "randn_like": "rand_like", "standard_normal": "random"}


def uniform_draw(node, ctx):
    """A normal draw where a uniform one on [0, 1) belongs (``torch.randn_like(x) >= p``, a
    dropout's mask kept with probability P(N(0, 1) >= p)): the uniform draw of that library;
    and where one on [-1, 1) belongs (``rng.randn(*shape) * bound``, a uniform initializer)."""
    if (
        isinstance(node, ast.Call)
        and callee(node) in _UNIFORM
        and isinstance(node.func, ast.Attribute)
    ):
        name = callee(node)
        func = ast.Attribute(copy.deepcopy(node.func.value), _UNIFORM[name], ast.Load())
        said = (
            f"`{ctx.quote(node)}` draws from a normal distribution where a uniform draw on "
            "[0, 1) belongs (a probability is compared with it)"
        )
        yield "call", said, ast.Call(func, node.args, node.keywords)
        # an initializer's uniform branch written with a normal draw times its bound
        said = f"`{ctx.quote(node)}` draws from a normal distribution where a uniform draw belongs"
        twice = ast.BinOp(ast.Constant(2), ast.Mult(), ast.Call(func, node.args, node.keywords))
        yield "call", said, ast.BinOp(twice, ast.Sub(), ast.Constant(1))


_ELEMENTWISE = frozenset({"exp", "tanh", "sigmoid", "softmax", "log_softmax", "relu"})


def applied_again(node, ctx):
    """An elementwise function (an exp, a tanh, a softmax) applied where its argument belongs
    as it is: applied twice (a tanh of the forward's cached tanh, a softmax of probabilities,
    an exp of exps)."""
    if not (isinstance(node, ast.Call) and callee(node) in _ELEMENTWISE):
        return
    inner = _operand(node)
    if inner is None:
        return
    name = callee(node)
    said = f"`{ctx.quote(node)}` applies `{name}` where `{ctx.quote(inner)}` belongs as it is"
    yield "call", f"{said} (applied twice, or to a value that has it already)", inner
    # a function of the student's own (`sigmoid(1 + np.exp(-x))`): part of its formula written
    # around its input; a library's exp of `-x` is no such thing
    own = node.args and name != "exp" and method_call(node)
    value = _lone_value(inner) if own else None
    if value is not None:
        said = (
            f"`{ctx.quote(node)}` hands `{name}` the expression `{ctx.quote(inner)}`, part of "
            f"the formula `{name}` computes itself, where `{ctx.quote(value)}` belongs as it is"
        )
        yield "call", said, ast.Call(node.func, [value, *node.args[1:]], node.keywords)


def _operand(node: ast.Call) -> ast.expr | None:
    """What a one-argument function is applied to: its first argument (``np.tanh(y)``) or,
    called as a method, its owner (``y.tanh()``)."""
    if node.args:
        return node.args[0]
    if isinstance(node.func, ast.Attribute) and method_call(node):
        return node.func.value
    return None


def _lone_value(expression: ast.expr) -> ast.expr | None:
    """The one value (a name, an attribute, an entry) an arithmetic ``expression`` of it is
    built from, numbers and library functions aside (``1 + np.exp(-x[i])``: ``x[i]``);
    ``None`` for a value alone or for one built from several."""
    if isinstance(expression, (ast.Name, ast.Attribute, ast.Subscript, ast.Constant)):
        return None
    found: dict[str, ast.expr] = {}
    todo: list[ast.AST] = [expression]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Call):
            todo += [*node.args, *(k.value for k in node.keywords)]  # not the function called
        elif isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            found.setdefault(ast.dump(node), node)
        elif isinstance(node, (ast.BinOp, ast.UnaryOp)):
            todo += [n for n in ast.iter_child_nodes(node) if isinstance(n, ast.expr)]
        elif not isinstance(node, ast.Constant):
            return None  # a comparison, a lambda, a list: no formula of one value
    return next(iter(found.values())) if len(found) == 1 else None


def unsquared(node, ctx):
    """``1 - t`` where a tanh's derivative ``1 - t ** 2`` belongs (``t`` a tanh, or the
    forward's output it cached), and a norm where its square belongs (an L2 penalty written
    ``lam / 2 * np.linalg.norm(w)``): the square left out."""
    if isinstance(node, ast.Call) and callee(node) == "norm":
        said = (
            f"`{ctx.quote(node)}` is the square root of a sum of squares, where the sum of "
            "squares itself (the norm squared) belongs"
        )
        yield "power", said, ast.BinOp(node, ast.Pow(), ast.Constant(2))
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub)):
        return
    right = node.right
    if not (isinstance(node.left, ast.Constant) and node.left.value == 1):
        return
    if isinstance(right, ast.Call) and callee(right) == "tanh" or isinstance(right, ast.Name):
        said = f"`{ctx.quote(right)}` in `{ctx.quote(node)}` should be squared"
        yield (
            "power",
            said,
            ast.BinOp(node.left, ast.Sub(), ast.BinOp(right, ast.Pow(), ast.Constant(2))),
        )


def clip_bound(node, ctx):
    """A clip given both bounds where one belongs (``np.clip(x, 0, 5)``, ``torch.clamp(x, 0,
    5)``, ``x.clip(0, 5)``: a ReLU capped at 5): the upper bound left out, then the lower; the
    clip left out whole is :func:`.edit_rules._unclipped`'s."""
    if not (isinstance(node, ast.Call) and callee(node) in CLIPS and not node.keywords):
        return
    start = 0 if method_call(node) else 1  # x.clip(low, high), np.clip(x, low, high)
    if len(node.args) != start + 2:
        return
    for i, word in ((start + 1, "upper"), (start, "lower")):
        bound = node.args[i]
        if isinstance(bound, ast.Constant) and bound.value is None:
            continue
        args = [*node.args[:i], ast.Constant(None), *node.args[i + 1 :]]
        said = f"the {word} bound `{ctx.quote(bound)}` in `{ctx.quote(node)}` does not belong there"
        yield "clip", said, ast.Call(node.func, args, [])


def entrywise_extreme(node, ctx):
    """``np.max(x, 0)``, a reduction over axis 0, where the entrywise ``np.maximum(x, 0)``
    belongs (a ReLU written with the reduction: on a scalar it hands ``x`` back)."""
    if not (isinstance(node, ast.Call) and len(node.args) == 2 and not node.keywords):
        return
    name, owner = callee(node) or "", getattr(node.func, "value", None)
    if name in _EXTREMES and isinstance(owner, ast.Name) and owner.id in LIBRARIES:
        entrywise = "maximum" if "max" in name else "minimum"
        said = (
            f"`{ctx.quote(node)}` reduces `{ctx.quote(node.args[0])}` over an axis where the "
            f"entrywise {entrywise} with `{ctx.quote(node.args[1])}` belongs"
        )
        func = ast.Attribute(owner, entrywise, ast.Load())
        yield "reduction", said, ast.Call(func, node.args, [])


def heaviside_at_zero(node, ctx):
    """``np.heaviside(x, 0.5)``: a step whose value where ``x`` is exactly 0 (its second
    argument) is not the 0 a ReLU's derivative takes there."""
    if isinstance(node, ast.Call) and callee(node) == "heaviside" and len(node.args) == 2:
        if not _number(node.args[1], 0):
            said = (
                f"`{ctx.quote(node)}` takes the value `{ctx.quote(node.args[1])}` where "
                f"`{ctx.quote(node.args[0])}` is exactly 0 (its second argument is that value)"
            )
            yield "branch", said, with_args(node, [node.args[0], ast.Constant(0.0)])


def outside_exp(node, ctx):
    """``np.exp(z / s)`` where ``np.exp(z) / s`` belongs: a division (or a product) of the
    exp's argument that belongs applied to the exp (a softmax's normalization put inside)."""
    if not (isinstance(node, ast.Call) and callee(node) == "exp" and len(node.args) == 1):
        return
    inner = node.args[0]
    if isinstance(inner, ast.BinOp) and isinstance(inner.op, (ast.Div, ast.Mult)):
        how = "division by" if isinstance(inner.op, ast.Div) else "product with"
        said = (
            f"`{ctx.quote(node)}` takes the exp of the {how} `{ctx.quote(inner.right)}`, "
            "which belongs applied to the exp's result instead"
        )
        yield "grouping", said, ast.BinOp(with_args(node, [inner.left]), inner.op, inner.right)


def whole_for_entry(node, ctx):
    """``self.b1[0]`` where the whole ``self.b1`` belongs: a bias's first entry added to every
    unit (not a shape's length: ``x.shape[0]`` is a count)."""
    if not (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load)):
        return
    whole = node.value
    if _number(node.slice, 0) and isinstance(whole, (ast.Name, ast.Attribute)):
        if not (isinstance(whole, ast.Attribute) and whole.attr in ("shape", "size")):
            said = f"`{ctx.quote(node)}` takes the first entry of `{ctx.quote(whole)}` where "
            yield "shape", said + "all of it belongs", whole


def averaged_gradient(node, ctx):
    """``np.mean(2 * (y - t))`` returned as a mean's gradient: its entries averaged into one
    number, where each entry belongs divided by their count."""
    if not (isinstance(node, ast.Call) and callee(node) == "mean" and not node.keywords):
        return
    owner = getattr(node.func, "value", None)
    if len(node.args) == 1 and isinstance(owner, ast.Name) and owner.id in LIBRARIES:
        value = node.args[0]
    elif not node.args and method_call(node) and owner is not None:
        value = owner
    else:
        return
    said = (
        f"`{ctx.quote(node)}` averages the entries of `{ctx.quote(value)}` into one number "
        "where each entry belongs, divided by their count"
    )
    count = ast.parse(f"({ast.unparse(value)}).reshape(-1).shape[0]", mode="eval").body
    yield "reduction", said, ast.BinOp(copy.deepcopy(value), ast.Div(), count)


_CASTS = frozenset({"float", "half"})


def float_cast(node, ctx):
    """``g.float()``: a cast to float32 where the input's own dtype belongs (a float64 input's
    gradient handed back in float32)."""
    if isinstance(node, ast.Call) and method_call(node) and not node.args and not node.keywords:
        if callee(node) in _CASTS:
            said = (
                f"`{ctx.quote(node)}` casts to {callee(node)} where the input's own dtype belongs"
            )
            yield "type", said, node.func.value


_STEPS = (ast.Name, ast.Attribute)


def held_at_end(node, ctx):
    """``cos(pi * epoch / T_max)`` past ``T_max``: a step that keeps growing where the
    schedule belongs held at its end (``min(epoch, T_max)``)."""
    if not (isinstance(node, ast.Call) and callee(node) == "cos" and len(node.args) == 1):
        return
    for part in ast.walk(node.args[0]):
        if not (isinstance(part, ast.BinOp) and isinstance(part.op, ast.Div)):
            continue
        step = part.left  # `epoch / T_max`, `np.pi * epoch / T_max`, `epoch * np.pi / T_max`
        if isinstance(step, ast.BinOp) and isinstance(step.op, ast.Mult):
            step = step.left if _pi(step.right) else step.right
        if isinstance(step, _STEPS) and not _pi(step) and isinstance(part.right, _STEPS):
            said = (
                f"`{ctx.quote(step)}` in `{ctx.quote(node)}` keeps growing past "
                f"`{ctx.quote(part.right)}` where the schedule belongs held at its end"
            )
            held = ast.Call(ast.Name("min", ast.Load()), [step, part.right], [])
            yield "step", said, substituted(node, [(step, held)])


def _pi(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "pi"


_BOUNDED = frozenset({"max", "min", "maximum", "minimum", "fmax", "fmin", "clamp_min", "clamp_max"})
SMALL = 0.05  # a bound at most this far from 0, for a 0 it stands for (a ReLU's max(0.001, x))


def small_bound(node, ctx):
    """A small number where 0 belongs as a bound or a threshold (``max(0.001, x)``,
    ``np.maximum(x, 1e-3)``, ``x > 1e-6``): a ReLU that clamps at 0.001 instead of 0. A log's
    floor is one too (``max(p, 1e-12)``); made 0 it takes the log of 0 and passes nothing."""
    if isinstance(node, ast.Call) and (callee(node) in _BOUNDED or callee(node) in CLIPS):
        for i, number in enumerate(node.args):
            if _small(number):
                args = [ast.Constant(0.0) if j == i else a for j, a in enumerate(node.args)]
                yield (
                    "constant",
                    _zero_text(number, node, ctx),
                    ast.Call(node.func, args, node.keywords),
                )
    if isinstance(node, ast.Compare) and len(node.comparators) == 1 and node not in ctx.conditions:
        if _small(node.comparators[0]):
            new = ast.Compare(node.left, node.ops, [ast.Constant(0.0)])
            yield "constant", _zero_text(node.comparators[0], node, ctx), new


def _zero_text(number: ast.expr, node: ast.expr, ctx) -> str:
    return f"the number `{ctx.quote(number)}` in `{ctx.quote(node)}` stands where 0 belongs"


def _small(node: ast.expr) -> bool:
    """A float literal (or its negation) other than 0 within :data:`SMALL` of 0."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is float and 0 < node.value <= SMALL


_SPREAD_WORDS = frozenset({"scale", "std", "sigma", "stddev"})  # a normal draw's spread, by name


def unrooted_spread(node, ctx):
    """A normal draw given a variance as its spread (``np.random.normal(0, 2 / n_in, size)``,
    ``torch.normal(0.0, 2 / fan_in, shape)``, ``scale=2 / fan_in``): the square root of it, a
    He or Glorot initializer's std (the result's spread is the square of the expected)."""
    if not (isinstance(node, ast.Call) and callee(node) == "normal"):
        return
    for i, k in enumerate(node.keywords):
        if k.arg in _SPREAD_WORDS and not is_rooted(k.value) and not _small(k.value):
            kept = [
                *node.keywords[:i],
                ast.keyword(k.arg, root_of_power(k.value)),
                *node.keywords[i + 1 :],
            ]
            yield "root", _unrooted_text(k.value, node, ctx), ast.Call(node.func, node.args, kept)
    if (
        len(node.args) >= 2
        and not is_rooted(node.args[1])
        and not isinstance(node.args[1], ast.Constant)
    ):
        args = [node.args[0], root_of_power(node.args[1]), *node.args[2:]]
        yield (
            "root",
            _unrooted_text(node.args[1], node, ctx),
            ast.Call(node.func, args, node.keywords),
        )


def _unrooted_text(spread: ast.expr, node: ast.expr, ctx) -> str:
    return (
        f"a square root is missing: the spread `{ctx.quote(spread)}` in `{ctx.quote(node)}` "
        "should be the square root of what it is"
    )


#: Slips of a call tried after the other rules (:data:`descent.diagnoses.edit_rules.RULES`).
_DERIVATIVE = ("backward", "prime", "deriv", "grad")  # a function named for a derivative


def value_for_slope(node, ctx):
    """A ReLU's value (``np.maximum(0, x)``, ``max(0, v)``, ``x.clamp(min=0)``, ``np.clip(x, 0,
    None)``, ``torch.relu(x)``) in a function named for a derivative (``backward``,
    ``relu_prime``), where the ReLU's slope, 1 where ``x > 0`` and 0 elsewhere, belongs."""
    if not any(word in ctx.function.name.lower() for word in _DERIVATIVE):
        return
    x = _relu_of(node)
    if x is None:
        return
    slope = ast.Compare(copy.deepcopy(x), [ast.Gt()], [ast.Constant(0)])
    said = (
        f"`{ctx.quote(node)}` is the ReLU's value where its slope belongs (1 where "
        f"`{ctx.quote(x)}` > 0, 0 elsewhere)"
    )
    yield "call", said, slope


def _relu_of(node: ast.AST) -> ast.expr | None:
    """The ``x`` of a ReLU written as a call: a maximum of ``x`` and 0 (NumPy's, torch's or
    Python's), a clip or clamp at 0 from below only, or a library's ``relu``; else ``None``."""
    if not isinstance(node, ast.Call):
        return None
    name, args = callee(node), list(node.args)
    if isinstance(node.func, ast.Attribute) and method_call(node):
        args = [node.func.value, *args]  # `x.clamp(min=0)`, `x.relu()`: the owner is x
    below = {k.arg: k.value for k in node.keywords}
    builtin = name == "max" and isinstance(node.func, ast.Name)  # `np.max(x, 0)`: an axis
    if (name == "maximum" or builtin) and len(args) == 2 and not below:
        zero = [i for i, a in enumerate(args) if is_number(a, 0)]
        return args[1 - zero[0]] if len(zero) == 1 else None
    if name in CLIPS and len(args) >= 1:
        low = args[1] if len(args) > 1 else below.get("min", below.get("a_min"))
        high = args[2] if len(args) > 2 else below.get("max", below.get("a_max"))
        unbounded = high is None or isinstance(high, ast.Constant) and high.value is None
        return args[0] if low is not None and is_number(low, 0) and unbounded else None
    return args[0] if name == "relu" and len(args) == 1 and not below else None


def absolute_taken(node, ctx):
    """An absolute value taken of what belongs with its sign (``np.absolute(np.max(x))`` in a
    softmax's denominator alone): the call dropped, its argument kept."""
    if not (isinstance(node, ast.Call) and callee(node) in {"abs", "absolute", "fabs"}):
        return
    inner = _operand(node)
    if inner is None:
        return
    said = f"`{ctx.quote(node)}` drops the sign of `{ctx.quote(inner)}`"
    yield "call", f"{said}, which belongs there as it is", inner


_LOSS = ("loss", "entropy", "nll", "cost")


def log_left_out(node, ctx):
    """A cross-entropy that multiplies the labels by the probabilities where their log belongs
    (``-np.mean((y * y_pred).sum(axis=1))``): each named factor of a product, in a function
    named for a loss, given the log of the library the module imports."""
    name = ctx.function.name.lower()
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
        return
    if not any(word in name for word in _LOSS):
        return
    library = next((m for m in ("np", "torch", "math") if m in imported(ctx.source)), None)
    if library is None:
        return
    for side in ("left", "right"):
        factor = getattr(node, side)
        if isinstance(factor, (ast.Name, ast.Attribute, ast.Subscript)):
            log = ast.Call(
                ast.Attribute(ast.Name(library, ast.Load()), "log", ast.Load()), [factor], []
            )
            said = f"`{ctx.quote(node)}` multiplies by `{ctx.quote(factor)}` where its log belongs"
            left, right = (log, node.right) if side == "left" else (node.left, log)
            yield "call", said, ast.BinOp(left, ast.Mult(), right)


CALL_SLIPS = (
    value_for_slope,
    entrywise_extreme,
    heaviside_at_zero,
    outside_exp,
    whole_for_entry,
    averaged_gradient,
    float_cast,
    held_at_end,
    small_bound,
    unrooted_spread,
    absolute_taken,
    log_left_out,
)
