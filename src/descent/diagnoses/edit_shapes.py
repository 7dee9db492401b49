"""Edits of a result's layout and counts, for a repair search (part of
:data:`descent.diagnoses.edit_rules.RULES`): the value returned laid out in the shape the
input came in, where the code reshaped the input (a vector made a row) and never gave the
result the input's shape back; the value returned divided by a count of an input's entries it
lacks; the length of one axis where the count of every entry belongs (or the reverse); a mean over
every entry where each row's entries belong summed first. The words say what is wrong with the result, never the fix.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable

from .edit_context import frozen
from .edit_nodes import callee, method_call

SNAPSHOT = "_descent_input_shape"  # a name no student's code uses


def input_shape(node, ctx):
    """The whole function (``node`` is ``ctx.function``): the first parameter's shape kept as
    the call begins, and each ``return value`` made ``return value.reshape(that shape)``."""
    fn = ctx.function
    params = [a.arg for a in fn.args.args if a.arg not in ("self", "cls")]
    returns = _own_returns(fn.body)
    if node is not fn or not params or not returns or any(frozen(r) for r in returns):
        return  # (a return inside a while loop is never edited)
    if any(isinstance(r.value, ast.Tuple) for r in returns):
        return  # a result and a cache: which of them has the input's shape is not known
    first = params[0]
    keep = ast.parse(f"{SNAPSHOT} = getattr({first}, 'shape', None)").body[0]
    body = [keep, *(_Reshaped().visit(copy.deepcopy(s)) for s in fn.body)]
    new = ast.FunctionDef(fn.name, fn.args, body, fn.decorator_list, fn.returns, fn.type_comment)
    new._descent_line = returns[-1].lineno
    said = (
        f"`return {ctx.quote(returns[-1].value)}` gives the right entries in another shape than "
        f"the one `{first}`, the input, came in (a shape your code gave it: a vector made a "
        "row, say)"
    )
    yield "shape", said, new


def _own_returns(body: list[ast.stmt]) -> list[ast.Return]:
    """The ``return value`` statements of a function's body, in order, not those of a
    function or a class defined in it."""
    found: list[ast.Return] = []
    for stmt in body:
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            found.append(stmt)
        elif not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            blocks = [getattr(stmt, f, []) for f in ("body", "orelse", "finalbody")]
            blocks += [h.body for h in getattr(stmt, "handlers", [])]
            for block in blocks:
                found += _own_returns(block) if isinstance(block, list) else []
    return found


class _Reshaped(ast.NodeTransformer):
    """Each ``return value`` of the function (not of one defined inside it) made ``return
    value.reshape(<the input's shape>)``."""

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        return node  # a function defined inside returns its own values

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        return node

    def visit_Return(self, node: ast.Return) -> ast.AST:
        if node.value is None:
            return node
        shape = ast.Name(SNAPSHOT, ast.Load())
        reshaped = ast.Call(ast.Attribute(node.value, "reshape", ast.Load()), [shape], [])
        return ast.copy_location(ast.Return(reshaped), node)


def count_missing(node, ctx):
    """A value returned without the division by a count of an input's entries that a mean
    needs (a gradient of the squared error written ``2 * (pred - target)``): the value divided
    by the count of every entry of an input the value reads, then by its first dimension, then
    by its last (examples laid out as columns). The
    value may be one item of a list or tuple returned (``return [dy_pred, dy_true]``), or the
    value of a name the function returns (``grad = [2 * (p - t)]``), where it is written."""
    for part, rebuilt in _returned_values(node, ctx):
        value = part
        summed = _cast_name(part)
        looped = _loop_counts(ctx.function, summed) if summed is not None else []
        if looped and summed is not None:  # `a += val * val` in a loop, then `return a`
            yield from _divided_by_loops(part, summed, rebuilt, looped)
            continue
        if isinstance(value, ast.Name):  # `return to_return`: what it was computed from
            value = ctx.value(value.id, node.lineno) or value
        if not isinstance(_negated(_converted(value)), ast.BinOp) and not _reduced(value):
            continue  # arithmetic only: a conversion (`torch.as_tensor(a)`) computes no mean
        for name in _counted(value, ctx):
            for count, of in (
                (f"{name}.reshape(-1).shape[0]", "entries"),
                (f"len({name})", "rows"),
                # examples laid out as columns (a course's `m = Y.shape[1]`)
                (f"{name}.shape[-1]", "columns"),
            ):
                said = f"`{ctx.quote(part)}` lacks the division by the count of the {of} of "
                said += f"`{name}` that a mean needs (the gradient or the value of a sum)"
                divided = ast.BinOp(part, ast.Div(), ast.parse(count, mode="eval").body)
                yield "count", said, rebuilt(divided)


def _loop_counts(fn: ast.FunctionDef, name: ast.Name) -> list[tuple[int, str]]:
    """(line, count) of each loop, outermost first, in which ``fn`` adds to ``name``
    (``a += val * val``), where the count of its iterations can be written: ``n`` of
    ``range(n)``, ``len(xs)`` of ``for x in xs`` (or of ``enumerate(xs)``, ``zip(xs, ...)``)."""
    found = []
    for loop in (n for n in ast.walk(fn) if isinstance(n, ast.For)):
        adds = any(
            isinstance(s, ast.AugAssign)
            and isinstance(s.op, ast.Add)
            and isinstance(s.target, ast.Name)
            and s.target.id == name.id
            for s in ast.walk(loop)
        )
        count = _iterations(loop.iter) if adds else None
        if count is not None:
            found.append((loop.lineno, count))
    return found


def _iterations(over: ast.expr) -> str | None:
    if isinstance(over, ast.Call) and callee(over) in ("enumerate", "zip") and over.args:
        over = over.args[0]
    if isinstance(over, ast.Call) and callee(over) == "range":
        return ast.unparse(over.args[0]) if len(over.args) == 1 else None
    if isinstance(over, (ast.Name, ast.Attribute, ast.Subscript)):
        return f"len({ast.unparse(over)})"
    return None


def _cast_name(part: ast.expr) -> ast.Name | None:
    """The name ``part`` gives back, alone or cast (``float(s)``, ``np.asscalar(s)``,
    ``s.item()``)."""
    if isinstance(part, ast.Call) and len(part.args) == 1 and not part.keywords:
        part = part.args[0]
    elif isinstance(part, ast.Call) and isinstance(part.func, ast.Attribute) and not part.args:
        part = part.func.value if method_call(part) else part
    return part if isinstance(part, ast.Name) else None


def _divided_by_loops(
    part: ast.expr, summed: ast.Name, rebuilt: Callable, looped: list[tuple[int, str]]
):
    """``part``, a sum a loop adds up (``summed``), divided by each loop's count, and by the
    count of all of them where they nest (a loss summed over rows and columns)."""
    counts = [([line], count) for line, count in looped]
    if len(looped) > 1:
        counts.append(([line for line, _ in looped], " * ".join(f"({c})" for _, c in looped)))
    for lines, count in counts:
        where = f"the loop on line {lines[0]}" if len(lines) == 1 else "the loops on lines "
        where += ", ".join(map(str, lines)) if len(lines) > 1 else ""
        said = f"`{summed.id}`, summed over {where}, lacks the division by the count of its "
        said += f"terms, `{count}`, that a mean needs"
        divided = ast.BinOp(part, ast.Div(), ast.parse(f"({count})", mode="eval").body)
        yield "count", said, rebuilt(divided)


_CASTS = frozenset({"astype", "float", "double", "to"})


def _converted(value: ast.expr) -> ast.expr:
    """What ``value`` casts (``(p - t).astype(np.float)``, a held-out NUS gradient): the
    arithmetic inside a cast to another dtype, which is still the value computed."""
    while isinstance(value, ast.Call) and method_call(value) and callee(value) in _CASTS:
        value = value.func.value  # type: ignore[attr-defined]
    return value


def _negated(value: ast.expr) -> ast.expr:
    return value.operand if isinstance(value, ast.UnaryOp) else value


def _reduced(value: ast.expr) -> bool:
    """``value`` is a sum, negated or not (``-np.sum(y * np.log(p))``, a loss summed over
    the examples)."""
    inner = _negated(value)
    return isinstance(inner, ast.Call) and callee(inner) == "sum"


def _returned_values(node: ast.AST, ctx) -> list[tuple[ast.expr, Callable[[ast.expr], ast.stmt]]]:
    """The values ``node`` hands to the caller, each with the statement that hands a new value
    instead: a ``return``'s value or each item of the list or tuple it returns, and the same of
    a ``name = value`` (or ``self.name = value``) whose name a ``return`` gives back (alone or
    as an item)."""
    if isinstance(node, ast.Return) and node.value is not None:
        return _items(node.value, ast.Return)
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
        return []
    target = node.targets[0]
    named = isinstance(target, (ast.Name, ast.Attribute))
    if not (named and ast.unparse(target) in _returned_names(ctx.function)):
        return []
    return _items(node.value, lambda new: ast.Assign([target], new))


def _items(value: ast.expr, statement: Callable[[ast.expr], ast.stmt]) -> list:
    if not isinstance(value, (ast.List, ast.Tuple)):
        return [(value, statement)]
    kind, elts = type(value), value.elts
    return [
        (item, lambda new, i=i: statement(kind([*elts[:i], new, *elts[i + 1 :]], ast.Load())))
        for i, item in enumerate(elts)
        if not isinstance(item, ast.Starred)
    ]


def _returned_names(fn: ast.FunctionDef) -> set[str]:
    """The names (and attributes, ``self.lossD``) ``fn``'s own ``return`` statements give
    back, alone or as a list's items, as written."""
    found: set[str] = set()
    for ret in _own_returns(fn.body):
        value = ret.value
        for item in value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]:
            if isinstance(item, (ast.Name, ast.Attribute)):
                found.add(ast.unparse(item))
    return found


def _counted(value: ast.expr, ctx) -> list[str]:
    """What a count may be taken of: the function's parameters and names ``value`` reads, the
    state it reads (``self.estimated``) and the items of that state (``self.inputs[0]``)."""
    read = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
    names = [n for n in ctx.names if n in read and n != "self"]
    kept = [ast.unparse(n) for n in ast.walk(value) if _of_self(n) or _item_of_self(n)]
    return list(dict.fromkeys([*names, *kept]))


def _item_of_self(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Subscript)
        and _of_self(node.value)
        and isinstance(node.slice, ast.Constant)
        and type(node.slice.value) is int
    )


def _of_self(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
        and isinstance(node.ctx, ast.Load)
    )


def count_of(node, ctx):
    """The length of one axis (``x.shape[0]``, ``len(x)``) where the count of every entry
    belongs, or the reverse (``x.size``, ``x.numel()``): a mean over the batch for a mean over
    every entry."""
    array = _axis_length(node)
    if array is not None:
        said = f"`{ctx.quote(node)}` counts one axis of `{ctx.quote(array)}` where the count of "
        said += "every entry belongs"
        yield "size", said, ast.Attribute(copy.deepcopy(array), "size", ast.Load())
        yield (
            "size",
            said,
            ast.Call(ast.Attribute(copy.deepcopy(array), "numel", ast.Load()), [], []),
        )
    array = _entry_count(node)
    if array is not None:
        said = f"`{ctx.quote(node)}` counts every entry of `{ctx.quote(array)}` where the length "
        said += "of one axis belongs"
        for dim in (0, -1):
            shape = ast.Attribute(copy.deepcopy(array), "shape", ast.Load())
            yield "size", said, ast.Subscript(shape, ast.Constant(dim), ast.Load())


def mean_of_row_sums(node, ctx):
    """A mean over every entry (``np.mean(t * np.log(p))``, a loss averaged over the classes
    too) where each row's entries belong summed first and the mean taken over the rows."""
    if not (isinstance(node, ast.Call) and callee(node) == "mean"):
        return
    method = method_call(node)
    if len(node.args) != (0 if method else 1) or node.keywords:
        return
    whole = node.func.value if method else node.args[0]
    rows = ast.Call(
        ast.Attribute(whole, "sum", ast.Load()), [], [ast.keyword("axis", ast.Constant(-1))]
    )
    said = (
        f"`{ctx.quote(node)}` averages over every entry, the last axis's too, where each row's "
        "entries belong summed first and the mean taken over the rows"
    )
    if method:
        yield "reduction", said, ast.Call(ast.Attribute(rows, "mean", ast.Load()), [], [])
    else:
        yield "reduction", said, ast.Call(node.func, [rows], [])


def first_entry(node, ctx):
    """``losses[0]`` where the batch's entries belong reduced: a loss per example of which only
    the first is kept (``np.sum(..., axis=1)[0]``, ``cross_entropy[0] / m``); its sum and its
    mean are tried in its place. A size (``x.shape[0]``, ``x.size[0]``) is no entry."""
    if not (
        isinstance(node, ast.Subscript)
        and isinstance(node.ctx, ast.Load)
        and isinstance(node.slice, ast.Constant)
        and node.slice.value == 0
        and type(node.slice.value) is int
        and not (isinstance(node.value, ast.Attribute) and node.value.attr in ("shape", "size"))
    ):
        return
    said = (
        f"`{ctx.quote(node)}` keeps only the first entry, one example's, where every example's "
        "belongs reduced together"
    )
    for reduction in ("sum", "mean"):
        yield "reduction", said, ast.Call(ast.Attribute(node.value, reduction, ast.Load()), [], [])


def _axis_length(node: ast.AST) -> ast.expr | None:
    index = node.slice if isinstance(node, ast.Subscript) else None
    if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub):
        index = index.operand  # `y.shape[-1]`, the last axis
    if isinstance(node, ast.Subscript) and isinstance(index, ast.Constant):
        shape = node.value
        if isinstance(shape, ast.Attribute) and shape.attr == "shape":
            return shape.value
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "len" and node.args:
        return node.args[0]
    return None


def _entry_count(node: ast.AST) -> ast.expr | None:
    if isinstance(node, ast.Attribute) and node.attr == "size":  # a NumPy array's
        return node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args:
        return node.func.value if node.func.attr == "numel" else None
    if isinstance(node, ast.Call) and callee(node) == "size" and len(node.args) == 1:
        return node.args[0] if not method_call(node) else None  # `np.size(x)`
    return None


def is_shape(node: ast.Tuple) -> bool:
    """A tuple of sizes: a number or a size read off an array (``x.shape[0]``, ``len(x)``)."""
    return any(
        isinstance(n, ast.Constant)
        and type(n.value) is int
        or _axis_length(n) is not None
        or _entry_count(n) is not None
        for e in node.elts
        for n in ast.walk(e)
    )


def whole_valued(node: ast.AST) -> bool:
    """``node`` may be a whole number: a name, an int, a length or size (``len(x)``,
    ``x.shape[0]``), or arithmetic of those: what ``//`` can be meant for."""
    if isinstance(node, ast.BinOp):
        return whole_valued(node.left) and whole_valued(node.right)
    if isinstance(node, ast.Constant):
        return type(node.value) is int
    return isinstance(node, ast.Name) or isinstance(node, ast.expr) and is_shape(ast.Tuple([node]))
