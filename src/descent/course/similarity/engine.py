"""Pairwise similarity of a class, module by module, on copydetect's winnowed fingerprints.

copydetect (Python, winnowing, the algorithm behind Moss) reduces a module to the fingerprints of
its token stream after pygments has replaced every name by one letter and dropped comments and
string contents: renamed variables, reordered functions and rewritten comments leave the same
fingerprints. On top of it, this module

* drops the template: every k-gram of ``starter/<module>.py`` (stubs, docstrings, helpers);
* drops the exercises too short to judge: an exercise whose typical solution in this class has
  fewer than :data:`MIN_PRINTS` fingerprints of its own (a three-line softmax is written the same
  way by everyone);
* weighs each remaining fingerprint by its rarity in the class: 1 when two students share it,
  falling to 0 as it reaches every student who wrote the module (``log(N/df) / log(N/2)``);
* scores a pair by the weight it shares over the fingerprints of the smaller of its two
  submissions, and keeps, for the evidence, the fragments made of rare fingerprints (weight >=
  :data:`RARE`).
"""

from __future__ import annotations

import ast
import math
import re
import statistics
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from copydetect.utils import filter_code, get_copied_slices, winnow

from ... import exercises
from .corpus import Corpus

K = 25           # noise threshold: k-grams of 25 characters of filtered code (about 10 tokens)
WINDOW = 6       # guarantee threshold K + WINDOW - 1 = 30: a match that long is always seen
RARE = 0.75      # a shared fingerprint at least this rare is evidence (and is highlighted)
MIN_PRINTS = 30  # fingerprints an exercise's typical solution needs to be judged (about 5 lines)
OTHER = ""       # owner of code outside every exercise function (the student's own helpers)


@dataclass
class Doc:
    """One student's module: its fingerprints (hash -> positions in the filtered code)."""

    student: str
    module: str
    text: str
    prints: dict[int, list[int]]
    owner: dict[int, str]           # hash -> exercise id, or OTHER
    offsets: np.ndarray             # copydetect's map from filtered to raw positions
    spans: list[tuple[int, int, str]]   # top-level definitions: first line, last line, name
    docstrings: list[tuple[int, int]] = field(default_factory=list)   # raw ranges, never shown
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
            self._newlines = np.array([m.start() for m in re.finditer("\n", self.text)],
                                      dtype=np.int64)
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
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_") \
                and (text[start].isalnum() or text[start] == "_"):
            start -= 1
        while end < len(text) and (text[end].isalnum() or text[end] == "_") \
                and (text[end - 1].isalnum() or text[end - 1] == "_"):
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


@dataclass
class Fragment:
    """A run of rare shared fingerprints, located in both files (1-based lines)."""

    size: int                       # characters of filtered code in ``a`` (about tokens)
    a: tuple[int, int]              # raw character range in a's text
    b: tuple[int, int]
    a_lines: tuple[int, int]
    b_lines: tuple[int, int]
    a_function: str
    b_function: str


@dataclass
class ModuleMatch:
    similarity: float
    shared: float                   # weighted fingerprints the two share
    fragments: list[Fragment] = field(default_factory=list)


@dataclass
class Pair:
    a: str
    b: str
    similarity: float
    modules: dict[str, ModuleMatch]
    flagged: bool = False

    @property
    def longest(self) -> int:
        return max((f.size for m in self.modules.values() for f in m.fragments), default=0)


@dataclass
class Analysis:
    students: list[str]
    pairs: list[Pair]                          # every pair: the flagged first, then by similarity
    docs: dict[tuple[str, str], Doc]           # (student, module) -> Doc
    too_short: dict[str, float]                # exercise id -> median fingerprints per solution
    judged: dict[str, float]                   # exercise id -> the same, for those judged
    threshold: float
    min_fragment: int

    @property
    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.flagged]


def analyse(corpus: Corpus, *, threshold: float = 0.5, min_fragment: int = 120) -> Analysis:
    """Compare every pair of ``corpus``; a pair is flagged when its similarity reaches
    ``threshold`` or one fragment of rare shared code reaches ``min_fragment`` tokens."""
    docs = _fingerprint_all(corpus)
    if corpus.exercises is not None:   # another assignment's exercises in the same module
        for doc in docs.values():
            _drop(doc, lambda h: doc.owner[h] not in corpus.exercises and doc.owner[h] != OTHER)
    too_short, judged = _exercise_lengths(docs.values())
    for doc in docs.values():
        _drop(doc, lambda h: doc.owner[h] in too_short)
    weights = {m: _weights([d for d in docs.values() if d.module == m]) for m in corpus.template}
    shared = _shared(docs, weights)
    size = {key: len(doc.prints) for key, doc in docs.items()}
    pairs = []
    for a, b in combinations(corpus.students, 2):
        pair = _pair(a, b, docs, weights, shared.get((a, b), {}), size)
        pair.flagged = pair.similarity >= threshold or pair.longest >= min_fragment
        pairs.append(pair)
    pairs.sort(key=lambda p: (not p.flagged, -p.similarity, -p.longest, p.a, p.b))
    return Analysis(corpus.students, pairs, docs, too_short, judged, threshold, min_fragment)


def _fingerprint_all(corpus: Corpus) -> dict[tuple[str, str], Doc]:
    templates = {m: _template_grams(text, m) for m, text in corpus.template.items()}
    return {(s, m): _doc(s, m, text, templates[m])
            for s, mods in corpus.modules.items() for m, text in mods.items()}


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
            out = out * np.uint64(1_000_003) + codes[j:j + n]
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
            ex = exercises.exercise_of(module, doc.function(line) or "-")
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
    spans = [(node.lineno, node.end_lineno or node.lineno, node.name) for node in tree.body
             if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    starts = [0] + [m.end() for m in re.finditer("\n", text)] + [len(text) + 1]
    docstrings = []
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            first, last = body[0].lineno, body[0].end_lineno or body[0].lineno
            docstrings.append((starts[first - 1], starts[min(last, len(starts) - 1)] - 1))
    return spans, sorted(docstrings)


def _exercise_lengths(docs) -> tuple[dict[str, float], dict[str, float]]:
    """Median fingerprints per exercise over the solutions that have any; split into the too
    short and the judged."""
    counts: dict[str, list[int]] = {}
    for doc in docs:
        per: dict[str, int] = {}
        for owner in doc.owner.values():
            if owner != OTHER:
                per[owner] = per.get(owner, 0) + 1
        for ex, n in per.items():
            counts.setdefault(ex, []).append(n)
    medians = {ex: float(statistics.median(ns)) for ex, ns in sorted(counts.items())}
    short = {ex: m for ex, m in medians.items() if m < MIN_PRINTS}
    return short, {ex: m for ex, m in medians.items() if ex not in short}


def _drop(doc: Doc, unwanted) -> None:
    for h in [h for h in doc.prints if unwanted(h)]:
        del doc.prints[h]
        del doc.owner[h]


def _weights(docs: list[Doc]) -> dict[int, float]:
    """Rarity of each fingerprint among the students who wrote this module."""
    df: dict[int, int] = {}
    for doc in docs:
        for h in doc.prints:
            df[h] = df.get(h, 0) + 1
    n = sum(1 for doc in docs if doc.prints)   # untouched stubs wrote nothing of the module
    if n < 4:   # two or three students: nothing can be called common
        return dict.fromkeys(df, 1.0)
    top = math.log(n / 2)
    return {h: min(1.0, max(0.0, math.log(n / k) / top)) for h, k in df.items()}


def _shared(docs, weights) -> dict[tuple[str, str], dict[str, list[float]]]:
    """(a, b) -> module -> [weight shared, rare fingerprints shared], through an index of who
    holds each fingerprint (one that everyone holds weighs 0 and is never paired)."""
    holders: dict[tuple[str, int], list[str]] = {}
    for (student, module), doc in sorted(docs.items()):
        for h in doc.prints:
            if weights[module][h] > 0:
                holders.setdefault((module, h), []).append(student)
    out: dict[tuple[str, str], dict[str, list[float]]] = {}
    for (module, h), students in holders.items():
        w = weights[module][h]
        for a, b in combinations(students, 2):
            per = out.setdefault((a, b), {}).setdefault(module, [0.0, 0])
            per[0] += w
            per[1] += w >= RARE
    return out


def _pair(a: str, b: str, docs, weights, shared: dict[str, list[float]], size) -> Pair:
    """Similarity: the rarity-weighted fingerprints the two share over the fingerprints of the
    smaller submission (code that all the class shares adds almost nothing, however much)."""
    common = [m for m in weights if (a, m) in docs and (b, m) in docs]
    modules = {}
    for m in common:
        smaller = min(size[(a, m)], size[(b, m)])
        w, rare = shared.get(m, (0.0, 0))
        match = ModuleMatch(w / smaller if smaller else 0.0, w)
        if rare:
            match.fragments = fragments(docs[(a, m)], docs[(b, m)], weights[m])
        modules[m] = match
    smaller = min(sum(size[(a, m)] for m in common), sum(size[(b, m)] for m in common))
    total = sum(match.shared for match in modules.values())
    return Pair(a, b, total / smaller if smaller else 0.0, modules)


def fragments(a: Doc, b: Doc, weights: dict[int, float]) -> list[Fragment]:
    """The runs of rare fingerprints that ``a`` and ``b`` share, cut at ``a``'s top-level
    definitions (a copied function is one fragment even when the copy reorders them), longest
    first."""
    rare = [h for h in a.prints.keys() & b.prints.keys() if weights[h] >= RARE]
    by_function: dict[str, list[tuple[int, int]]] = {}
    found = [(pos, h) for h in rare for pos in a.prints[h]]
    lines = a.lines(a.raw([pos for pos, _ in found])).tolist() if found else []
    for (pos, h), line in zip(found, lines):
        by_function.setdefault(a.function(line), []).append((pos, h))
    out = []
    for name, group in by_function.items():
        starts, ends = get_copied_slices(np.array([pos for pos, _ in group]), K)
        for start, end in zip(starts.tolist(), ends.tolist()):
            inside = {h for pos, h in group if start <= pos < end}
            start, end = _clip(a, name, start, end)
            if end - start < K + WINDOW - 1:   # below the guarantee threshold: a coincidence
                continue
            b_start, b_end = _longest_run(np.concatenate([b.prints[h] for h in inside]))
            ra, rb = a.raw([start, end]), b.raw([b_start, b_end])
            la, lb = _lines(a, int(ra[0]), int(ra[1])), _lines(b, int(rb[0]), int(rb[1]))
            if la and lb:
                out.append(Fragment(end - start, (int(ra[0]), int(ra[1])),
                                    (int(rb[0]), int(rb[1])), la, lb, a.function(*la),
                                    b.function(*lb)))
    return sorted(out, key=lambda f: (-f.size, f.a))


def _clip(doc: Doc, name: str, start: int, end: int) -> tuple[int, int]:
    """The part of filtered ``start .. end`` inside the definition ``name`` (a run of k-grams
    may step past its end into the next one, which is reported on its own)."""
    span = next(((first, last) for first, last, n in doc.spans if n == name), None)
    if span is None:
        return start, end
    positions = np.arange(start, end)
    lines = doc.lines(doc.raw(positions))
    inside = positions[(lines >= span[0]) & (lines <= span[1])]
    return (int(inside[0]), int(inside[-1]) + 1) if len(inside) else (start, start)


def _lines(doc: Doc, start: int, end: int) -> tuple[int, int] | None:
    """First and last line of what is shown of ``start .. end`` (docstrings left out)."""
    pieces = doc.visible(start, end)
    if not pieces:
        return None
    return doc.line(pieces[0][0]), doc.line(max(pieces[-1][0], pieces[-1][1] - 1))


def _longest_run(positions: np.ndarray) -> tuple[int, int]:
    starts, ends = get_copied_slices(positions, K)
    i = int(np.argmax(ends - starts))
    return int(starts[i]), int(ends[i])
