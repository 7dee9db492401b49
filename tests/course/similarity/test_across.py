"""A student's whole submission compared across modules (``descent.course.similarity.across``):
code moved into another module is shared with the module it came from, rarity is weighed among
the writers of the modules a fingerprint appears in, the templates' k-grams count for nothing,
and the pairs of modules code moved between are found. (Against a class: test_similarity.py.)"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

pytest.importorskip("copydetect")

from descent.course.similarity import across  # noqa: E402

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _docs(class_: dict[tuple[str, str], range]) -> dict:
    """(student, module) -> a stand-in for its Doc: only its fingerprints are read."""
    return {key: SimpleNamespace(prints={h: [h] for h in hs}) for key, hs in class_.items()}


def test_code_moved_into_another_module_is_shared_with_where_it_came_from():
    docs = _docs(
        {
            ("bob", "regression"): range(0, 100),
            ("carol", "regression"): range(0),  # only "from .losses import *"
            ("carol", "losses"): range(0, 100),  # bob's regression, moved
            ("ann", "regression"): range(1000, 1100),
            ("dan", "regression"): range(2000, 2100),
        }
    )
    found = across.compare(docs, [], template=set())
    assert found.similarity[("bob", "carol")] == pytest.approx(1.0)
    assert ("ann", "bob") not in found.similarity
    assert across.moved(found, "bob", "carol", 0.75) == [("regression", "losses")]
    assert across.moved(found, "ann", "bob", 0.75) == []


def test_rarity_across_modules_and_the_templates():
    # four writers of regression share fingerprints 0-9; bob and carol alone share 10-19;
    # 20-29 is every module's template (the moved code carries it along)
    common, pair, template = range(0, 10), range(10, 20), range(20, 30)
    docs = _docs(
        {
            ("ann", "regression"): range(0, 10),
            ("bob", "regression"): range(0, 30),
            ("carol", "losses"): range(0, 30),
            ("dan", "regression"): range(0, 10),
            ("eve", "regression"): range(0, 10),
        }
    )
    found = across.compare(docs, [], template=set(template))
    assert all(found.weights[h] == 0.0 for h in common)  # all five hold them
    assert all(found.weights[h] == 1.0 for h in pair)
    assert not set(template) & set(found.weights)
    assert found.similarity[("bob", "carol")] == pytest.approx(10 / 20)
    assert found.similarity.get(("ann", "bob"), 0.0) == 0.0
