"""Fingerprints of one student's module: its canonical code, tokenized and winnowed.

A module is first put in canonical form (:mod:`.normalize`: dead and no-op code dropped,
independent statements in one order). copydetect (Python, winnowing, the algorithm behind Moss)
then has pygments replace every name by one letter and drop comments and string contents, so
renamed variables and rewritten comments leave the same fingerprints. Here a module becomes a
:class:`Doc`: its fingerprints (minus every k-gram of the template, normalized alike), which
exercise owns each one, and what is needed to show them (the lines of the submission behind
each position, top-level definitions, docstrings).

The cost of one file is bounded (:mod:`.bound`): at most ``MAX_SOURCE`` characters of it are
compared, the kit's functions first; a longer file is compared in part and reported as cut.
"""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import dataclass, field

import numpy as np
from copydetect.utils import filter_code, winnow

from ... import registry
from . import bound, indirection
from .corpus import Corpus
from .normalize import Canonical, as_is, canonical

K = 25  # noise threshold: k-grams of 25 characters of filtered code (about 10 tokens)
WINDOW = 6  # guarantee threshold K + WINDOW - 1 = 30: a match that long is always seen
OTHER = ""  # owner of code outside every exercise function (the student's own helpers)


@dataclass
class Doc:
    """One student's module: its fingerprints (hash -> positions in the filtered code)."""

    student: str
    module: str
    text: str
    prints: dict[int, list[int]]
    owner: dict[int, str]  # hash -> exercise id, or OTHER
    code: Canonical  # what was fingerprinted, line by line mapped to the text
    offsets: np.ndarray  # copydetect's map from filtered to canonical positions
    spans: list[tuple[int, int, str]]  # top-level definitions: first line, last line, name
    docstrings: list[tuple[int, int]] = field(default_factory=list)  # raw ranges, never shown
    tokens: int = 0  # length of the filtered code: the work done on this file
    cut: tuple[int, int] | None = None  # over the cost bound: (characters compared, of how many)
    _newlines: np.ndarray | None = field(default=None, repr=False)
    _code_newlines: np.ndarray | None = field(default=None, repr=False)

    def source_lines(self, positions) -> tuple[np.ndarray, np.ndarray]:
        """The first and last line (1-based) of the text behind each position of the filtered
        code: the statement it comes from, wherever normalization moved it."""
        pos = self.canonical_positions(positions)
        if self._code_newlines is None:
            self._code_newlines = _newlines(self.code.text)
        line = np.minimum(np.searchsorted(self._code_newlines, pos), len(self.code.first) - 1)
        return self.code.first[line], self.code.last[line]

    def owners(self, positions) -> list[str]:
        """The name of the top-level definition of the canonical code that holds each position
        of the filtered code ("" outside every definition): the function that owns the code,
        wherever the submission wrote it (a helper inlined into its caller)."""
        if not self.code.names:
            return [""] * len(positions)
        pos = self.canonical_positions(positions)
        if self._code_newlines is None:
            self._code_newlines = _newlines(self.code.text)
        line = np.searchsorted(self._code_newlines, pos)
        at = np.searchsorted(self.code.breaks, line, side="right") - 1
        return [self.code.names[i] for i in np.clip(at, 0, len(self.code.names) - 1).tolist()]

    def canonical_positions(self, positions) -> np.ndarray:
        """Where positions of the filtered code lie in the canonical code (copydetect's map)."""
        pos = np.asarray(positions, dtype=np.int64)
        if len(self.offsets) and len(pos):
            at = np.clip(np.searchsorted(self.offsets[:, 0], pos), 0, self.offsets.shape[0] - 1)
            pos = pos + self.offsets[:, 1][at]
        return pos

    def chars(self, first: int, last: int) -> tuple[int, int]:
        """The raw character range of lines ``first .. last`` (1-based, inclusive), without the
        last line's newline."""
        if self._newlines is None:
            self._newlines = _newlines(self.text)
        breaks = self._newlines
        start = int(breaks[first - 2]) + 1 if 1 < first <= len(breaks) + 1 else 0
        end = int(breaks[last - 1]) if 0 < last <= len(breaks) else len(self.text)
        return start, max(start, end)

    def line(self, raw_offset: int) -> int:
        """1-based line of a raw character offset."""
        if self._newlines is None:
            self._newlines = _newlines(self.text)
        return int(np.searchsorted(self._newlines, raw_offset)) + 1

    def visible(self, start: int, end: int) -> list[tuple[int, int]]:
        """``start .. end`` without the docstrings (template text inside a fragment's lines):
        the pieces worth highlighting."""
        pieces = []
        for d_start, d_end in self.docstrings:
            if d_end <= start or d_start >= end:
                continue
            if d_start > start:
                pieces.append((start, d_start))
            start = max(start, d_end)
        if start < end:
            pieces.append((start, end))
        return [(a, b) for a, b in pieces if self.text[a:b].strip()]

    def function(self, line: int, last: int | None = None) -> str:
        """The top-level definition holding ``line`` (or most of ``line .. last``), or ""."""
        last = line if last is None else last
        firsts = [first for first, _, _ in self.spans]
        best, name = 0, ""
        i = max(0, bisect.bisect_right(firsts, line) - 1)
        while i < len(self.spans) and self.spans[i][0] <= last:
            first, end, candidate = self.spans[i]
            overlap = min(last, end) - max(line, first) + 1
            if overlap > best:
                best, name = overlap, candidate
            i += 1
        return name


def _newlines(text: str) -> np.ndarray:
    return np.array([m.start() for m in re.finditer("\n", text)], dtype=np.int64)


def template_grams(corpus: Corpus) -> dict[str, set[int]]:
    """module -> every k-gram of its template's canonical code."""
    return {
        m: _template_grams(text, exported_names(m, text)) for m, text in corpus.template.items()
    }


def fingerprint_all(
    corpus: Corpus, templates: dict[str, set[int]] | None = None
) -> dict[tuple[str, str], Doc]:
    """Every student's modules fingerprinted. A module keeps, besides the names the kit calls,
    the names the student's other modules import from it (:func:`indirection.imported_names`):
    code moved into a module the kit never calls, and imported from there, is compared too."""
    exported = {m: exported_names(m, text) for m, text in corpus.template.items()}
    templates = templates if templates is not None else template_grams(corpus)
    docs = {}
    for s, mods in corpus.modules.items():
        taken = _imported(mods)
        for m, text in mods.items():
            extra = sorted(taken.get(m, set()) - {"*"})
            docs[(s, m)] = fingerprint(
                s, m, text, templates[m], exported[m] + extra, public="*" in taken.get(m, ())
            )
    return docs


def _imported(modules: dict[str, str]) -> dict[str, set[str]]:
    """module -> the names the student's other modules take from it ("*": all public ones)."""
    out: dict[str, set[str]] = {}
    for module, text in modules.items():
        tree = indirection.parsed(text)
        if tree is None:
            continue
        for other, names in indirection.imported_names(tree, set(modules) - {module}).items():
            out.setdefault(other, set()).update(names)
    return out


def exported_names(module: str, template: str) -> list[str]:
    """The names of a module that the kit calls: the template's top-level names, in its order,
    then the exercises' functions it lacks."""
    names: list[str] = []
    try:
        tree = ast.parse(template)
    except (SyntaxError, ValueError):
        tree = ast.Module(body=[], type_ignores=[])
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [t.id for t in targets if isinstance(t, ast.Name)]
    for ex in registry.EXERCISES.values():
        if ex.module == module:
            names += [f for f in ex.functions if f not in names]
    return list(dict.fromkeys(names))


def _kgrams(filtered: str) -> np.ndarray:
    """A hash of every k-gram: a polynomial over the characters' code points, modulo 2^64 (numpy
    wraps). copydetect hashes with Python's ``hash``, which changes from one run to the next; a
    report must not."""
    codes = np.frombuffer(filtered.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(codes) - K + 1
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    out = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(K):
            out = out * np.uint64(1_000_003) + codes[j : j + n]
    return out.view(np.int64)


def _template_grams(text: str, exported: list[str]) -> set[int]:
    """Every k-gram hash of the template's canonical code (not only the winnowed ones): nothing
    of it counts."""
    code, _ = _canonical(bound.within(text, exported)[0], exported)
    filtered, _ = filter_code(code.text, "template.py", "python")
    return set(_kgrams(filtered).tolist())


def _canonical(
    text: str, exported: list[str], public: bool = False
) -> tuple[Canonical, ast.Module | None]:
    """The canonical code of ``text`` and its syntax tree; the text itself (and no tree) when it
    is not Python or is nested too deep to walk."""
    try:
        tree = ast.parse(text)
        # canonical changes the tree it gets
        return canonical(ast.parse(text), exported, public), tree
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return as_is(text), None


def fingerprint(
    student: str,
    module: str,
    text: str,
    template: set[int],
    exported: list[str],
    public: bool = False,
) -> Doc:
    """The :class:`Doc` of one module: its canonical code (within the cost bound), tokenized
    and winnowed, without the template's k-grams and without the k-grams that run from one
    top-level statement into the next (their order means nothing). ``exported`` (and with
    ``public`` every public name) are the names used from outside the module."""
    within, cut = bound.within(text, exported)
    code, tree = _canonical(within, exported, public)
    filtered, offsets = filter_code(code.text, f"{module}.py", "python")
    offsets = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    spans, docstrings = _structure(tree, text) if tree else ([], [])
    doc = Doc(student, module, text, {}, {}, code, offsets, spans, docstrings)
    doc.tokens, doc.cut = len(filtered), cut
    grams = _kgrams(filtered)
    if len(grams):
        crossing = _crossing(doc, len(grams))
        grams[crossing] = np.iinfo(np.int64).max  # never the minimum of a window with another
        hashes, idx = winnow(grams, WINDOW, remove_duplicates=False)
        for h, i in zip(hashes.tolist(), idx.tolist()):
            if h not in template and not crossing[i]:
                doc.prints.setdefault(h, []).append(i)
    names = doc.owners([positions[0] for positions in doc.prints.values()])
    owners: dict[str, str] = {}
    for h, name in zip(doc.prints, names):
        if name not in owners:
            # an exercise's function moved into another module still belongs to its exercise
            ex = registry.exercise_of(module, name or "-") or registry.exercise_of_function(name)
            owners[name] = ex.id if ex else OTHER
        doc.owner[h] = owners[name]
    return doc


def _crossing(doc: Doc, n: int) -> np.ndarray:
    """Which of the ``n`` k-grams of ``doc``'s filtered code start in one top-level statement
    and end in another."""
    starts = np.concatenate([[0], _newlines(doc.code.text) + 1])[doc.code.breaks[1:]]
    filtered = doc.canonical_positions(np.arange(n + K - 1))
    at = np.searchsorted(filtered, starts)  # first filtered position of each statement
    crossing = np.zeros(n, dtype=bool)
    for q in at.tolist():
        crossing[max(0, q - K + 1) : min(n, q)] = True
    return crossing


def _structure(
    tree: ast.Module, text: str
) -> tuple[list[tuple[int, int, str]], list[tuple[int, int]]]:
    """The top-level definitions (first line, last line, name) and the docstrings' whole lines
    as raw ranges."""
    spans = [
        (node.lineno, node.end_lineno or node.lineno, node.name)
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    ]
    starts = [0] + [m.end() for m in re.finditer("\n", text)] + [len(text) + 1]
    docstrings = []
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            first, last = body[0].lineno, body[0].end_lineno or body[0].lineno
            docstrings.append((starts[first - 1], starts[min(last, len(starts) - 1)] - 1))
    return spans, sorted(docstrings)
