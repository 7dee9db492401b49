"""The rules of a repair's edits for state a call keeps for the next: a value computed from one
the state holds (an entry of a settings dict, an attribute of the object) and never stored back,
so that every call starts from the old one; a value kept on an object replaced where each call
adds its part; a learning rate folded into a kept velocity; a factor a gradient lacks (one its
forward keeps, or the 2 a square brings down); a value returned that reads what an update
before it has already changed. Part of :data:`descent.diagnoses.edit_rules.RULES`.
"""

from __future__ import annotations

import ast
import copy
import re

from .edit_context import functions, imported
from .edit_names import near
from .edit_nodes import LIBRARIES, Same


def stored_back(node, ctx):
    """A value computed from one the state holds and never stored back, so that every call
    starts from the old one: ``m = beta1 * config["m"] + ...``, ``t = self.t + 1``, or ``m =
    config["m"]`` then ``m = beta1 * m + ...`` (``t += 1``). Stored where it is computed; and
    a name a loop hands out made a new value (:func:`_rebound`)."""
    if isinstance(node, ast.AugAssign):
        value: ast.expr = ast.BinOp(node.target, node.op, node.value)
    elif isinstance(node, ast.Assign) and len(node.targets) == 1:
        value = node.value
    else:
        return
    target = node.targets[0] if isinstance(node, ast.Assign) else node.target
    if not isinstance(target, ast.Name) or not isinstance(value, (ast.BinOp, ast.Call)):
        return
    if isinstance(node, ast.Assign):
        yield from _rebound(node, target, ctx)
    stored = {ast.unparse(n) for n in ast.walk(ctx.function) if _kept(n, ast.Store)}
    held = _held(ctx.function).get(target.id)  # `m = config["m"]` earlier
    shared = imported(ctx.source)  # `time.time()` is a module's, never the object's state
    reads = [ast.unparse(n) for n in ast.walk(value) if _kept(n, ast.Load) and not _of(n, shared)]
    mine = [r for r in reads if near(target.id, _key(r)) or target.id == _key(r) or _texted(r)]
    for read in dict.fromkeys([*([held] if held else []), *mine]):
        if read not in stored:
            said = f"`{target.id}` is computed from `{read}` and never stored back: every call "
            said += "starts from the old value"
            place = copy.deepcopy(ast.parse(read, mode="eval").body)
            place.ctx = ast.Store()
            yield "stored", said, ast.Assign([ast.Name(target.id, ast.Store()), place], value)


def _rebound(node: ast.Assign, target: ast.Name, ctx):
    """``m = beta1 * m + ...`` where ``m`` is what a loop hands out (``for p, m in
    zip(self.params, self.moms)``): the line makes the name a new array and leaves the kept
    one as it was. Written into the kept one in place (``m[...] = ...``)."""
    reads = any(isinstance(n, ast.Name) and n.id == target.id for n in ast.walk(node.value))
    loops = [n for n in ast.walk(ctx.function) if isinstance(n, (ast.For, ast.AsyncFor))]
    if not reads or not any(_hands_out(loop, target.id, node) for loop in loops):
        return
    said = f"`{ctx.quote(node)}` makes `{target.id}` a new value and never stores it back into "
    said += "the one the loop handed out: the kept value stays as it was"
    in_place = ast.Subscript(ast.Name(target.id, ast.Load()), ast.Constant(...), ast.Store())
    yield "stored", said, ast.Assign([in_place], node.value)


def _hands_out(loop: ast.For | ast.AsyncFor, name: str, statement: ast.stmt) -> bool:
    """``loop`` binds ``name`` as (part of) its target and ``statement`` lies in its body."""
    bound = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
    return name in bound and any(statement is n for b in loop.body for n in ast.walk(b))


def accumulated(node, ctx):
    """``=`` where ``+=`` belongs: a value kept on an object or in a dict (``self.grad =
    out.grad * out.data``) replaced where each call adds its part, as a node used twice in a graph
    must gather a gradient from each use. Tried only where the line runs again within its
    function's lifetime (in a loop, or in a function written inside it: a backward closure), and
    where the value does not already read what it replaces."""
    if not isinstance(node, ast.Assign) or len(node.targets) != 1:
        return
    target = node.targets[0]
    if not isinstance(target, (ast.Attribute, ast.Subscript)) or not _repeated(node, ctx.function):
        return
    kept = ast.unparse(target)
    if any(ast.unparse(n) == kept for n in ast.walk(node.value)):
        return
    said = f"`{ctx.quote(node)}` replaces what was there where it should add to it"
    yield "update", said, ast.AugAssign(copy.deepcopy(target), ast.Add(), node.value)


def _repeated(statement: ast.stmt, fn: ast.FunctionDef) -> bool:
    """``statement`` lies in a loop of ``fn`` or in a function written inside it."""
    inner = (ast.For, ast.While, ast.AsyncFor, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
    return any(
        statement is n
        for block in ast.walk(fn)
        if isinstance(block, inner) and block is not fn
        for n in ast.walk(block)
    )


def _held(fn: ast.FunctionDef) -> dict[str, str]:
    """The names ``fn`` sets to a kept value as it is (``m = config["m"]``), with its text."""
    return {
        n.targets[0].id: ast.unparse(n.value)
        for n in ast.walk(fn)
        if isinstance(n, ast.Assign)
        and len(n.targets) == 1
        and isinstance(n.targets[0], ast.Name)
        and _kept(n.value, ast.Load)
    }


def _key(read: str) -> str:
    """The key or attribute of a kept value's text (``config["m"]``: ``m``)."""
    node = ast.parse(read, mode="eval").body
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    return getattr(node, "attr", "")


def _texted(read: str) -> bool:
    """An entry read by a key built from text (``momentum[name + "_" + key]``, a course's dict
    of every layer's velocity): whatever the name it is computed into, the entry it belongs
    stored back in."""
    node = ast.parse(read, mode="eval").body
    return isinstance(node, ast.Subscript) and _text_key(node.slice)


def _text_key(key: ast.AST) -> bool:
    return not isinstance(key, ast.Constant) and any(
        isinstance(n, ast.JoinedStr) or isinstance(n, ast.Constant) and isinstance(n.value, str)
        for n in ast.walk(key)
    )


def _of(node: ast.AST, owners: frozenset[str]) -> bool:
    """``node`` (an attribute or an entry) is read off one of the names ``owners``."""
    owner = getattr(node, "value", None)
    return isinstance(owner, ast.Name) and owner.id in owners


def _kept(node: ast.AST, context: type) -> bool:
    """``node`` is an entry of a dict by a key (``config["m"]``) or an attribute of an object
    (``self.m``), not a module's (``np.pi``): a value a call keeps for the next."""
    if not isinstance(getattr(node, "ctx", None), context):
        return False
    if isinstance(node, ast.Subscript):
        keyed = isinstance(node.slice, ast.Constant) or _text_key(node.slice)
        return keyed and isinstance(node.value, ast.Name)
    owner = getattr(node, "value", None)
    return (
        isinstance(node, ast.Attribute)
        and isinstance(owner, ast.Name)
        and (owner.id not in LIBRARIES and owner.id != "math")
    )


_RATE = re.compile(r"^(lr|learning_rate|learningrate|eta|step_size|init_lr)$", re.IGNORECASE)


def folded_rate(node, ctx):
    """A learning rate folded into a velocity (``v = mu * v - lr * g``, then ``w += v``: the
    CS231n form), which is the buffer form only while the rate never changes (a schedule's new
    rate would scale the past steps too, yet here reaches only the newest): the rate taken out
    of the velocity's term and put on the velocity where a step adds it; every such velocity of
    the function at once first (a weight's and a bias's), then each alone."""
    if node is not ctx.function:
        return
    walked = list(ast.walk(node))
    found = [f for f in (_folded(n, walked) for n in walked) if f is not None]
    found.sort(key=lambda f: walked[f[0]].lineno)
    for chosen in ([found] if len(found) > 1 else []) + [[f] for f in found]:
        edited = copy.deepcopy(node)
        twins = list(ast.walk(edited))
        for at, value, rate, steps in chosen:
            twins[at].value = value
            for j in steps:
                _scaled(twins[j], rate)
        first = walked[chosen[0][0]]
        edited._descent_line = first.lineno
        rate, velocity = ast.unparse(chosen[0][2]), ast.unparse(first.targets[0])
        said = (
            f"the learning rate `{rate}` is folded into `{velocity}` (line {first.lineno}), "
            f"which a step then adds (line {walked[chosen[0][3][0]].lineno}): a rate that "
            "changes between calls rescales only the newest gradient"
        )
        yield "rate", said, ast.fix_missing_locations(edited)


def _folded(node: ast.AST, walked: list[ast.AST]) -> tuple | None:
    """(its place in ``walked``, its value without the rate, the rate, the places of the
    steps that add it) where ``node`` is ``v = mu * a ± lr * g`` and the function adds ``v``
    (or a name given it) to a parameter."""
    unrated = _unrated(node)
    if unrated is None:
        return None
    velocity, value, rate = unrated
    reads = [velocity] + [
        ast.Name(n.targets[0].id, ast.Load())
        for n in walked
        if isinstance(n, ast.Assign)
        and isinstance(n.targets[0], ast.Name)
        and ast.dump(n.value) == ast.dump(velocity)
    ]
    inside = {id(n) for n in ast.walk(node)}
    steps = [
        j for j, s in enumerate(walked) if id(s) not in inside and any(_adds(s, r) for r in reads)
    ]
    return (walked.index(node), value, rate, steps) if steps else None


def _unrated(node: ast.AST) -> tuple[ast.expr, ast.expr, ast.expr] | None:
    """(the velocity, its update without the rate, the rate) where ``node`` is ``v = mu * a ±
    lr * g`` (a decay times what was kept, and the rate a factor of the new term)."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
        return None
    target, value = node.targets[0], node.value
    if not (isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Add, ast.Sub))):
        return None
    if not (isinstance(value.left, ast.BinOp) and isinstance(value.left.op, ast.Mult)):
        return None
    split = _rate_factor(value.right)
    if split is None:
        return None
    rate, rest = split
    return _loaded(target), ast.BinOp(value.left, value.op, rest), rate


def _rate_factor(term: ast.expr) -> tuple[ast.expr, ast.expr] | None:
    """(the rate, the rest) where ``term`` is a product with the rate as one factor (``lr *
    g``, ``lr * e * d``, ``g * lr``)."""
    if not (isinstance(term, ast.BinOp) and isinstance(term.op, ast.Mult)):
        return None
    for rate, rest in ((term.left, term.right), (term.right, term.left)):
        if _is_rate(rate):
            return rate, rest
    for side in ("left", "right"):
        inner = _rate_factor(getattr(term, side))
        if inner is not None:
            other = term.right if side == "left" else term.left
            pair = (inner[1], other) if side == "left" else (other, inner[1])
            return inner[0], ast.BinOp(pair[0], ast.Mult(), pair[1])
    return None


def _is_rate(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return bool(_RATE.match(node.id))
    if isinstance(node, ast.Attribute):
        return bool(_RATE.match(node.attr))
    key = node.slice if isinstance(node, ast.Subscript) else None
    named = isinstance(key, ast.Constant) and isinstance(key.value, str)
    return named and bool(_RATE.match(key.value))  # type: ignore[union-attr]


def _adds(node: ast.AST, velocity: ast.expr) -> bool:
    """``node`` adds ``velocity`` to a parameter: ``w += v``, or ``w - v`` in any expression
    (``w = w - v``, ``return w + v, v``)."""
    key = ast.dump(velocity)
    if isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Sub)):
        return ast.dump(node.value) == key and ast.dump(node.target) != key
    plus = isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub))
    return plus and ast.dump(node.right) == key  # type: ignore[attr-defined]


def _scaled(step: ast.AST, rate: ast.expr) -> None:
    """The velocity ``step`` adds (:func:`_adds`) made ``rate`` times it, in place."""
    field = "value" if isinstance(step, ast.AugAssign) else "right"
    setattr(step, field, ast.BinOp(copy.deepcopy(rate), ast.Mult(), getattr(step, field)))


def _loaded(target: ast.expr) -> ast.expr:
    """``target`` as it reads (a store's ``ctx`` set to load)."""
    out = copy.deepcopy(target)
    for n in ast.walk(out):
        if hasattr(n, "ctx"):
            n.ctx = ast.Load()
    return out


def forward_factor(node, ctx):
    """A backward's returned value without a factor its class's forward multiplies (or divides)
    by and keeps on ``self`` (dropout's ``return dy * self.mask`` where the forward returned ``x
    * self.mask * self.scale``): the factor put on the value returned."""
    if not (isinstance(node, ast.Return) and node.value is not None):
        return
    backward = _BACKWARD.search(ctx.function.name.lower())
    forward = _forward_of(ctx) if backward else None
    if forward is None:
        return
    written = ast.unparse(ctx.function)
    seen: set[str] = set()
    upstream = _upstream(ctx.function, node.value)
    for ret in ast.walk(forward):
        if not (isinstance(ret, ast.Return) and ret.value is not None):
            continue
        for op, factor in _factors(ret.value):
            text = ast.unparse(factor)
            if not _kept(factor, ast.Load) or text in written or text in seen:
                continue
            seen.add(text)
            said = (
                f"`{ctx.quote(node.value)}` lacks the factor `{text}` that the forward "
                "multiplies by: its gradient passes through every factor of the forward"
            )
            scaled = ast.BinOp(copy.deepcopy(node.value), op(), copy.deepcopy(factor))
            yield "factor", said, ast.Return(scaled)
            if upstream is not None:  # `return self.layer.grad(dy)`: the factor on what comes in
                said = (
                    f"`{upstream}` goes on in `{ctx.quote(node.value)}` without the factor "
                    f"`{text}` that the forward multiplies by: its gradient passes through every "
                    "factor of the forward"
                )
                grown = ast.BinOp(ast.Name(upstream, ast.Load()), op(), copy.deepcopy(factor))
                yield (
                    "factor",
                    said,
                    ast.Return(
                        Same(ast.Name(upstream, ast.Load()), grown).visit(copy.deepcopy(node.value))
                    ),
                )


# the names of a backward method (`backward`, a course's `grad` or `backprop`) and of the forward
# its class pairs with it
_BACKWARD = re.compile(r"backward|grad|backprop|bprop")
_FORWARDS = ("forward", "__call__", "fprop")


def _upstream(fn: ast.FunctionDef, value: ast.expr) -> str | None:
    """The gradient a backward method is handed (its first argument after ``self``), where
    ``value`` reads it inside a call (``self.layer.grad(dy)``) rather than as a factor."""
    args = [a.arg for a in fn.args.args]
    if len(args) < 2 or args[0] != "self" or not isinstance(value, ast.Call):
        return None
    return (
        args[1]
        if any(isinstance(n, ast.Name) and n.id == args[1] for n in ast.walk(value))
        else None
    )


_ARRAY = (ast.Name, ast.Attribute, ast.Subscript)


def square_factor(node, ctx):
    """A squared error's derivative without the 2 the square brings down: ``y_pred - y_true``
    where ``2 * (y_pred - y_true)`` belongs (a gradient written ``(p - t) / N``, five held-out
    losses). A difference of two arrays only, and not one the function squares (its loss)."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub)):
        return
    if not (isinstance(node.left, _ARRAY) and isinstance(node.right, _ARRAY)):
        return
    squared = any(
        isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow) and n.left is node
        for n in ast.walk(ctx.function)
    )
    if not squared:
        said = (
            f"`{ctx.quote(node)}` lacks the factor 2 that the derivative of its square brings down"
        )
        yield "factor", said, ast.BinOp(ast.Constant(2), ast.Mult(), node)


def _forward_of(ctx) -> ast.FunctionDef | None:
    """The ``forward`` method of the class whose method ``ctx`` reads."""
    defs = functions(ctx.source)
    for name, fn in defs.items():
        owner, _, method = name.partition(".")
        if method and fn.lineno == ctx.function.lineno and method == ctx.function.name:
            found = [defs[f"{owner}.{f}"] for f in _FORWARDS if f"{owner}.{f}" in defs]
            return found[0] if found else None
    return None


def _factors(value: ast.expr) -> list[tuple[type, ast.expr]]:
    """The factors of a product (``a * b / c``: ``(Mult, a)``, ``(Mult, b)``, ``(Div, c)``)."""
    if isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Mult, ast.Div)):
        right = [(type(value.op), value.right)]
        return _factors(value.left) + right
    return [(ast.Mult, value)]


_BEFORE = "_value_before_update"  # the name the edit keeps the returned value under


def returned_after_update(node, ctx):
    """A value returned that reads what a statement before it has changed (a layer that steps
    its weights, then returns ``W.T @ dy``): the value computed before the last such statement,
    the statements between kept as they are. Only on the function's own top-level statements."""
    if node is not ctx.function:
        return
    body = node.body
    for k, last in enumerate(body):
        if not isinstance(last, ast.Return) or last.value is None:
            continue
        reads = {ast.unparse(n) for n in ast.walk(last.value) if _kept(n, ast.Load)}
        for j in range(k - 1, -1, -1):
            changed = reads & _written(body[j])
            if changed:
                kept = ast.Assign([ast.Name(_BEFORE, ast.Store())], last.value)
                new = [*body[:j], kept, *body[j:k], ast.Return(ast.Name(_BEFORE, ast.Load()))]
                said = (
                    f"line {last.lineno} reads `{sorted(changed)[0]}` as line {body[j].lineno} has "
                    "already changed it: the value returned belongs computed before that line"
                )
                yield "order", said, ast.FunctionDef(**{**dict(ast.iter_fields(node)), "body": new})
                break


def _written(statement: ast.stmt) -> set[str]:
    """What an update changes from its old value: the target's text (``self.W``) of ``self.W
    -= ...`` or ``self.W = self.W - ...`` (the array a subscript target writes into, ``W`` of
    ``W[i] -= ...``); a value set afresh (``self.x = x``) is no update."""
    target: ast.expr
    value: ast.expr | None
    if isinstance(statement, ast.AugAssign):
        target, value = statement.target, None
    elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target, value = statement.targets[0], statement.value
    else:
        return set()
    while isinstance(target, ast.Subscript):
        target = target.value
    if not isinstance(target, (ast.Name, ast.Attribute)):
        return set()
    text = ast.unparse(target)
    if value is not None and text not in {ast.unparse(n) for n in ast.walk(value)}:
        return set()
    return {text}


def swap_text(first: ast.stmt, second: ast.stmt) -> str:
    """Two statements in the wrong order, said by what one reads of the other."""
    early = sorted(_read(first) & _stored(second))
    if early:
        return (
            f"line {first.lineno} reads `{early[0]}` before line {second.lineno} gives it its "
            "new value: the two run in the wrong order"
        )
    late = sorted(_stored(first) & _read(second))
    if late:
        return (
            f"line {second.lineno} reads `{late[0]}` as line {first.lineno} has already changed "
            "it: the two run in the wrong order"
        )
    return f"the statements on lines {first.lineno} and {second.lineno} run in the wrong order"


def _read(stmt: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _stored(stmt: ast.AST) -> set[str]:
    return {
        n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


def written_over_state(node, ctx):
    """A value the function returns as state for its next call, written over by a value derived
    from it before the return (Adam's ``v = v / (1 - beta1 ** t)`` then ``return var, v, s``):
    the derived value given a name of its own, read by the statements after it (the return
    aside). Each such line alone, then all of them at once. The function's own top-level
    statements only; ``x += ...`` is an update of the state, not a value derived from it."""
    if node is not ctx.function:
        return
    body = node.body
    returned = {
        n.id
        for s in body
        if isinstance(s, ast.Return) and s.value is not None
        for n in ast.walk(s.value)
        if isinstance(n, ast.Name)
    }
    over = [
        j
        for j, s in enumerate(body)
        if isinstance(s, ast.Assign)
        and len(s.targets) == 1
        and isinstance(s.targets[0], ast.Name)
        and s.targets[0].id in returned
        and s.targets[0].id in _read(s.value)
        and any(s.targets[0].id in _stored(body[i]) for i in range(j))  # its update first
    ]
    for chosen in [[j] for j in over] + ([over] if len(over) > 1 else []):
        new = list(body)
        for j in chosen:
            name = body[j].targets[0].id
            fresh = f"{name}_derived"
            renamed = Same(ast.Name(name, ast.Load()), ast.Name(fresh, ast.Load()))
            new[j] = ast.Assign([ast.Name(fresh, ast.Store())], body[j].value)
            new[j + 1 :] = [
                s if isinstance(s, ast.Return) else renamed.visit(copy.deepcopy(s))
                for s in new[j + 1 :]
            ]
        lines = [f" (line {body[j].lineno})" if len(chosen) > 1 else "" for j in chosen]
        quoted = " and ".join(f"`{ctx.quote(body[j])}`{at}" for j, at in zip(chosen, lines))
        said = (
            f"{quoted} {'write' if len(chosen) > 1 else 'writes'} over the state the function "
            "returns for its next call: the value derived from it belongs to this call's step "
            "alone, the state kept as it was updated"
        )
        edited = ast.FunctionDef(**{**dict(ast.iter_fields(node)), "body": new})
        edited._descent_line = body[chosen[0]].lineno
        yield "state", said, edited
