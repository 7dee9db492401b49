"""The seed of a test's inputs (``descent.grading.input_seed``): one per test, the same in every
process and run for the kit's own implementations; a grading of a submission mixes in a secret of
its own, so that answers read in one grading's feedback fit no other. (The key each test is seeded
by, the same on every device and for every implementation, is tested with the plugin.)"""

from __future__ import annotations

import pytest

from descent.grading import input_seed
from descent.grading.inputs import seed_for

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def test_a_seed_is_the_same_in_every_process():
    # Pinned: a seed drawn from Python's per-process string hash, or from anything else that
    # differs between runs, would change this number.
    assert seed_for("graders/test_losses.py::TestMSE::test_forward[3]") == 2113501023


def test_every_test_has_its_own_seed():
    keys = [
        "t.py::T::test_a[]",
        "t.py::T::test_b[]",
        "t.py::T::test_a[1]",
        "t.py::T::test_a[2]",
        "u.py::T::test_a[]",
    ]
    assert len({seed_for(k) for k in keys}) == len(keys)
    assert all(0 <= seed_for(k) < 2**31 for k in keys)


def test_a_submission_gets_a_fresh_secret_and_the_kit_none_unless_one_is_given():
    assert input_seed.choose(None, submission=False) == ""
    first, second = input_seed.choose(None, True), input_seed.choose(None, True)
    assert len(first) == 32 and first != second
    assert input_seed.choose("fixed", True) == "" and input_seed.choose("abc", False) == "abc"


def test_a_secret_changes_every_seed_and_the_same_secret_gives_them_again():
    name = "graders/test_losses.py::TestMSE::test_forward[3]"
    keyed = seed_for(name, "s3cret")
    assert keyed != seed_for(name) and keyed == seed_for(name, "s3cret")
    assert keyed != seed_for(name, "other") and 0 <= keyed < 2**31


def test_a_property_test_draws_from_the_secret_and_nothing_else_is_touched():
    from hypothesis import given
    from hypothesis import strategies as st

    @given(st.integers(0, 10**9))
    def prop(n):
        pass

    input_seed.seed_hypothesis(prop, "t.py::prop[]", "s3cret")
    assert prop._hypothesis_internal_use_seed == seed_for("t.py::prop[]", "s3cret")
    plain = lambda: None  # noqa: E731 - not a hypothesis test
    input_seed.seed_hypothesis(plain, "t.py::plain[]", "s3cret")
    kit_run = given(st.integers())(lambda n: None)
    input_seed.seed_hypothesis(kit_run, "t.py::k[]", "")  # the kit's own runs: no seed
    assert not hasattr(plain, "_hypothesis_internal_use_seed")
    assert getattr(kit_run, "_hypothesis_internal_use_seed", None) is None
