"""Small edits of a student's own code: the candidates of a repair search.

:func:`edits` reads the text of a submission's module (it never runs it) and writes, one at a
time, the small changes a program-repair search tries (Clara, FAPR): an operator for another, a
constant where an argument of the signature belongs, a term or factor dropped, a square root
taken or left out, a power dropped, a reduction's axis or ``keepdims``, two arguments or
dimensions in the other order, a name for another, two statements in the other order, a
comparison's boundary, a number off by one, ``+=`` for ``=``. Each :class:`Edit` carries the
module's functions with that one change (``source``, to run in a copy of the module's namespace),
the line it is on and what it changes in words: the words name the kind of mistake and quote the
student's own code, never the code that would fix it (the rules that write them:
:mod:`descent.diagnoses.edit_rules`). :mod:`descent.diagnoses.repair` keeps an edit only once
every check passes with it.

Nothing inside a ``while`` loop is edited (an edit there can make the loop endless), nor the
bounds of a ``range``.
"""

from __future__ import annotations

import ast
import copy
import itertools
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from .edit_context import bound, freeze, frozen, functions, read, units
from .edit_everywhere import everywhere
from .edit_rules import BOUND_RULES, RULES, Rule

MAX_EDITS = 400  # single edits written per function at most, the most telling kinds first


@dataclass(frozen=True)
class Edit:
    """One small change of the student's code: ``kind`` (``operator``, ``constant``, ...),
    ``line`` in the student's file, ``text`` completing "likely mistake:", and ``source``: the
    module's top-level functions with the change, for :meth:`Implementation.edited`."""

    kind: str
    line: int
    text: str
    source: str
    function: str  # the function the change is in
    tree: ast.AST | None = field(default=None, compare=False, repr=False)  # that function, edited


def edits(source: str, function: str) -> Iterator[Edit]:
    """The single edits of ``function`` in the module ``source``, the most telling kinds first
    (:data:`RULES`' order), :data:`MAX_EDITS` at most; each with every top-level function of the
    module in ``source`` (the edited one changed)."""
    yield from itertools.islice(by_kind(source, (function,)), MAX_EDITS)


def by_kind(source: str, names: tuple[str, ...]) -> Iterator[Edit]:
    """The single edits of the functions ``names`` of the module ``source``, kind by kind in
    :data:`RULES`' order and, within a kind, function by function, the last of ``names`` (the
    functions called last) first (the most telling kind of change in a helper comes before a
    less telling one in the function called first); :data:`MAX_EDITS` per function at most."""
    yield from _by_kind(source, functions(source), units(source), names)


def unedited(source: str) -> Edit:
    """The module's functions and classes as every edit writes them, with no change: what a
    search runs first, to see that the failures are the code's own when run that way."""
    return Edit("none", 0, "", _unparse(list(units(source).values())), "")


def after(
    source: str, names: tuple[str, ...], first: Edit, among: Collection[Edit] | None = None
) -> Iterator[Edit]:
    """The edits of :func:`by_kind` made on top of ``first`` (a second mistake), each on another
    line than ``first``'s or of another kind (a copy made and a mask's boundary moved on one
    line), worded as the two changes; lines stay the student's. Those in ``first``'s function
    come first: a function with one mistake is where a second is likeliest (a learner's Adam
    without eps that also averages the wrong square, behind a wrapper's replay functions).
    ``among``: only the second edits that are, alone, one of these (each repairing a part)."""
    if first.tree is None:
        return
    defs, tops = functions(source), units(source)
    defs[first.function] = cast(ast.FunctionDef, first.tree)
    owner, _, method = first.function.partition(".")
    tree = cast(ast.FunctionDef, first.tree)
    tops[owner] = _with_method(tops[owner], method, tree) if method else tree
    same = tuple(n for n in names if n == first.function)
    # only those keys are written where ``among`` is given: writing every edit's module
    # to pick a few out of them costs more than running them
    alone = None if among is None else {_key(e) for e in among}
    seconds = itertools.chain(
        _by_kind(source, defs, tops, same, alone),
        _by_kind(source, defs, tops, tuple(n for n in names if n not in same), alone),
    )
    for second in seconds:
        if second.line != first.line or second.kind != first.kind:
            text = f"two changes: {first.text}; and {second.text}"
            yield Edit(second.kind, first.line, text, second.source, second.function, second.tree)


def _key(edit: Edit) -> tuple[str, int, str]:
    return edit.kind, edit.line, edit.text


def _by_kind(
    source: str, defs: dict, units: dict, names: tuple[str, ...], alone: set | None = None
) -> Iterator[Edit]:
    # the functions called last first: where an edit of a caller and one of the function it
    # calls both repair (a division by the count added where a wrapper scales what a learner's
    # gradient returns, or in that gradient), the formula is the callee's
    sites = [s for s in (_site(source, defs, units, n) for n in reversed(names)) if s]
    for rule in (None, *RULES):  # None: a number replaced everywhere it is written
        for site in sites:
            yield from site.edits(rule, alone)


def _site(source: str, defs: dict, units: dict, name: str) -> _Site | None:
    """The function ``name`` read for its edits; ``None`` where it is no function of the module,
    or where a first edit wrote it in a form the rules cannot read again (the other functions'
    second edits are still tried)."""
    if name not in defs:
        return None
    try:
        return _Site(source, defs, units, name)
    except (AttributeError, TypeError, ValueError, RecursionError):
        return None


def _with_method(cls: ast.AST, method: str, edited: ast.AST) -> ast.ClassDef:
    """A copy of the class ``cls`` with its method ``method`` replaced by ``edited``."""
    out = copy.copy(cast(ast.ClassDef, cls))
    new = cast(ast.stmt, edited)
    out.body = [new if isinstance(s, ast.FunctionDef) and s.name == method else s for s in out.body]
    return out


class _Site:
    """One function of the module, read once, and the edits written into it so far."""

    def __init__(self, source: str, defs: dict[str, ast.FunctionDef], units: dict, name: str):
        self.units, self.name = units, name
        self.target = target = copy.deepcopy(defs[name])
        freeze(target)
        owner, _, method = name.partition(".")
        siblings = [f for n, f in defs.items() if method and n.partition(".")[0] == owner]
        self.ctx = read(source, target, defs.values(), siblings)
        self.nodes = _open(target)
        self.written = 0

    def edits(self, rule: Rule | None, alone: set | None = None) -> Iterator[Edit]:
        """The edits ``rule`` writes here (``None``: a number everywhere it is written); with
        ``alone``, only those whose (kind, line, words) it holds, each still counted."""
        changes = everywhere(self.target, self.ctx) if rule is None else self._changes(rule, alone)
        for kind, line, text, edited in changes:
            if self.written >= MAX_EDITS:
                return
            self.written += 1
            where = _where(self.name, line, text)
            if edited is None or alone is not None and (kind, line, where) not in alone:
                continue
            try:
                module = self._module(edited)
            except (AttributeError, TypeError, ValueError, RecursionError):
                continue  # a rule's edit that cannot be written as code: the others still are
            yield Edit(kind, line, where, module, self.name, edited)

    def _module(self, edited: ast.AST) -> str:
        """The module's functions and classes as text, with ``edited`` in this site's place."""
        owner, _, method = self.name.partition(".")
        if method:  # the class again, that one method replaced
            edited = _with_method(self.units[owner], method, edited)
        return _unparse([edited if n == owner else u for n, u in self.units.items()])

    def _changes(self, rule: Rule, alone: set | None) -> Iterator[tuple[str, int, str, Any]]:
        """Each change ``rule`` makes, the function as edited (``None`` where ``alone`` does
        not hold it: not written, only counted)."""
        for index, node in enumerate(self.nodes):
            if bound(node) and rule not in BOUND_RULES:
                continue
            try:
                made = list(rule(node, self.ctx))
            except (AttributeError, TypeError, ValueError, IndexError, KeyError, RecursionError):
                continue  # a rule that cannot read this form of code: the search goes on
            for kind, text, new in made:
                line = _line(node, new, self.target)
                if alone is not None and (kind, line, _where(self.name, line, text)) not in alone:
                    yield kind, line, text, None
                    continue
                edited = _replaced(self.target, self.nodes, index, new)
                if edited is not None:
                    yield kind, line, text, edited


def _open(fn: ast.FunctionDef) -> list[ast.AST]:
    """The nodes of ``fn`` an edit may touch, in the same order in every copy of ``fn``."""
    return [n for n in ast.walk(fn) if not frozen(n) or bound(n)]


def _line(node: ast.AST, new: ast.AST, fn: ast.FunctionDef) -> int:
    """The line an edit is on: the node's, or for two statements swapped, the first one's, or
    the one a whole function's edit names (``_descent_line``)."""
    if hasattr(new, "_descent_line"):
        return new._descent_line
    if (
        node is fn
        or isinstance(node, (ast.For, ast.If, ast.With))
        and not hasattr(new, "_descent_frozen")
    ):
        old_body, new_body = _bodies(node), _bodies(new)
        for a, b in zip(old_body, new_body):
            if a is not b and ast.dump(a) != ast.dump(b):
                return a.lineno
    return getattr(node, "lineno", fn.lineno)


def _bodies(node: ast.AST) -> list:
    return list(getattr(node, "body", [])) + list(getattr(node, "orelse", []))


def _where(function: str, line: int, text: str) -> str:
    return f"line {line} (in `{function}`): {text}"


def _unparse(defs: list[ast.AST]) -> str:
    return "\n\n".join(ast.unparse(d) for d in defs)


def _replaced(
    fn: ast.FunctionDef, nodes: list[ast.AST], index: int, new: ast.AST
) -> ast.AST | None:
    """A copy of ``fn`` with ``nodes[index]`` replaced by ``new`` (a list of statements for a
    statement's block)."""
    edited = copy.deepcopy(fn)  # the marks of _freeze are copied with the nodes
    twins = _open(edited)
    old = twins[index]
    if old is edited:  # two statements of the function's own body swapped
        return ast.fix_missing_locations(copy.deepcopy(new))
    for parent in ast.walk(edited):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, copy.deepcopy(new))
                return ast.fix_missing_locations(edited)
            if isinstance(value, list) and any(v is old for v in value):
                setattr(parent, name, [copy.deepcopy(new) if v is old else v for v in value])
                return ast.fix_missing_locations(edited)
    return None
