"""Groups of students who share code: a ring passing one solution around.

Rarity weighting lowers a fingerprint as more of the class holds it, which is right for an idiom
that many students write independently, but a ring of five in a class of thirty would hide
behind it (each of its fingerprints held by five weighs 0.66, and no pair reaches the
threshold). What tells the two apart is that an idiom's holders differ from one fingerprint to
the next, while a ring's fingerprints are held by the very same students, nobody else, over a
whole function or module. So a **group** is a set of at least three students (at most a
quarter of those who wrote the module, or three) who alone hold at least :data:`MIN_SHARED`
fingerprints. A fingerprint held only by members of one group counts as one source's, with the
weight of a fingerprint two students share (1), and the class report names the group with the
modules it shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MIN_SHARED = 30  # fingerprints only the group holds: about one short function (min_fragment)
LARGEST = 0.25  # a group is at most this share of the students who wrote the module (or 3)


@dataclass
class Group:
    members: tuple[str, ...]  # sorted
    modules: dict[str, int] = field(default_factory=dict)  # module -> fingerprints only they hold

    @property
    def shared(self) -> int:
        return sum(self.modules.values())


def find(holders: dict[tuple[str, int], tuple[str, ...]], writers: dict[str, int]) -> list[Group]:
    """The groups among ``holders`` ((module, fingerprint) -> the students holding it, sorted);
    ``writers``: module -> how many students wrote something of it. Largest groups first; a
    group inside a larger one is folded into it."""
    counts: dict[tuple[str, ...], dict[str, int]] = {}
    for (module, _), students in holders.items():
        if 3 <= len(students) <= max(3, int(LARGEST * writers[module])):
            per = counts.setdefault(students, {})
            per[module] = per.get(module, 0) + 1
    found = [
        Group(members, dict(sorted(modules.items())))
        for members, modules in counts.items()
        if sum(modules.values()) >= MIN_SHARED
    ]
    found.sort(key=lambda g: (-len(g.members), -g.shared, g.members))
    groups: list[Group] = []
    for group in found:
        outer = next((g for g in groups if set(group.members) <= set(g.members)), None)
        if outer is None:
            groups.append(group)
            continue
        for module, n in group.modules.items():
            outer.modules[module] = outer.modules.get(module, 0) + n
    return groups


def inside(students: tuple[str, ...], groups: list[Group]) -> bool:
    """Whether every one of ``students`` belongs to one group: what they share is one source's."""
    return any(set(students) <= set(g.members) for g in groups)
