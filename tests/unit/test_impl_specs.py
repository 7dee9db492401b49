"""``--impl KIND:ID`` names one catalogued variant: a typo or a variant of another kind says what to
give instead (the run stops with it before collection: tests/grading/test_plugin.py)."""

from __future__ import annotations

import pytest

from descent import catalogue
from descent.catalogue import BUG, HOLLOW, Variant

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.fixture
def toy_registry(monkeypatch):
    variants = {
        vid: Variant(vid, "losses.mse", "a title long enough", kind)
        for vid, kind in [
            ("mse_sum", BUG),
            ("mse_no_square", BUG),
            ("losses.mse.zeros", HOLLOW),
            ("losses.mse.ones", HOLLOW),
        ]
    }
    monkeypatch.setattr(catalogue, "_REGISTRY", variants)


def test_a_named_variant_of_its_kind_is_found(toy_registry):
    assert catalogue.named(BUG, "mse_sum").id == "mse_sum"


@pytest.mark.parametrize(
    "kind, vid, said",
    [
        (HOLLOW, "losses.mse.zero", "did you mean hollow:losses.mse.zeros"),
        (BUG, "mse_summ", "did you mean bug:mse_sum"),
        (HOLLOW, "nothing_like_it", "2 hollow variants are catalogued (hollow:* grades them all)"),
        (HOLLOW, "mse_sum", "mse_sum is a variant of kind bug: give bug:mse_sum"),
    ],
)
def test_a_typo_or_another_kind_says_what_to_give(toy_registry, kind, vid, said):
    with pytest.raises(KeyError) as raised:
        catalogue.named(kind, vid)
    assert said in raised.value.args[0]
