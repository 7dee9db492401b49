"""The catalogued variants' store (``descent.variants``): a variant is kept once under its id,
found by id, by kind and exercise, and applied to an implementation; how graders declare one
(``descent.catalogue``) is tested in ``unit/test_corpus.py`` and ``unit/test_impl_specs.py``."""

from __future__ import annotations

import pytest

from descent import catalogue, variants
from descent.variants import ALTERNATIVE, BUG, Variant

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.fixture
def store(monkeypatch):
    """An empty store for the test; the process's comes back after it."""
    monkeypatch.setattr(variants, "_REGISTRY", {})


def test_a_variant_is_kept_once_and_found_by_id_kind_and_exercise(store):
    bug = variants.keep(Variant("mse_sum", "losses.mse", "sums", BUG))
    alt = variants.keep(Variant("mse_loop", "losses.mse", "a loop", ALTERNATIVE))
    assert variants.get("mse_sum") is bug and variants.kept() == {"mse_sum": bug, "mse_loop": alt}
    assert variants.variants(ALTERNATIVE, "losses.mse") == [alt]
    assert variants.variants(BUG, "losses.cross_entropy") == []
    with pytest.raises(ValueError, match="declared twice"):
        variants.keep(Variant("mse_sum", "losses.mse", "again", BUG))
    with pytest.raises(KeyError, match="no catalogued variant"):
        variants.get("mse_mean")


def test_kept_is_a_copy(store):
    variants.keep(Variant("mse_sum", "losses.mse", "sums", BUG))
    variants.kept().clear()
    assert variants.get("mse_sum").id == "mse_sum"


def test_the_catalogue_declares_into_this_store(store):
    declared = catalogue.alternative("mse_loop", "losses.mse", "a loop")
    assert variants.get("mse_loop") is declared and catalogue.get is variants.get
