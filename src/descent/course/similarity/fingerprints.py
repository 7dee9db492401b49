"""Fingerprints of one student's module, on copydetect's tokenizer and winnowing.

copydetect (Python, winnowing, the algorithm behind Moss) has pygments replace every name by one
letter and drop comments and string contents, so renamed variables, reordered functions and
rewritten comments leave the same fingerprints. Here a module becomes a :class:`Doc`: its
fingerprints (minus every k-gram of the template), which exercise owns each one, and what is
needed to show them (positions in the text, top-level definitions, docstrings).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import numpy as np
from copydetect.utils import filter_code, winnow

from ... import registry
from .corpus import Corpus

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
    offsets: np.ndarray  # copydetect's map from filtered to raw positions
    spans: list[tuple[int, int, str]]  # top-level definitions: first line, last line, name
    docstrings: list[tuple[int, int]] = field(default_factory=list)  # raw ranges, never shown
    _newlines: np.ndarray | None = field(default=None, repr=False)

    def raw(self, positions) -> np.ndarray:
        """Raw character offsets of positions in the filtered code (copydetect's mapping)."""
        pos = np.asarray(positions, dtype=np.int64)
        if len(self.offsets) == 0 or len(pos) == 0:
            return pos
        at = np.clip(np.searchsorted(self.offsets[:, 0], pos), 0, self.offsets.shape[0] - 1)
        return pos + self.offsets[:, 1][at]

    def line(self, raw_offset: int) -> int:
        return int(self.lines([raw_offset])[0])

    def lines(self, raw_offsets) -> np.ndarray:
        """1-based line of each raw offset."""
        if self._newlines is None:
            self._newlines = np.array(
                [m.start() for m in re.finditer("\n", self.text)], dtype=np.int64
            )
        return np.searchsorted(self._newlines, np.asarray(raw_offsets, dtype=np.int64)) + 1

    def visible(self, start: int, end: int) -> list[tuple[int, int]]:
        """``start .. end`` without the docstrings (template text that a fragment's k-grams
        step over, since a string is one token): the pieces worth highlighting."""
        pieces = []
        for d_start, d_end in self.docstrings:
            if d_end <= start or d_start >= end:
                continue
            if d_start > start:
                pieces.append((start, d_start))
            start = max(start, d_end)
        if start < end:
            pieces.append((start, end))
        return [self._whole_words(a, b) for a, b in pieces if self.text[a:b].strip()]

    def _whole_words(self, start: int, end: int) -> tuple[int, int]:
        """copydetect maps filtered positions back to the text within a token or two: widen a
        range cut inside a name or number to the whole word."""
        text = self.text
        while (
            start > 0
            and (text[start - 1].isalnum() or text[start - 1] == "_")
            and (text[start].isalnum() or text[start] == "_")
        ):
            start -= 1
        while (
            end < len(text)
            and (text[end].isalnum() or text[end] == "_")
            and (text[end - 1].isalnum() or text[end - 1] == "_")
        ):
            end += 1
        return start, end

    def function(self, line: int, last: int | None = None) -> str:
        """The top-level definition holding ``line`` (or most of ``line .. last``), or ""."""
        last = line if last is None else last
        best, name = 0, ""
        for first, end, candidate in self.spans:
            overlap = min(last, end) - max(line, first) + 1
            if overlap > best:
                best, name = overlap, candidate
        return name


def fingerprint_all(corpus: Corpus) -> dict[tuple[str, str], Doc]:
    templates = {m: _template_grams(text, m) for m, text in corpus.template.items()}
    return {
        (s, m): _doc(s, m, text, templates[m])
        for s, mods in corpus.modules.items()
        for m, text in mods.items()
    }


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


def _template_grams(text: str, module: str) -> set[int]:
    """Every k-gram hash of the template (not only the winnowed ones): nothing of it counts."""
    filtered, _ = filter_code(text, f"{module}.py", "python")
    return set(_kgrams(filtered).tolist())


def _doc(student: str, module: str, text: str, template: set[int]) -> Doc:
    filtered, offsets = filter_code(text, f"{module}.py", "python")
    prints: dict[int, list[int]] = {}
    grams = _kgrams(filtered)
    if len(grams):
        hashes, idx = winnow(grams, WINDOW, remove_duplicates=False)
        for h, i in zip(hashes.tolist(), idx.tolist()):
            if h not in template:
                prints.setdefault(h, []).append(i)
    offsets = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    spans, docstrings = _structure(text)
    doc = Doc(student, module, text, prints, {}, offsets, spans, docstrings)
    lines = doc.lines(doc.raw([idx[0] for idx in prints.values()]))
    owners: dict[int, str] = {}
    for h, line in zip(prints, lines.tolist()):
        if line not in owners:
            ex = registry.exercise_of(module, doc.function(line) or "-")
            owners[line] = ex.id if ex else OTHER
        doc.owner[h] = owners[line]
    return doc


def _structure(text: str) -> tuple[list[tuple[int, int, str]], list[tuple[int, int]]]:
    """The top-level definitions (first line, last line, name) and the docstrings' whole lines
    as raw ranges; none when the text is not Python (it is still compared, unsplit)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return [], []
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
