"""The rules of a repair's edits that swap one name for another: a variable of a name like
the one written (``s`` for ``s_corrected``, ``beta1`` for ``beta2``), a name nothing defines
(``true``, ``o`` for ``0``), an attribute nothing sets (``self.beta`` where the constructor
sets ``self.bata``), a value one step behind or ahead (a remembered value for its update
of this call), two of the function's arguments in each other's places (``alpha - var * d``), and
any other variable of the function. Part of
:data:`descent.diagnoses.edit_rules.RULES`; the words never name the variable that belongs,
only the one written (a lag says which way it is off).
"""

from __future__ import annotations

import ast
import copy
import difflib
import functools
from collections.abc import Iterator

from .edit_context import Context


def near_name(node, ctx):
    """One variable used where another of a name like it belongs (``s`` for ``s_corrected``,
    ``beta1`` for ``beta2``): tried before the other swaps (:func:`other_name`), which are many."""
    for other in _others(node, ctx):
        if near(node.id, other) and not _lagged(node.id, other, ctx):
            yield (
                "name",
                f"`{node.id}` is used where another of your variables belongs",
                ast.Name(other, ast.Load()),
            )


def undefined_name(node, ctx):
    """A name nothing defines (``true``, ``o`` for ``0``, a variable misspelt): a variable of
    a name like it, or the constant it was meant to be."""
    if not (isinstance(node, ast.Name) and node.id in ctx.undefined):
        return
    said = f"`{node.id}` is not defined where it is read: a name like it belongs there"
    constant = {"true": True, "false": False, "none": None, "o": 0}.get(node.id.lower(), ...)
    if constant is not ...:
        yield "name", said, ast.Constant(constant)
    alike = difflib.get_close_matches(node.id, ctx.names, n=3, cutoff=0.75)
    for other in dict.fromkeys([*alike, *(n for n in ctx.names if near(node.id, n))]):
        yield "name", said, ast.Name(other, ast.Load())


def unset_attribute(node, ctx):
    """An attribute of ``self`` read that nothing in the module sets (``self.beta`` where the
    constructor stores ``self.bata``): one of a name like it that the module sets."""
    if not (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)):
        return
    if not (isinstance(node.value, ast.Name) and node.value.id == "self"):
        return
    named = _named_attributes(ctx.source)
    if named is None or node.attr in named[0]:
        return
    stored = sorted(named[1])  # the candidates: what the module sets on an object of its own
    alike = difflib.get_close_matches(node.attr, stored, n=3, cutoff=0.75)
    for other in dict.fromkeys([*alike, *(n for n in stored if near(node.attr, n))]):
        yield (
            "name",
            f"`self.{node.attr}` is never set: an attribute of a name like it belongs there",
            ast.Attribute(ast.Name("self", ast.Load()), other, ast.Load()),
        )


@functools.lru_cache(maxsize=8)
def _named_attributes(source: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """Every attribute name the module sets, defines or names in a string (``setattr``,
    ``getattr``), and those it sets on ``self``: ``None`` where it cannot be read."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    named: set[str] = set()
    on_self: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)):
            named.add(node.attr)
            if isinstance(node.value, ast.Name) and node.value.id == "self":
                on_self.add(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            named.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            named.add(node.id)  # a class body's own attribute
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            named.add(node.value)
    return frozenset(named), frozenset(on_self)


def near(a: str, b: str) -> bool:
    """Two names one could write for the other: one the other with a suffix (``s``,
    ``s_corrected``; ``w``, ``w2``) or a prefix (``v``, ``new_v``), or names that differ in one
    character or in case (``beta1``, ``beta2``; ``dw``, ``dW``)."""
    short, long = sorted((a, b), key=len)
    if not short or a == b:
        return False
    if long.startswith(short) and long[len(short)] in "_0123456789":
        return True
    if long.endswith(short) and long[-len(short) - 1] == "_":
        return True
    if a.lower() == b.lower():
        return True
    return len(a) == len(b) >= 3 and sum(x != y for x, y in zip(a, b)) == 1


def other_name(node, ctx):
    """One variable used where another belongs (not in a condition: a variable swapped there
    takes another path through the code, which explains nothing); the lags come first
    (:func:`lag`), and names like each other (:func:`near_name`)."""
    for other in _others(node, ctx):
        if not _lagged(node.id, other, ctx) and not near(node.id, other):
            yield (
                "swap",  # its own kind: one of many, it is no evidence where it repairs a part
                f"`{node.id}` is used where another of your variables belongs",
                ast.Name(other, ast.Load()),
            )


def lag(node, ctx):
    """A value one step behind or ahead: a remembered value (``state["v"]``) used where its
    update in this call belongs, or the reverse. Worded without naming the other variable."""
    for other in _others(node, ctx):
        if (node.id, other) in ctx.updates:
            said = "its updated value belongs: the value from before this call's update, one "
            said += "step behind"
        elif (other, node.id) in ctx.updates:
            said = "the value it was computed from belongs: the value after this call's update, "
            said += "one step ahead"
        else:
            continue
        yield "name", f"`{node.id}` is used where {said}", ast.Name(other, ast.Load())


def _others(node, ctx) -> Iterator[str]:
    """The variables that could stand where the variable ``node`` is read: not ``_``, a value
    the code says it throws away (``_, cache = f(x)``), nor a method's own object, which holds
    no value of the formula (a held-out ReLU's `np.where(input == 0, 0.5, 0)` passed with
    `self == 0`, a branch made dead, not a mistake put right)."""
    if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
        return
    if node.id not in ctx.names or node in ctx.conditions or node.id in _OWN:
        return
    yield from (other for other in ctx.names if other not in (node.id, "_", *_OWN))


_OWN = ("self", "cls")  # a method's own object or class, by the names Python's style gives them


def _lagged(used: str, other: str, ctx: Context) -> bool:
    return (used, other) in ctx.updates or (other, used) in ctx.updates


def swapped_names(node, ctx):
    """Two of the function's arguments in each other's places in a step (``alpha - var * d``
    where ``var - alpha * d`` belongs): ``a +/- b * c`` with ``a`` and a name of ``b * c``."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub))):
        return
    given = {a.arg for a in ctx.function.args.args}
    left, inner = node.left, node.right
    if not (isinstance(left, ast.Name) and left.id in given and isinstance(inner, ast.BinOp)):
        return
    for side in ("left", "right"):
        other = getattr(inner, side)
        if isinstance(other, ast.Name) and other.id in given and other.id != left.id:
            said = f"`{left.id}` and `{other.id}` in `{ctx.quote(node)}` are in each other's places"
            swapped = copy.copy(inner)
            setattr(swapped, side, left)
            yield "swap", said, ast.BinOp(other, node.op, swapped)
