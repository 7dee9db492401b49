"""Pairwise similarity of a class, module by module, on the fingerprints of
:mod:`.fingerprints` (the template's k-grams already removed). This module

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

import math
import statistics
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from copydetect.utils import get_copied_slices

from .corpus import Corpus
from .fingerprints import OTHER, WINDOW, Doc, K, fingerprint_all

RARE = 0.75  # a shared fingerprint at least this rare is evidence (and is highlighted)
MIN_PRINTS = 30  # fingerprints an exercise's typical solution needs to be judged (about 5 lines)


@dataclass
class Fragment:
    """A run of rare shared fingerprints, located in both files (1-based lines)."""

    size: int  # characters of filtered code in ``a`` (about tokens)
    a: tuple[int, int]  # raw character range in a's text
    b: tuple[int, int]
    a_lines: tuple[int, int]
    b_lines: tuple[int, int]
    a_function: str
    b_function: str


@dataclass
class ModuleMatch:
    similarity: float
    shared: float  # weighted fingerprints the two share
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
    pairs: list[Pair]  # every pair: the flagged first, then by similarity
    docs: dict[tuple[str, str], Doc]  # (student, module) -> Doc
    too_short: dict[str, float]  # exercise id -> median fingerprints per solution
    judged: dict[str, float]  # exercise id -> the same, for those judged
    threshold: float
    min_fragment: int

    @property
    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.flagged]


def analyse(corpus: Corpus, *, threshold: float = 0.5, min_fragment: int = 120) -> Analysis:
    """Compare every pair of ``corpus``; a pair is flagged when its similarity reaches
    ``threshold`` or one fragment of rare shared code reaches ``min_fragment`` tokens."""
    docs = fingerprint_all(corpus)
    if corpus.exercises is not None:  # another assignment's exercises in the same module
        for doc in docs.values():
            _drop(
                doc,
                lambda h, doc=doc: doc.owner[h] not in corpus.exercises and doc.owner[h] != OTHER,
            )
    too_short, judged = _exercise_lengths(docs.values())
    for doc in docs.values():
        _drop(doc, lambda h, doc=doc: doc.owner[h] in too_short)
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
    n = sum(1 for doc in docs if doc.prints)  # untouched stubs wrote nothing of the module
    if n < 4:  # two or three students: nothing can be called common
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
            if end - start < K + WINDOW - 1:  # below the guarantee threshold: a coincidence
                continue
            b_start, b_end = _longest_run(np.concatenate([b.prints[h] for h in inside]))
            ra, rb = a.raw([start, end]), b.raw([b_start, b_end])
            la, lb = _lines(a, int(ra[0]), int(ra[1])), _lines(b, int(rb[0]), int(rb[1]))
            if la and lb:
                out.append(
                    Fragment(
                        end - start,
                        (int(ra[0]), int(ra[1])),
                        (int(rb[0]), int(rb[1])),
                        la,
                        lb,
                        a.function(*la),
                        b.function(*lb),
                    )
                )
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
