"""Slips of what code keeps from one call or step to the next, written into the reference's
code by :mod:`descent.diagnoses.mutant` (each rule takes ``(node, context)`` and yields
``(before, after, kind, text)``: :mod:`~.syntax`; :data:`~.order.MUTANT_SLIPS` lists them):

- ``accumulate``: an augmented ``+=`` written as ``=``, or a running total's own term left out
  of its update (``x = e`` for ``x = x + e``): each contribution overwrites the ones before it;
- ``mode``: a test of a mode flag (``training``) forced one way: the statistics of one mode used
  in the other; or the other branch computing what the flag's branch computes but for the
  updates of the running state (the batch's statistics in evaluation, the running ones left as
  read);
- ``frozen``: a counter read from the state and advanced (``state.get("step", 0) + 1``) started
  afresh on every call, or written back into the new state as it was read, so that it never
  advances; a value a loop carries (set before it: a best so far) never updated inside it;
- ``edge``: the size parameter pieces are cut to (``batch_size``) used where the length of each
  piece a loop walks through belongs (a short last batch handled like a full one).
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from typing import Any

from .syntax import Context, Slip, callee, quote, stored

_MODES = ("training", "train", "is_training", "eval", "evaluation")


def accumulated(node: Any, context: Context) -> Iterator[Slip]:
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
    yield from _added_to_itself(node, context)


def _added_to_itself(node: Any, context: Context) -> Iterator[Slip]:
    """``v += expr`` where the reference writes ``v = expr`` and ``expr`` already reads ``v``
    (a moving average ``v = a * v + (1 - a) * g``, a value carried over calls): the old value
    counted once more. In a conditional expression only a branch that reads ``v`` changes (the
    other one starts ``v``)."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
        return
    target = node.targets[0]
    if not (isinstance(target, ast.Name) and target.id in context.totals):
        return
    branches = [node.value]
    if isinstance(node.value, ast.IfExp):
        branches = [node.value.body, node.value.orelse]
    for branch in branches:
        reads = any(
            isinstance(n, ast.Name) and n.id == target.id and isinstance(n.ctx, ast.Load)
            for n in ast.walk(branch)
        )
        if reads and isinstance(branch, ast.BinOp):
            yield (
                branch,
                ast.BinOp(ast.Name(target.id, ast.Load()), ast.Add(), copy.deepcopy(branch)),
                "accumulate",
                f"`{target.id} +=` where the reference assigns `{target.id} =` a value that "
                f"already holds the old `{target.id}` (a moving average): the old value counted "
                "once more",
            )


def mode_forced(node: Any, context: Context) -> Iterator[Slip]:
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


def statistics_of_mode(node: Any, context: Context) -> Iterator[Slip]:
    """``if training: A else: B`` with B computing what A computes, except the updates of the
    running state (the names A computes from a ``running_...`` read), which B still keeps: the
    batch's statistics used in evaluation while the running statistics are left as they were,
    which forcing the flag (:func:`mode_forced`) cannot give, since it also updates them."""
    if not (isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.orelse):
        return
    if node.test.id not in _MODES:
        return
    updates = {
        target
        for statement in node.body
        if isinstance(statement, ast.Assign) and _reads_running(statement.value)
        for target in stored(statement)
    }
    kept = [s for s in node.orelse if updates and stored(s) and stored(s) <= updates]
    if not kept:
        return
    body = [s for s in node.body if not (stored(s) and stored(s) <= updates)]
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


def counter_frozen(node: Any, context: Context) -> Iterator[Slip]:
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
        return
    read, step = node.left, node.right
    if not (isinstance(step, ast.Constant) and step.value == 1):
        return
    if (
        isinstance(read, ast.Call)
        and callee(read) == "get"
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


def stored_as_read(node: Any, context: Context) -> Iterator[Slip]:
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


def not_updated(node: Any, context: Context) -> Iterator[Slip]:
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
        quoted = quote(name, context.public) or "a value the loop carries"
        yield (
            node,
            after,
            "frozen",
            f"{quoted} never updated inside the loop: it keeps the value it was given before the "
            "loop, so every later step is compared with that first one",
        )


def whole_for_part(node: Any, context: Context) -> Iterator[Slip]:
    """The length of each piece a loop walks through (``len(idx)``, ``idx`` the loop's variable)
    replaced by the size parameter the pieces were cut to (``batch_size``): a short last piece
    treated like a full one."""
    if not (isinstance(node, ast.Call) and callee(node) == "len" and len(node.args) == 1):
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
