"""The default lane's stratified choice of catalogued variants (``descent.authoring.sample``):
every stratum represented, the same ids whatever the order, ids asked for by name taken too."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from descent import catalogue, registry
from descent.authoring import sample
from descent.variants import Variant

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

KIT = Path(__file__).resolve().parents[2]
catalogue.load(KIT / "graders" / "catalogue")
catalogue.load(KIT / "graders" / "corpus")
EVERY = catalogue.variants()
CHOSEN = sample.choose(EVERY)


def _exercises(variants, kind) -> set[str]:
    return {v.exercise for v in variants if v.kind == kind}


@pytest.mark.parametrize("kind", catalogue.KINDS)
def test_every_exercise_of_every_kind_is_chosen(kind):
    assert _exercises(CHOSEN, kind) == _exercises(EVERY, kind)


@pytest.mark.parametrize("kind", catalogue.BUGGY)
def test_every_generic_kind_a_bug_is_labelled_with_is_chosen(kind):
    labels = {g for v in EVERY if v.kind == kind for g in v.generic}
    assert labels and labels == {g for v in CHOSEN if v.kind == kind for g in v.generic}


def test_both_point_rules_literal_classic_in_place_and_hollow_forms_are_chosen():
    bugs = [v for v in CHOSEN if v.kind == catalogue.BUG]
    for wrong_on in catalogue.WRONG_ON:
        assert {v.exercise for v in bugs if v.wrong_on == wrong_on} == {
            v.exercise for v in EVERY if v.kind == catalogue.BUG and v.wrong_on == wrong_on
        }
    assert {v.id for v in EVERY if v.literal or v.classic} <= {v.id for v in CHOSEN}
    edits = {v.module for v in EVERY if v.kind == catalogue.BUG and sample.EDITS in v.generic}
    assert edits == {v.module for v in bugs if sample.EDITS in v.generic}

    def forms(variants):
        return {sample._hollow_form(v) for v in variants if v.kind == catalogue.HOLLOW}

    assert forms(CHOSEN) == forms(EVERY)


def test_it_is_a_sample_and_the_same_whatever_the_order():
    assert len(CHOSEN) < len(EVERY) / 2
    shuffled = EVERY[:]
    random.Random(7).shuffle(shuffled)
    assert {v.id for v in sample.choose(shuffled)} == {v.id for v in CHOSEN}


def test_a_new_variant_moves_the_choice_only_in_its_strata():
    exercise = next(iter(registry.EXERCISES))
    new = Variant("zz_new_bug", exercise, "a bug added later", catalogue.BUG, wrong_on="edge")
    before, after = {v.id for v in CHOSEN}, {v.id for v in sample.choose([*EVERY, new])}
    moved = before ^ after
    assert all(catalogue.get(i).exercise == exercise for i in moved - {"zz_new_bug"}), moved


def test_ids_asked_for_are_taken_and_an_unknown_id_is_refused():
    outside = next(v for v in EVERY if v not in CHOSEN)
    assert outside in sample.choose(EVERY, [outside.id])
    with pytest.raises(KeyError, match="no_such_variant"):
        sample.choose(EVERY, ["no_such_variant"])


def test_a_variant_taken_for_one_stratum_stands_for_its_exercise_in_the_others():
    # every exercise has a literal alternative (always taken), so no other alternative is
    alternatives = {v.id for v in CHOSEN if v.kind == catalogue.ALTERNATIVE}
    assert alternatives == {v.id for v in EVERY if v.literal}
