"""Diagnoses named by the kind of the failed check alone (``descent.diagnoses.check``): what an
``arguments unchanged``, a reproducibility or an ``errors`` check watches is the mistake itself."""

import pytest

from descent.diagnoses.check import BY_CHECK, modified, refused, unseeded

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

ALIKE = "generators seeded alike gave different results"


def test_each_check_kind_names_its_own_mistake():
    assert BY_CHECK["arguments unchanged"]("").kind == "inplace"
    assert BY_CHECK["reproducibility"](ALIKE) == BY_CHECK["reproducible"](ALIKE) == unseeded(ALIKE)
    assert BY_CHECK["errors"]("") == refused(None)
    assert "an in-place operation" in modified().text
    assert "generator=generator" in unseeded(ALIKE).text
    assert "values" not in BY_CHECK  # a value check is read by its values, not by its kind


def test_draws_are_blamed_only_when_seeds_alike_disagree():
    assert unseeded(ALIKE).kind == "random"
    # different seeds giving the same result has several causes (a result with no draw at all)
    assert unseeded("different seeds gave the same result") is None
    assert BY_CHECK["reproducibility"]("") is None


def test_a_refusal_names_what_the_call_did_instead():
    returned = refused(None)
    assert returned.kind == "validation" and "accepts arguments it must refuse" in returned.text
    other = refused(ZeroDivisionError)
    assert other.kind == "validation"
    assert "the ZeroDivisionError came from deeper in the computation" in other.text
