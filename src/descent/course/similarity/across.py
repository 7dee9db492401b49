"""A student's whole submission compared, across modules: each student's fingerprints of every
module taken together, so that code moved into another module (a copy written into a module
the original left empty, and imported from there) is still shared with the module it came from.

A fingerprint's rarity is weighed as module by module (:mod:`.engine`), among the students who
wrote any of the modules it appears in (one module, for all but moved code), the members of a
group counting as one; every k-gram of every module's template is left out, since moved code
carries its own module's template with it. A pair's similarity across modules is the weight the
two share over the fingerprints of the smaller of the two whole submissions: for an honest pair
it is about their similarity module by module (or less: modules only one of them wrote count
here), and the engine takes the higher of the two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

from . import groups as rings
from .fingerprints import Doc


@dataclass
class Across:
    similarity: dict[tuple[str, str], float]  # (a, b), a < b -> similarity across modules
    weights: dict[int, float]  # fingerprint -> its rarity in the class, across modules
    modules: dict[str, dict[int, list[str]]]  # student -> fingerprint -> the modules holding it


def compare(
    docs: dict[tuple[str, str], Doc], groups: list[rings.Group], template: set[int]
) -> Across:
    """Every pair's similarity across modules (see the module doc); ``template``: the k-grams of
    every module's template."""
    prints: dict[str, set[int]] = {}
    where: dict[str, dict[int, list[str]]] = {}
    modules_of: dict[int, set[str]] = {}
    writers: dict[str, set[str]] = {}
    for (student, module), doc in sorted(docs.items()):
        mine = prints.setdefault(student, set())
        for h in doc.prints:
            if h in template:
                continue
            mine.add(h)
            where.setdefault(student, {}).setdefault(h, []).append(module)
            modules_of.setdefault(h, set()).add(module)
        if doc.prints:
            writers.setdefault(module, set()).add(student)
    holders: dict[int, list[str]] = {}
    for student in sorted(prints):
        for h in prints[student]:
            holders.setdefault(h, []).append(student)
    weights = {}
    for h, students in holders.items():
        n = len(set().union(*(writers.get(m, set()) for m in modules_of[h])))
        k = rings.sources(tuple(students), groups)
        weights[h] = (
            1.0 if n < 4 or k <= 2 else min(1.0, max(0.0, math.log(n / k) / math.log(n / 2)))
        )
    shared: dict[tuple[str, str], float] = {}
    for h, students in holders.items():
        if weights[h] <= 0:
            continue
        for a, b in combinations(students, 2):
            shared[(a, b)] = shared.get((a, b), 0.0) + weights[h]
    similarity = {}
    for (a, b), weight in shared.items():
        smaller = min(len(prints[a]), len(prints[b]))
        similarity[(a, b)] = weight / smaller if smaller else 0.0
    return Across(similarity, weights, where)


def moved(across: Across, a: str, b: str, rare: float) -> list[tuple[str, str]]:
    """The pairs of modules (a's, b's), not the same, in which ``a`` and ``b`` hold rare
    fingerprints in common (weight >= ``rare``): where code moved between modules."""
    found: dict[tuple[str, str], int] = {}
    theirs_all = across.modules.get(b, {})
    for h, modules in across.modules.get(a, {}).items():
        if h not in theirs_all or across.weights.get(h, 0.0) < rare:
            continue
        for mine in modules:
            for theirs in theirs_all[h]:
                if mine != theirs:
                    found[(mine, theirs)] = found.get((mine, theirs), 0) + 1
    return sorted(found, key=lambda key: (-found[key], key))
