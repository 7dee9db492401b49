"""The canonical form of a module, fingerprinted in place of its text, so that code added or moved
without changing what the module computes changes nothing.

This is JPlag's token sequence normalization (Sağlam 2025, "Mitigating Automated Obfuscation
Attacks on Software Plagiarism Detection Systems") done on Python's syntax tree:

* **indirection is written out first** (:mod:`.indirection`): ``getattr(x, "a")`` is ``x.a``,
  the text given to ``exec``/``eval`` is compiled where it is known without running anything
  (and code built at run time is named, for the report);
* **wrappers that do nothing go next** (:mod:`.unwrap`): a ``try`` whose handlers only raise
  again, a ``with`` of ``nullcontext()``, names only ever written (a list only appended to, a
  counter only incremented), and a helper called once as a whole statement is inlined (so a
  function split in two or forwarding to another reads as the one function);
* **no-op and unreachable code goes**: ``pass``, expression statements that call nothing (or
  only pure built-ins such as ``len`` or ``print``: a stray string or name), ``x = x``,
  ``x += 0``, ``if False:`` / ``while False:`` bodies (``if True:`` keeps only its body), and
  whatever follows a ``return``, ``raise``, ``break`` or ``continue`` in its block;
* **dead code goes**: a statement is kept when it has an effect (:mod:`.facts`), when it binds
  a name that kept code reads, or when it holds kept code (an ``if`` or a loop around it). In a
  module the roots are the names the kit calls (the template's and the exercises'), so a
  helper function that nothing kept calls goes too;
* **independent statements take one order**: within each block, a statement follows those it
  depends on (it reads what they bind, binds what they read or bind, or both have effects), and
  among the statements free to go next the one whose code, names left out, sorts first goes
  first. In a module the kit's functions come first, in the template's order.

A docstring stays, as one string token (the template has it too). Names are kept: the
fingerprints already ignore them. Every line of the canonical code records
the lines of the submission it stands for, so the evidence shows the student's own text. A
file that is not Python (or not this Python) is compared as it is.
"""

from __future__ import annotations

import ast
import builtins
import copy
import heapq
import keyword
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import facts, indirection, unwrap
from .facts import Facts

_MARK = "__descent_block__"  # stands for a block when a compound statement's header is written
_BLOCKS = ("body", "orelse", "finalbody")
_NAMED = re.compile(r"""[A-Za-z_]\w*|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*\"""")
_KEEP_WORDS = frozenset(keyword.kwlist) | frozenset(dir(builtins))


@dataclass
class Canonical:
    """Canonical code and, for each of its lines, the first and last line (1-based) of the
    submission that it stands for."""

    text: str
    first: np.ndarray
    last: np.ndarray
    breaks: np.ndarray  # the lines (0-based) where a top-level statement starts
    # the name each top-level statement defines ("" for any other statement): which function
    # owns a line, wherever the submission wrote it (a helper inlined into its caller)
    names: tuple[str, ...] = ()
    # code run from text built at run time, which no comparison sees (indirection.resolve)
    dynamic: tuple[str, ...] = ()


@dataclass
class _Line:
    """A line of canonical code, the lines of the submission it stands for, and its shape (the
    line with every name and string written alike, keywords and built-ins kept)."""

    text: str
    first: int
    last: int
    shape: str = ""

    def __post_init__(self) -> None:
        if not self.shape:
            self.shape = _NAMED.sub(_shape_of_word, self.text)


def _shape_of_word(match: re.Match) -> str:
    return match.group(0) if match.group(0) in _KEEP_WORDS else "V"


@dataclass
class _Item:
    """A statement of a block: its own facts (a compound statement's header), its blocks (for
    ``if``, loops, ``with`` and ``try``) and, for a definition, its canonical lines."""

    node: ast.stmt
    own: Facts
    blocks: list[list[_Item]] = field(default_factory=list)
    lines: list[_Line] | None = None
    parent: _Item | None = None
    kept: bool = False


def canonical(tree: ast.Module, exported: Sequence[str], public: bool = False) -> Canonical:
    """The canonical code of a parsed module whose names ``exported`` the kit (or another of
    the student's modules) calls, and with ``public`` every name not starting with ``_`` too
    (another module imports ``*`` from it); ``tree`` is rewritten on the way
    (:mod:`.indirection`, :mod:`.unwrap`). Raises RecursionError for code nested too deep to
    walk (compare it :func:`as_is`)."""
    dynamic = indirection.resolve(tree)
    if public:
        bound = facts.scope_names(tree.body).local
        exported = [*exported, *sorted(n for n in bound if n[:1] != "_")]
    order = {name: i for i, name in enumerate(dict.fromkeys(exported))}
    tree = unwrap.simplify(tree, order)
    names = facts.scope_names(tree.body)
    statements, _ = _scope(tree.body, names, set(order), lambda item: _module_rank(item, order))
    statements = [s for s in [_docstring(tree)] + statements if s]
    lines = [line for statement in statements for line in statement]
    return Canonical(
        "\n".join(line.text for line in lines),
        np.array([line.first for line in lines], dtype=np.int64),
        np.array([line.last for line in lines], dtype=np.int64),
        np.cumsum([0] + [len(s) for s in statements[:-1]], dtype=np.int64),
        tuple(_defined(statement) for statement in statements),
        tuple(dynamic),
    )


_DEFINES = re.compile(r"(?:async def|def|class) (\w+)")


def _defined(statement: list[_Line]) -> str:
    """The name a top-level statement defines (its first line after the decorators, as
    ``ast.unparse`` writes it), or ""."""
    for line in statement:
        if not line.text.startswith("@"):
            found = _DEFINES.match(line.text)
            return found.group(1) if found else ""
    return ""


def as_is(text: str) -> Canonical:
    """The text itself, line for line: what is compared when it cannot be normalized."""
    lines = np.arange(1, text.count("\n") + 2, dtype=np.int64)
    return Canonical(text, lines, lines, np.zeros(1, dtype=np.int64))


def _scope(
    block: list[ast.stmt],
    names: facts.Names,
    roots: set[str] | None,
    rank: Callable[[_Item], tuple] | None = None,
) -> tuple[list[list[_Line]], set[str]]:
    """A scope's live statements in canonical order, as lines each, and the names they
    read. ``roots``: names used from outside the scope (None: keep every statement, as in a
    class body, whose methods are reached by attribute)."""
    items = _items(block, names)
    _keep(items, roots)
    reads = set()
    for item in _walk(items):
        if item.kept:
            reads |= item.own.reads | item.own.later
    return _render(items, _rank if rank is None else rank), reads


def _rank(item: _Item) -> tuple[int, int, str]:
    return (1, 0, _shape(item))


def _module_rank(item: _Item, order: dict[str, int]) -> tuple[int, int, str]:
    name = getattr(item.node, "name", None)
    return (0, order[name], "") if name in order else _rank(item)


def _items(block: list[ast.stmt], names: facts.Names, parent: _Item | None = None) -> list[_Item]:
    out = []
    for node in simplified(block):
        item = _Item(node, facts.of_header(node, names), parent=parent)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            item.lines, item.own.later = _definition(node)
        elif _blocks_of(node):
            for handler in getattr(node, "handlers", []):
                item.own.add(_handler_facts(handler))
            item.blocks = [_items(b, names, item) for b in _blocks_of(node)]
        elif isinstance(node, ast.Match):  # compared as written, as one statement
            for inner in ast.walk(node):
                if isinstance(inner, ast.stmt) and inner is not node:
                    item.own.add(facts.of_header(inner, names))
        out.append(item)
    return out


def _definition(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
    """A definition's canonical lines, and the names its kept code reads from the scopes
    around it. A function's body is a scope of its own; a class body keeps every statement."""
    if isinstance(node, ast.ClassDef):
        names = facts.scope_names(node.body)
        body, reads = _scope(node.body, names, None)
        own: frozenset[str] = names.local
    else:
        params = frozenset(a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg))
        names = facts.scope_names(node.body, params)
        body, reads = _scope(node.body, names, set())
        own = names.local | params
    header = _header(node, [node.body])[0]
    return header + _indented(_docstring(node) + _flat(body)), reads - own


def _flat(statements: list[list[_Line]]) -> list[_Line]:
    return [line for statement in statements for line in statement]


def _docstring(node: ast.AST) -> list[_Line]:
    """A docstring stays, as a string token whatever it says (the fingerprints ignore what a
    string holds; the template has it too); any other string statement is a no-op and goes."""
    body = getattr(node, "body", [])
    first = body[0] if body else None
    if not (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return []
    return [_Line('"""docstring"""', *_span(first))]


def _indented(lines: list[_Line]) -> list[_Line]:
    return [_Line("    " + x.text, x.first, x.last, "    " + x.shape) for x in lines]


def _handler_facts(handler: ast.ExceptHandler) -> Facts:
    found = Facts(reads=facts.loads(handler.type) if handler.type else set())
    if handler.name:
        found.writes.add(handler.name)
    return found


def _blocks_of(node: ast.stmt) -> list[list[ast.stmt]]:
    """The blocks of a compound statement, in the order ``ast.unparse`` writes them (none for
    a simple statement or a ``match``)."""
    if isinstance(node, ast.Match) or not isinstance(getattr(node, "body", None), list):
        return []
    found = [node.body] + [h.body for h in getattr(node, "handlers", [])]  # type: ignore[attr-defined]
    return found + [getattr(node, name) for name in _BLOCKS[1:] if getattr(node, name, None)]


def simplified(block: list[ast.stmt]) -> list[ast.stmt]:
    """``block`` without no-op and unreachable statements, constant conditions resolved."""
    out: list[ast.stmt] = []
    for node in block:
        out.extend(_simplify(node))
        if out and isinstance(out[-1], facts.TERMINAL):
            break  # the rest of the block never runs
    return out


def _simplify(node: ast.stmt) -> list[ast.stmt]:
    if isinstance(node, ast.Pass):
        return []
    if isinstance(node, ast.Expr) and not facts.has_effect(node.value):
        return []
    if isinstance(node, ast.AnnAssign) and node.value is None:
        return []
    if isinstance(node, ast.Assign) and _self_assignment(node):
        return []
    if isinstance(node, ast.AugAssign) and _identity(node):
        return []
    truth = _constant_truth(node.test) if isinstance(node, (ast.If, ast.While)) else None
    if truth is not None and isinstance(node, ast.If):
        return simplified(node.body if truth else node.orelse)
    if truth is False and isinstance(node, ast.While):
        return simplified(node.orelse)
    return [node]


def _self_assignment(node: ast.Assign) -> bool:
    return isinstance(node.value, ast.Name) and all(
        isinstance(t, ast.Name) and t.id == node.value.id for t in node.targets
    )


def _identity(node: ast.AugAssign) -> bool:
    """``x += 0``, ``x -= 0``, ``x *= 1``, ``x /= 1``, ``x //= 1``: the value stays."""
    value = node.value
    if not isinstance(value, ast.Constant) or isinstance(value.value, (str, bytes, bool)):
        return False
    neutral = {ast.Add: 0, ast.Sub: 0, ast.Mult: 1, ast.Div: 1, ast.FloorDiv: 1}
    op = type(node.op)
    return op in neutral and value.value == neutral[op]


def _constant_truth(test: ast.expr) -> bool | None:
    negate = False
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, negate = test.operand, not negate
    if not isinstance(test, ast.Constant):
        return None
    return bool(test.value) != negate


def _keep(items: list[_Item], roots: set[str] | None) -> None:
    """Mark the live items of a scope: those with an effect and, from them, every item that
    binds a name a kept item reads, and every compound statement around a kept item."""
    everything = list(_walk(items))
    writers: dict[str, list[_Item]] = {}
    for item in everything:
        for name in item.own.writes:
            writers.setdefault(name, []).append(item)
    relevant: set[str] = set()
    todo = [i for i in everything if roots is None or i.own.effect]
    for name in roots or ():
        relevant.add(name)
        todo.extend(writers.get(name, ()))
    while todo:
        live: _Item | None = todo.pop()
        while live is not None and not live.kept:
            live.kept = True
            for name in (live.own.reads | live.own.later) - relevant:
                relevant.add(name)
                todo.extend(writers.get(name, ()))
            live = live.parent


def _walk(items: list[_Item]):
    for item in items:
        yield item
        for block in item.blocks:
            yield from _walk(block)


def _render(items: list[_Item], rank: Callable[[_Item], tuple]) -> list[list[_Line]]:
    """The lines of each kept item of a block (its blocks included), in canonical order; a
    final ``return`` (``raise``, ...) stays last."""
    kept = [item for item in items if item.kept]
    last = [kept.pop()] if kept and isinstance(kept[-1].node, facts.TERMINAL) else []
    return [_lines(item) for item in _ordered(kept, rank) + last]


def _lines(item: _Item) -> list[_Line]:
    if item.lines is None:
        if not item.blocks:  # a simple statement, or a match compared as written
            first, last = _span(item.node)
            item.lines = [_Line(t, first, last) for t in ast.unparse(item.node).splitlines()]
        else:
            headers = _header(item.node, _blocks_of(item.node))
            item.lines = list(headers[0])
            for separator, block in zip([[]] + headers[1:], item.blocks):
                inner = _flat(_render(block, _rank))
                if inner:
                    item.lines += separator + _indented(inner)
    return item.lines


def _header(node: ast.stmt, blocks: list[list[ast.stmt]]) -> list[list[_Line]]:
    """The header of a compound statement and the separator (``else:``, ``except E:``) before
    each of its other blocks, each with the lines of the submission it stands for: a header
    runs to the line before its first block, a separator is the line before its block."""
    skeleton = copy.copy(node)
    mark = [ast.Expr(ast.Name(_MARK, ast.Load()))]
    for name in _BLOCKS:
        if getattr(node, name, None):
            setattr(skeleton, name, mark)
    if getattr(node, "handlers", None):
        handlers = [copy.copy(h) for h in node.handlers]  # type: ignore[attr-defined]
        for handler in handlers:
            handler.body = mark
        skeleton.handlers = handlers  # type: ignore[attr-defined]
    parts: list[list[str]] = [[]]
    for text in ast.unparse(skeleton).splitlines():
        if text.strip() == _MARK:
            parts.append([])
        else:
            parts[-1].append(text.strip())
    first = _span(node)[0]
    ends = [max(first, block[0].lineno - 1) for block in blocks]
    header = [_Line(t, first, ends[0]) for t in parts[0]]
    return [header] + [[_Line(t, e, e) for t in texts] for texts, e in zip(parts[1:], ends[1:])]


def _span(node: ast.stmt) -> tuple[int, int]:
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return first, node.end_lineno or node.lineno


def _ordered(items: list[_Item], rank: Callable[[_Item], tuple]) -> list[_Item]:
    """A topological order of ``items`` by their dependencies, taking among those free to go
    next the one of lowest ``rank`` (then the earliest). Item j depends on an earlier i when j
    reads or binds a name i binds, j binds a name i reads, or both have effects; only the
    nearest such i is linked (the rest follow by transitivity), so this is linear."""
    if len(items) < 2:
        return items
    after: list[list[int]] = [[] for _ in items]  # i -> the items that must follow i
    waiting = [0] * len(items)
    last_write: dict[str, int] = {}
    reads_since: dict[str, list[int]] = {}
    last_effect = None
    for j, item in enumerate(items):
        f = _whole(item)
        before = {last_write[n] for n in f.reads | f.writes if n in last_write}
        for n in f.writes:
            before.update(reads_since.pop(n, ()))
            last_write[n] = j
        for n in f.reads:
            reads_since.setdefault(n, []).append(j)
        if f.effect:
            if last_effect is not None:
                before.add(last_effect)
            last_effect = j
        before.discard(j)
        for i in before:
            after[i].append(j)
        waiting[j] = len(before)
    ready = [(rank(items[j]), j) for j in range(len(items)) if not waiting[j]]
    heapq.heapify(ready)
    out = []
    while ready:
        _, i = heapq.heappop(ready)
        out.append(items[i])
        for j in after[i]:
            waiting[j] -= 1
            if not waiting[j]:
                heapq.heappush(ready, (rank(items[j]), j))
    return out


def _whole(item: _Item) -> Facts:
    """What a kept item does when it runs, with the kept statements of its blocks."""
    found = Facts(set(item.own.reads), set(item.own.writes), effect=item.own.effect)
    for inner in _walk([b for block in item.blocks for b in block]):
        if inner.kept:
            found.reads |= inner.own.reads
            found.writes |= inner.own.writes
            found.effect |= inner.own.effect
    return found


def _shape(item: _Item) -> str:
    """The shape of the item's canonical code: how it sorts, so that renaming changes no
    order."""
    return "\n".join(line.shape for line in _lines(item))
