"""docs/reference/results-schema.md (``descent.authoring.results_reference``): a section per
object of a results document, where it sits, and a row per declared key. (That a real document
holds only declared keys: tests/reports/test_results_keys.py; that the page is current:
tests/test_docs.py.)"""

from __future__ import annotations

import pytest
from reference_pages import FIX, sections

from descent.authoring import results_reference
from descent.reports import results_keys

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

PAGE = results_reference.PAGE


def test_the_page_lists_every_key_of_every_object():
    found = sections(PAGE)
    for name, keys in results_keys.objects().items():
        assert name in found, f"{PAGE}: no section {name}; {FIX}"
        for key in keys:
            assert f"| `{key}` |" in found[name], f"{PAGE}: {name} lacks {key}; {FIX}"


def test_an_object_the_page_cannot_place_stops_it(monkeypatch):
    objects = results_keys.objects()
    monkeypatch.setattr(results_keys, "objects", lambda: objects | {"elsewhere": {}})
    with pytest.raises(ValueError, match="elsewhere"):
        results_reference.page()
