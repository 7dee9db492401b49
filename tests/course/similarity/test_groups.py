"""Groups of students who share code (``descent.course.similarity.groups``): a ring of five in a
class of thirty is flagged as a group, and the class report names each group and its module."""

from __future__ import annotations

from itertools import combinations

import pytest

pytest.importorskip("copydetect")

from descent.course.similarity import (  # noqa: E402
    corpus,
    engine,
)
from descent.course.similarity import pages as evidence  # noqa: E402

from ..conftest import KIT  # noqa: E402
from . import similarity_class  # noqa: E402
from .conftest import pair_of  # noqa: E402

RING = ("s000", "s001", "s002", "s003", "s004")  # five who share one regression.py verbatim

TRIO = ("s010", "s011", "s012")  # three who share one function, nobody else has it


@pytest.fixture(scope="module")
def ring(tmp_path_factory):
    """A generated class of thirty: a ring of five, a trio sharing one function, the rest
    honest (each student's code their own, the common idioms common)."""
    folder = tmp_path_factory.mktemp("ring") / "submissions"
    texts = similarity_class.generate(folder, KIT, 30, modules=("regression",), seed=0)
    for student in RING[1:]:
        (folder / student / "regression.py").write_text(texts[RING[0]]["regression"])
    shared = similarity_class._function(
        texts[TRIO[0]]["regression"], "linear_regression_closed_form"
    )
    for student in TRIO[1:]:
        text = texts[student]["regression"]
        old = similarity_class._function(text, "linear_regression_closed_form")
        (folder / student / "regression.py").write_text(text.replace(old, shared))
    return engine.analyse(corpus.read(folder, KIT, ("regression",)))


def test_a_ring_of_five_in_thirty_is_flagged_as_a_group(ring):
    assert [g.members for g in ring.groups] == [RING, TRIO]
    assert "near-copies" in ring.groups[0].modules["regression"]
    assert "alone share a" in ring.groups[1].modules["regression"]
    for members, least in ((RING, 0.8), (TRIO, 0.3)):
        pairs = [pair_of(ring, a, b) for a, b in combinations(members, 2)]
        assert all(p.flagged for p in pairs)
        assert min(p.similarity for p in pairs) > least  # rarity no longer hides them
    honest = [p for p in ring.pairs if not {p.a, p.b} <= set(RING) and not {p.a, p.b} <= set(TRIO)]
    assert not any(p.flagged for p in honest)
    assert max(p.similarity for p in honest) < 0.35


def test_the_class_report_names_each_group_and_its_module(ring):
    page = evidence.class_page(ring, {})
    section = page[page.index("<h2>Groups</h2>") : page.index("<h2>The class distribution")]
    assert ", ".join(RING) in section and ", ".join(TRIO) in section
    assert (
        section.count("in common): regression") == 1 and section.count("fragment: regression") == 1
    )
    assert section.count("<a href='pair-") == 10 + 3  # every pair of each group, linked
    pair_page = evidence.pair_page(ring, pair_of(ring, RING[0], RING[1]), 1)
    assert "Both belong to group 1" in pair_page
