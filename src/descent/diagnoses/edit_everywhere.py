"""Edits a repair search writes at every place at once: the same change of one expression
wherever the student's function writes it (a number typed in for an argument, a reduction over
the whole array, a function applied to what has it already, a power typed in for the step counter, an exp of unshifted scores, a log of a
probability, a value never stored back or replaced where it gathers, a probability's
complement, names nothing defines), for a mistake repeated across lines that no single edit undoes. Each yields
``(kind, line, words, the edited function)``; the words name every line. The one-place rules
are :mod:`descent.diagnoses.edit_rules`'s.
"""

from __future__ import annotations

import ast
import copy
import itertools
import re
from collections.abc import Callable, Iterator
from typing import cast

from .edit_calls import applied_again
from .edit_context import Context, frozen
from .edit_names import undefined_name, unset_attribute
from .edit_nodes import Same
from .edit_rules import (
    TWIN_RULES,
    constant_text,
    corrected_power,
    one_axis,
    over_everything,
    typed_power,
)
from .edit_stable import (
    exp_of,
    floored_division,
    floored_log,
    shift_words,
    shifted,
    stable_log,
)
from .edit_state import accumulated, stored_back


def everywhere(fn: ast.FunctionDef, ctx: Context) -> Iterator[tuple[str, int, str, ast.AST]]:
    """The edits written at every place at once: a number where an argument belongs, and a
    reduction over the whole array made one axis (``(kind, line, text, edited function)``)."""
    return itertools.chain(
        _everywhere(fn, ctx),
        _whole_everywhere(fn, ctx),
        *(_at_once(fn, ctx, *entry) for entry in _AT_ONCE[:2]),
        _exps_everywhere(fn, ctx),
        *(_at_once(fn, ctx, *entry) for entry in _AT_ONCE[2:]),
        _complements_everywhere(fn, ctx),
        _twins_everywhere(fn, ctx),
        _again_everywhere(fn, ctx),
        _undefined_everywhere(fn, ctx),
    )


def _twins_everywhere(fn: ast.FunctionDef, ctx: Context) -> Iterator[tuple[str, int, str, ast.AST]]:
    """A change of :data:`.edit_rules.TWIN_RULES` made at once in every expression written like
    the one changed on other lines, its names' numbers and ``_w`` / ``_b`` aside (a sign slip in
    ``1 + beta1 ** t`` copied to ``1 + beta2 ** t``; the same line for a weight and a bias)."""
    groups: dict[str, list[int]] = {}
    walked = list(ast.walk(fn))
    for i, node in enumerate(walked):
        if isinstance(node, (ast.BinOp, ast.UnaryOp)) and not frozen(node) and _numeric(node):
            groups.setdefault(_TWIN_NAME.sub(r"\1\2'", ast.dump(node)), []).append(i)
    sides = _sides(fn)
    for places in groups.values():
        nodes = [walked[i] for i in places]
        if len({getattr(n, "lineno", 0) for n in nodes}) < 2 or _apart(nodes, sides):
            continue
        for rule in TWIN_RULES:
            options = [list(rule(n, ctx)) for n in nodes]
            for k in range(min(len(o) for o in options)):
                kind, text = options[0][k][0], options[0][k][1]
                said = f"{text}, and in each expression written like it {_places(nodes)}"
                edited = _with_changes(fn, {i: o[k][2] for i, o in zip(places, options)})
                yield kind, getattr(nodes[0], "lineno", fn.lineno), said, edited


def _sides(fn: ast.FunctionDef) -> dict[int, frozenset]:
    """For each node of ``fn`` (by id), the sides of the ``if`` statements it lies in
    (``(id(if), "body")`` or ``(id(if), "orelse")``)."""
    found: dict[int, frozenset] = {}

    def visit(node: ast.AST, path: frozenset) -> None:
        found[id(node)] = path
        for field, value in ast.iter_fields(node):
            inner = (
                path | {(id(node), field)} if isinstance(node, ast.If) and field != "test" else path
            )
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    visit(child, inner)

    visit(fn, frozenset())
    return found


def _apart(nodes: list[ast.AST], sides: dict[int, frozenset]) -> bool:
    """Two of ``nodes`` lie on the two sides of one ``if`` (a Kaiming branch and a Xavier one):
    one call runs one of them, so they are no twins (a held-out initializer's Kaiming slip was
    "repaired" in its Xavier line as well, which no Kaiming check runs)."""
    paths = [sides.get(id(n), frozenset()) for n in nodes]
    taken: dict[int, str] = {}
    for branch, side in (entry for path in paths for entry in path):
        if taken.setdefault(branch, side) != side:
            return True
    return False


def _numeric(node: ast.AST) -> bool:
    """``node`` writes no text (a key built as ``"W" + str(i)`` is no formula to repair)."""
    return not any(isinstance(n, ast.Constant) and isinstance(n.value, str) for n in ast.walk(node))


# a name's or an attribute's number or weight / bias suffix, dropped to tell twins, before a
# short index suffix too (`dLdW_j` and `dLdb_j`, a held-out Korea University layer's)
_TWIN_NAME = re.compile(r"((?:id|attr)='[A-Za-z_]*?)(?:_?[wWbB]|\d+)((?:_[A-Za-z]{1,2})?)'")


def _everywhere(fn: ast.FunctionDef, ctx: Context) -> Iterator[tuple[str, int, str, ast.AST]]:
    """A number written where an argument belongs, replaced at every place it is written at
    once (a step ``h`` typed in as ``1e-5`` in the shift and again in the division)."""
    seen: dict[object, list[ast.Constant]] = {}
    for node in ast.walk(fn):
        if (
            isinstance(node, ast.Constant)
            and type(node.value) is float
            and not frozen(node)
            and node not in ctx.settings
        ):
            seen.setdefault(node.value, []).append(node)
    for value, nodes in seen.items():
        if len(nodes) < 2 or any(n in ctx.conditions for n in nodes):
            continue  # (a number a condition tests is replaced nowhere: see the rule's)
        for source in ctx.hyperparameters:
            edited = _Swap(value, source).visit(copy.deepcopy(fn))
            lines = sorted({n.lineno for n in nodes})
            yield (
                "constant",
                lines[0],
                constant_text(ctx.quote(nodes[0]), source, f" {_places(nodes)}"),
                ast.fix_missing_locations(edited),
            )


def _whole_everywhere(fn: ast.FunctionDef, ctx: Context) -> Iterator[tuple[str, int, str, ast.AST]]:
    """A reduction over the whole array (``np.max(x)``) written twice or more, made to reduce
    one axis at every place at once (the maximum subtracted in a numerator and again in a
    denominator), or its twin on another line (``np.sum(dZ2)`` and ``np.sum(dZ1)``, a bias
    gradient for each layer: names' numbers aside, as :func:`_twins_everywhere` reads them),
    or other reductions of the same array (a batch norm's ``np.mean(Z)`` and ``np.var(Z)``)."""
    seen: dict[str, list[int]] = {}
    walked = list(ast.walk(fn))
    for i, node in enumerate(walked):
        if isinstance(node, ast.Call) and over_everything(node) and not frozen(node):
            seen.setdefault(_TWIN_NAME.sub(r"\1\2'", ast.dump(node)), []).append(i)
            operand = node.args[0] if node.args else cast(ast.Attribute, node.func).value
            seen.setdefault(f"of {ast.dump(operand)}", []).append(i)
    done: set[tuple[int, ...]] = set()
    for key, places in seen.items():
        if len(places) < 2 or tuple(places) in done:
            continue
        done.add(tuple(places))
        nodes = [cast(ast.Call, walked[i]) for i in places]
        lines = sorted({n.lineno for n in nodes})
        written = list(dict.fromkeys(f"`{ctx.quote(n)}`" for n in nodes))
        twins = len(written) > 1
        if key.startswith("of "):  # reductions of one array, each its own
            said = " and ".join(written) + " "
        else:
            said = written[0] + (" and each expression written like it " if twins else " ")
        said += f"{_places(nodes)} {'reduce' if twins else 'reduces'} over every axis where "
        said += f"{'each' if twins else 'it'} should reduce one and keep it, to broadcast "
        said += "against its input"
        options = [list(one_axis(n, fn)) for n in nodes]
        for k in range(min(len(o) for o in options)):
            edited = _with_changes(fn, {i: o[k] for i, o in zip(places, options)})
            yield "axis", lines[0], said, edited


def _again_everywhere(fn: ast.FunctionDef, ctx: Context) -> Iterator[tuple[str, int, str, ast.AST]]:
    """An elementwise function applied to a value that has it already, written twice or more
    (``self.sigmoid(z) * (1 - self.sigmoid(z))`` given the activation): its argument as it is at
    every place at once."""
    seen: dict[str, list[ast.Call]] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and not frozen(node) and next(applied_again(node, ctx), None):
            seen.setdefault(ast.dump(node), []).append(node)
    for nodes in seen.values():
        if len(nodes) < 2:
            continue
        kind, said, inner = next(applied_again(nodes[0], ctx))
        said = said.replace(
            f"`{ctx.quote(nodes[0])}`", f"`{ctx.quote(nodes[0])}` {_places(nodes)}", 1
        )
        edited = Same(nodes[0], inner).visit(copy.deepcopy(fn))
        yield kind, min(n.lineno for n in nodes), said, ast.fix_missing_locations(edited)


def _undefined_everywhere(
    fn: ast.FunctionDef, ctx: Context
) -> Iterator[tuple[str, int, str, ast.AST]]:
    """Each name nothing defines, and each attribute of ``self`` nothing sets, read as the first
    one like it, at every place at once (``sample_mean`` and ``sample_var`` in a test-time
    forward given ``mean`` and ``var``; ``self.beta`` read twice where ``self.bata`` is set): a
    function that reads two such stops at the first whichever one alone is put right."""
    # one with none like it is left as it is (a name a wrapper sets through `globals()`)
    alike: dict[str, tuple | None] = {}
    nodes = []
    for node in ast.walk(fn):
        rule = undefined_name if isinstance(node, ast.Name) else unset_attribute
        if frozen(node) or not isinstance(node, (ast.Name, ast.Attribute)):
            continue
        key = ast.dump(node)
        if key not in alike:
            alike[key] = next(rule(node, ctx), None)
        if alike[key] is not None:
            nodes.append(node)
    if len(nodes) < 2:
        return
    edited: ast.AST = copy.deepcopy(fn)
    for node in {ast.dump(n): n for n in nodes}.values():
        edited = Same(node, alike[ast.dump(node)][2]).visit(edited)  # type: ignore[index]
    names = [f"`{ctx.quote(n)}`" for n in {ast.dump(n): n for n in nodes}.values()]
    listed = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    lines = ", ".join(map(str, sorted({n.lineno for n in nodes})))
    where = f"(line {lines})" if "," not in lines else f"(lines {lines})"
    said = f"{listed} {where}: not defined or set where read; ones like them belong there"
    yield "name", min(n.lineno for n in nodes), said, ast.fix_missing_locations(edited)


def _exps_everywhere(fn: ast.FunctionDef, ctx: Context) -> Iterator[tuple[str, int, str, ast.AST]]:
    """An exp of unshifted scores written twice or more (``np.exp(x) / np.sum(np.exp(x))``),
    shifted by their maximum at every place at once."""
    seen: dict[str, list[ast.Call]] = {}
    for node in ast.walk(fn):
        if exp_of(node) is not None and not frozen(node):
            seen.setdefault(ast.dump(node), []).append(node)  # type: ignore[arg-type]
    for nodes in seen.values():
        if len(nodes) < 2:
            continue
        lines = sorted({n.lineno for n in nodes})
        said = f"`{ctx.quote(nodes[0])}` {_places(nodes)} " + shift_words(nodes[0], ctx)
        for new in shifted(nodes[0], fn):
            edited = Same(nodes[0], new).visit(copy.deepcopy(fn))
            yield "shift", lines[0], said, ast.fix_missing_locations(edited)


_PROBABILITY = re.compile(r"p|prob|probability|keep_prob|drop_prob|rate|drop_rate|dropout")

# The one-place rules whose change is also made at every place it applies at once: the rule,
# what the other places are called, and the words after "`first` and the others (lines ...)".
_AT_ONCE = (
    # Adam's bias corrections written `1 - beta1 ** 2` and `1 - beta2 ** 2`
    (typed_power, "the other powers", "are typed in where the step counter belongs"),
    # ... or dividing by `1 - beta1` and `1 - beta2`, for every parameter a course's loop updates
    (
        corrected_power,
        "the other divisions",
        "lack the step counter as the power of the rate they divide by",
    ),
    # a binary cross-entropy's logs of a sigmoid and of one minus it
    (
        stable_log,
        "the other logs",
        "take logs of probabilities, which round to 0 (or to 1) for scores far apart: "
        "log-probabilities belong computed from the scores themselves",
    ),
    # a binary cross-entropy's `log(p + eps)` and `log(1 - p + eps)`
    (
        floored_log,
        "the other logs",
        "take logs of probabilities with a small number added, which moves every value: no "
        "such term belongs in them",
    ),
    # ... and its derivative's `y / (p + eps)` and `(1 - y) / (1 - p + eps)`
    (
        floored_division,
        "the other divisions",
        "divide by values with a small number added, which moves every value: no such term "
        "belongs in them",
    ),
    # Adam's `t`, `m` and `v` kept in locals
    (
        stored_back,
        "the other values",
        "are computed from the state and never stored back: every call starts from the old values",
    ),
    # a micrograd learner's closures: `self.grad = ...` and `other.grad = ...` in one backward
    (
        accumulated,
        "the other kept values",
        "replace what was there where each should add to it",
    ),
)


def _complements_everywhere(
    fn: ast.FunctionDef, ctx: Context
) -> Iterator[tuple[str, int, str, ast.AST]]:
    """A probability read as the other outcome's (dropout's ``p`` taken as the probability of
    keeping an entry, the CS231n convention, where the docstring makes it dropping one): its
    complement ``1 - p`` at every place it is read outside a condition."""
    for h in ctx.hyperparameters:
        if not isinstance(h, ast.Name) or not _PROBABILITY.fullmatch(h.id):
            continue
        reads = [
            n
            for n in ast.walk(fn)
            if isinstance(n, ast.Name)
            and n.id == h.id
            and isinstance(n.ctx, ast.Load)
            and n not in ctx.conditions
            and not frozen(n)
        ]
        if not reads:
            continue
        said = f"`{h.id}` {_places(reads)} is used as the probability of the other outcome "
        said += "(its complement)"
        for n in reads:  # marked for the copy only: the marks are copied with the nodes
            n._descent_complement = True  # type: ignore[attr-defined]
        edited = _Complement().visit(copy.deepcopy(fn))
        for n in reads:
            del n._descent_complement  # type: ignore[attr-defined]
        yield "argument", reads[0].lineno, said, ast.fix_missing_locations(edited)


class _Complement(ast.NodeTransformer):
    """The names marked to be complemented made ``(1 - name)``."""

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if getattr(node, "_descent_complement", False):
            return ast.copy_location(ast.BinOp(ast.Constant(1), ast.Sub(), node), node)
        return node


def _at_once(
    fn: ast.FunctionDef, ctx: Context, rule: Callable, others: str, said: str
) -> Iterator[tuple[str, int, str, ast.AST]]:
    """The first change ``rule`` makes of each node of ``fn`` where it makes one, made at
    every such node at once (two at least), worded "`first` and ``others`` (lines) ``said``"."""
    nodes = list(ast.walk(fn))
    changes, kind = {}, ""
    for i, node in enumerate(nodes):
        change = next(rule(node, ctx), None) if not frozen(node) else None
        if change is not None:
            changes[i], kind = change[2], change[0]
    if len(changes) < 2:
        return
    sites = [nodes[i] for i in changes]
    words = f"`{ctx.quote(sites[0])}` and {others} {_places(sites)} {said}"
    edited = _with_changes(fn, changes)
    yield kind, getattr(sites[0], "lineno", fn.lineno), words, edited


def _with_changes(fn: ast.FunctionDef, changes: dict[int, ast.AST]) -> ast.AST:
    """A copy of ``fn`` with each node at a position of ``changes`` in ``ast.walk(fn)``'s order
    replaced by its change (a copy's walk meets its nodes in the same order)."""
    edited = copy.deepcopy(fn)
    twins = list(ast.walk(edited))
    for parent in twins:
        for field, value in ast.iter_fields(parent):
            if isinstance(value, list):
                value[:] = [_changed(v, twins, changes) for v in value]
            elif isinstance(value, ast.AST):
                setattr(parent, field, _changed(value, twins, changes))
    return ast.fix_missing_locations(edited)


def _changed(node: ast.AST, twins: list, changes: dict) -> ast.AST:
    index = next((i for i, twin in enumerate(twins) if twin is node), None)
    if index in changes:
        return ast.copy_location(copy.deepcopy(changes[index]), node)
    return node


def _places(nodes: list) -> str:
    """Where an expression is written: "(lines 6, 7)", or "(2 times on line 11)"."""
    lines = sorted({n.lineno for n in nodes})
    if len(lines) == 1:
        return f"({len(nodes)} times on line {lines[0]})"
    return f"(lines {', '.join(map(str, lines))})"


class _Swap(ast.NodeTransformer):
    """Every float equal to ``value`` replaced by ``source`` (not a setting's own default)."""

    def __init__(self, value: object, source: ast.expr):
        self.value, self.source = value, source

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if type(node.value) is float and node.value == self.value and not frozen(node):
            if not getattr(node, "_descent_setting", False):  # deep copies keep the mark
                return ast.copy_location(copy.deepcopy(self.source), node)
        return node
