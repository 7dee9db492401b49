"""Groups of students who share code: a ring passing one solution around.

Rarity weighting lowers a fingerprint as more of the class holds it, which is right for an idiom
that many students write independently, but a ring of five in a class of thirty would hide
behind it: each fingerprint held by five weighs 0.66, less where the ring's code also holds
common idioms, and no pair reaches the threshold. An idiom's holders differ from one
fingerprint to the next; a ring's are the same students every time. A **group** is three
students or more who, in one module, either

* are **near-copies** of each other: each pair of them (linked through the others) holds in
  common at least :data:`NEAR` of the fingerprints of the smaller of its two modules (and
  :data:`MIN_COMMON` at least), or
* **alone share a fragment**: a run of fingerprints as long as the fragment that flags a pair
  (``min_fragment`` tokens) held by them and nobody else (a group of at most a quarter of those
  who wrote the module, or three: more is common code).

When the rarity of a fingerprint is weighed, the members of a group who hold it count as one
student (a fingerprint only they hold weighs 1, as one two students share), and the class report
names each group with its modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from copydetect.utils import get_copied_slices

from .fingerprints import Doc, K

NEAR = 0.8  # near-copies share this much of the smaller module's fingerprints (honest: < 0.3)
MIN_COMMON = 30  # ... and at least this many (about five lines, as for an exercise to be judged)
LARGEST = 0.25  # a group that alone shares a fragment is at most this share of the writers


@dataclass
class Group:
    members: tuple[str, ...]  # sorted
    modules: dict[str, str] = field(default_factory=dict)  # module -> why they are a group


def find(
    holders: dict[tuple[str, int], tuple[str, ...]],
    docs: dict[tuple[str, str], Doc],
    common: dict[tuple[str, str], dict[str, int]],
    min_fragment: int,
) -> list[Group]:
    """The groups of a class. ``holders``: (module, fingerprint) -> the students holding it,
    sorted; ``common``: (a, b) -> module -> fingerprints the two hold in common. Largest groups
    first; a group inside a larger one is folded into it."""
    writers: dict[str, int] = {}
    for _student, module in docs:
        writers[module] = writers.get(module, 0) + bool(docs[(_student, module)].prints)
    found: dict[tuple[str, ...], dict[str, str]] = {}
    for members, module, tokens in _alone(holders, docs, writers):
        if tokens >= min_fragment:
            found.setdefault(members, {})[module] = f"alone share a {tokens}-token fragment"
    for members, module in _near_copies(common, docs):
        found.setdefault(members, {})[module] = f"near-copies (at least {NEAR:.0%} in common)"
    groups: list[Group] = []
    for members in sorted(found, key=lambda m: (-len(m), m)):
        outer = next((g for g in groups if set(members) <= set(g.members)), None)
        if outer is None:
            groups.append(Group(members, dict(sorted(found[members].items()))))
        else:
            for module, why in found[members].items():
                outer.modules.setdefault(module, why)
    return groups


def describe(group: Group) -> str:
    """Why ``group`` is one, module by module, modules with the same reason together."""
    by_reason: dict[str, list[str]] = {}
    for module, why in group.modules.items():
        by_reason.setdefault(why, []).append(module)
    return "; ".join(f"{why}: {', '.join(modules)}" for why, modules in by_reason.items())


def sources(students: tuple[str, ...], groups: list[Group]) -> int:
    """How many independent sources ``students`` are: each group among them counts as one."""
    left, count = set(students), 0
    for group in groups:
        if len(left & set(group.members)) > 1:
            left -= set(group.members)
            count += 1
    return count + len(left)


def _alone(holders, docs, writers):
    """(members, module, longest run in tokens) of each set of students who alone hold some
    fingerprints of a module, small enough to be a group."""
    held: dict[tuple[tuple[str, ...], str], list[int]] = {}
    for (module, h), students in holders.items():
        if 3 <= len(students) <= max(3, int(LARGEST * writers[module])):
            held.setdefault((students, module), []).append(h)
    for (members, module), hashes in held.items():
        doc = docs[(members[0], module)]
        positions = np.array([p for h in hashes for p in doc.prints[h]])
        starts, ends = get_copied_slices(positions, K)
        yield members, module, int((ends - starts).max())


def _near_copies(common, docs):
    """(members, module) of each set of three or more students linked, in one module, by
    pairs that are near-copies."""
    links: dict[str, dict[str, set[str]]] = {}
    for (a, b), modules in common.items():
        for module, n in modules.items():
            smaller = min(len(docs[(a, module)].prints), len(docs[(b, module)].prints))
            if n >= MIN_COMMON and n / smaller >= NEAR:
                graph = links.setdefault(module, {})
                graph.setdefault(a, set()).add(b)
                graph.setdefault(b, set()).add(a)
    for module, graph in sorted(links.items()):
        seen: set[str] = set()
        for start in sorted(graph):
            if start in seen:
                continue
            component, todo = set(), [start]
            while todo:
                student = todo.pop()
                if student not in component:
                    component.add(student)
                    todo.extend(graph[student] - component)
            seen |= component
            if len(component) >= 3:
                yield tuple(sorted(component)), module
