"""Pairwise similarity of a class, module by module, on the fingerprints of
:mod:`.fingerprints` (the template's k-grams already removed). This module

* drops the exercises too short to judge: an exercise whose typical solution in this class has
  fewer than :data:`MIN_PRINTS` fingerprints of its own (a three-line softmax is written the same
  way by everyone);
* finds the groups of students who alone share much code (:mod:`.groups`);
* weighs each remaining fingerprint by its rarity in the class: 1 when two students share it,
  falling to 0 as it reaches every student who wrote the module (``log(N/df) / log(N/2)``, the
  members of a group counting as one student);
* scores a pair by the weight it shares over the fingerprints of the smaller of its two
  submissions, module by module and across modules (:mod:`.across`: code moved into another
  module), the higher of the two, and keeps, for the evidence, the fragments made of rare
  fingerprints (weight >= :data:`RARE`), merging two fragments that a few tokens inserted in
  one copy split apart; for a pair flagged across modules, also those between two modules.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from copydetect.utils import get_copied_slices

from . import across
from . import groups as rings
from .corpus import Corpus
from .fingerprints import OTHER, WINDOW, Doc, K, fingerprint_all, template_grams

RARE = 0.75  # a shared fingerprint at least this rare is evidence (and is highlighted)
MIN_PRINTS = 30  # fingerprints an exercise's typical solution needs to be judged (about 5 lines)
MERGE_GAP = 2 * K  # two fragments this close in both files are one, split by inserted code


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
    modules: tuple[str, str] | None = None  # a's and b's module, when not the same (moved code)


@dataclass
class Pair:
    a: str
    b: str
    similarity: float  # the higher of module by module and across modules
    modules: dict[str, ModuleMatch]
    flagged: bool = False
    across: float = 0.0  # the similarity of the whole submissions, across modules

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
    groups: list[rings.Group] = field(default_factory=list)

    @property
    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.flagged]

    @property
    def cut(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(student, module) -> (characters compared, of how many): the files over the cost
        bound, compared in part."""
        return {key: doc.cut for key, doc in sorted(self.docs.items()) if doc.cut}

    @property
    def dynamic(self) -> dict[tuple[str, str], tuple[str, ...]]:
        """(student, module) -> the code it runs from text built at run time, which no
        comparison sees (:mod:`.indirection`)."""
        return {key: doc.code.dynamic for key, doc in sorted(self.docs.items()) if doc.code.dynamic}

    @property
    def tokens(self) -> int:
        """Tokens fingerprinted over the class: the work of the comparison, which the cost
        bound keeps linear in the class."""
        return sum(doc.tokens for doc in self.docs.values())


def analyse(corpus: Corpus, *, threshold: float = 0.5, min_fragment: int = 120) -> Analysis:
    """Compare every pair of ``corpus``; a pair is flagged when its similarity reaches
    ``threshold`` or one fragment of rare shared code reaches ``min_fragment`` tokens."""
    templates = template_grams(corpus)
    docs = fingerprint_all(corpus, templates)
    if corpus.exercises is not None:  # another assignment's exercises in the same module
        for doc in docs.values():
            _drop(
                doc,
                lambda h, doc=doc: doc.owner[h] not in corpus.exercises and doc.owner[h] != OTHER,
            )
    too_short, judged = _exercise_lengths(docs.values())
    for doc in docs.values():
        _drop(doc, lambda h, doc=doc: doc.owner[h] in too_short)
    holders = _holders(docs)
    writers = {
        m: sum(1 for d in docs.values() if d.module == m and d.prints) for m in corpus.template
    }
    groups = rings.find(holders, docs, _common(holders), min_fragment)
    weights = _weights(holders, writers, groups)
    shared = _shared(holders, weights)
    size = {key: len(doc.prints) for key, doc in docs.items()}
    whole = across.compare(docs, groups, set().union(*templates.values()))
    pairs = []
    for a, b in combinations(corpus.students, 2):
        pair = _pair(a, b, docs, weights, shared.get((a, b), {}), size)
        pair.across = whole.similarity.get((a, b), 0.0)
        if pair.across > pair.similarity:
            pair.similarity = pair.across
            _moved(pair, docs, whole)
        pair.flagged = pair.similarity >= threshold or pair.longest >= min_fragment
        pairs.append(pair)
    pairs.sort(key=lambda p: (not p.flagged, -p.similarity, -p.longest, p.a, p.b))
    return Analysis(
        corpus.students, pairs, docs, too_short, judged, threshold, min_fragment, groups
    )


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


def _holders(docs: dict[tuple[str, str], Doc]) -> dict[tuple[str, int], tuple[str, ...]]:
    """(module, fingerprint) -> the students who hold it, sorted."""
    holders: dict[tuple[str, int], list[str]] = {}
    for (student, module), doc in sorted(docs.items()):
        for h in doc.prints:
            holders.setdefault((module, h), []).append(student)
    return {key: tuple(students) for key, students in holders.items()}


def _common(holders) -> dict[tuple[str, str], dict[str, int]]:
    """(a, b) -> module -> the fingerprints the two hold in common, however common."""
    out: dict[tuple[str, str], dict[str, int]] = {}
    for (module, _), students in holders.items():
        for a, b in combinations(students, 2):
            per = out.setdefault((a, b), {})
            per[module] = per.get(module, 0) + 1
    return out


def _weights(holders, writers: dict[str, int], groups: list[rings.Group]) -> dict[str, dict]:
    """module -> fingerprint -> its rarity among the students who wrote the module (untouched
    stubs wrote nothing of it), counting the members of a group as one source."""
    weights: dict[str, dict[int, float]] = {m: {} for m in writers}
    for (module, h), students in holders.items():
        n, k = writers[module], rings.sources(students, groups)
        if n < 4 or k <= 2:  # two or three students: nothing can be called common
            weights[module][h] = 1.0
        else:
            weights[module][h] = min(1.0, max(0.0, math.log(n / k) / math.log(n / 2)))
    return weights


def _shared(holders, weights) -> dict[tuple[str, str], dict[str, list[float]]]:
    """(a, b) -> module -> [weight shared, rare fingerprints shared], through the index of who
    holds each fingerprint (one that everyone holds weighs 0 and is never paired)."""
    out: dict[tuple[str, str], dict[str, list[float]]] = {}
    for (module, h), students in holders.items():
        w = weights[module][h]
        if w <= 0:
            continue
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


def _moved(pair: Pair, docs, whole: across.Across) -> None:
    """The evidence of code shared across modules: for each (a's module, b's module), not the
    same, holding rare fingerprints of both, its fragments (the three such pairs of modules
    that share the most)."""
    for mine, theirs in across.moved(whole, pair.a, pair.b, RARE)[:3]:
        found = fragments(docs[(pair.a, mine)], docs[(pair.b, theirs)], whole.weights)
        if found:
            match = ModuleMatch(0.0, 0.0, found, (mine, theirs))
            pair.modules[f"{mine} / {theirs}"] = match


def fragments(a: Doc, b: Doc, weights: dict[int, float]) -> list[Fragment]:
    """The runs of rare fingerprints that ``a`` and ``b`` share, cut at ``a``'s top-level
    definitions (a copied function is one fragment even when the copy reorders them), two runs
    a few tokens apart in both files merged into one, longest first."""
    rare = [h for h in a.prints.keys() & b.prints.keys() if weights.get(h, 0.0) >= RARE]
    found = [(pos, h) for h in rare for pos in a.prints[h]]
    lines = a.source_lines([pos for pos, _ in found])[0].tolist() if found else []
    by_function: dict[str, list[tuple[int, int]]] = {}
    for (pos, h), line in zip(found, lines):
        by_function.setdefault(a.function(line), []).append((pos, h))
    out = []
    for name, group in by_function.items():
        runs = []
        starts, ends = get_copied_slices(np.array([pos for pos, _ in group]), K)
        for start, end in zip(starts.tolist(), ends.tolist()):
            inside = {h for pos, h in group if start <= pos < end}
            start, end = _clip(a, name, start, end)
            if end - start < K + WINDOW - 1:  # below the guarantee threshold: a coincidence
                continue
            b_run = _longest_run(np.concatenate([b.prints[h] for h in inside]))
            runs.append(((start, end), _clip(b, _function_of(b, *b_run), *b_run)))
        for (a_run, b_run), size in _merged(runs):
            fragment = _fragment(a, b, a_run, b_run, size)
            if fragment is not None:
                out.append(fragment)
    return sorted(out, key=lambda f: (-f.size, f.a))


def _merged(runs):
    """((a run, b run), tokens matched): runs in a's order, each joined to the one before when
    both files put it at most :data:`MERGE_GAP` after (JPlag's subsequence match merging: a
    statement inserted in a copy splits a match in two); the tokens between are not counted."""
    out: list[list] = []
    for a_run, b_run in sorted(runs):
        if out:
            (a_prev, b_prev), _ = out[-1]
            a_gap, b_gap = a_run[0] - a_prev[1], b_run[0] - b_prev[1]
            if -K <= a_gap <= MERGE_GAP and -K <= b_gap <= MERGE_GAP:
                out[-1][0] = ((a_prev[0], a_run[1]), (b_prev[0], max(b_prev[1], b_run[1])))
                out[-1][1] += a_run[1] - max(a_run[0], a_prev[1])
                continue
        out.append([(a_run, b_run), a_run[1] - a_run[0]])
    return [(pair, size) for pair, size in out]


def _fragment(a: Doc, b: Doc, a_run, b_run, size: int) -> Fragment | None:
    """The fragment of filtered runs ``a_run`` and ``b_run``, in lines of both submissions
    (those of the statements the runs come from), or None when nothing of it is shown."""
    la, lb = _source_span(a, *a_run), _source_span(b, *b_run)
    ra, rb = a.chars(*la), b.chars(*lb)
    la2, lb2 = _lines(a, *ra), _lines(b, *rb)
    if not (la2 and lb2):
        return None
    return Fragment(size, ra, rb, la2, lb2, a.function(*la2), b.function(*lb2))


def _source_span(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """The first and last line of the submission behind filtered ``start .. end``."""
    first, last = doc.source_lines(np.arange(start, max(end, start + 1)))
    return int(first.min()), int(last.max())


def _clip(doc: Doc, name: str, start: int, end: int) -> tuple[int, int]:
    """The part of filtered ``start .. end`` inside the definition ``name`` (a run of k-grams
    may step past its end into the next one, which is reported on its own)."""
    span = next(((first, last) for first, last, n in doc.spans if n == name), None)
    if span is None:
        return start, end
    positions = np.arange(start, end)
    lines = doc.source_lines(positions)[0]
    inside = positions[(lines >= span[0]) & (lines <= span[1])]
    return (int(inside[0]), int(inside[-1]) + 1) if len(inside) else (start, start)


def _function_of(doc: Doc, start: int, end: int) -> str:
    """The top-level definition most of filtered ``start .. end`` comes from."""
    lines, counts = np.unique(doc.source_lines(np.arange(start, end))[0], return_counts=True)
    votes: dict[str, int] = {}
    for line, n in zip(lines.tolist(), counts.tolist()):
        name = doc.function(line)
        votes[name] = votes.get(name, 0) + n
    return max(votes, key=lambda name: votes[name]) if votes else ""


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
