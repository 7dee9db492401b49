"""Diagnoses named by the kind of the failed check alone (``descent.diagnoses.check``): what an
``arguments unchanged``, a reproducibility or an ``errors`` check watches is the mistake itself."""

import pytest

from descent.diagnoses import order
from descent.diagnoses.check import edited_argument, refused, unseeded

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

ALIKE = "generators seeded alike gave different results"


def by_check(check: str, message: str):
    """What the reader the order declares for ``check`` finds in ``message``."""
    return order.function(order.BY_CHECK[check].function)(message)


def test_each_check_kind_names_its_own_mistake():
    assert by_check("arguments unchanged", "").kind == "inplace"
    assert by_check("reproducibility", ALIKE) == by_check("reproducible", ALIKE) == unseeded(ALIKE)
    assert by_check("errors", "") == refused(None)
    assert "an in-place operation" in edited_argument().text
    assert "generator=generator" in unseeded(ALIKE).text
    assert "values" not in order.BY_CHECK  # a value check is read by its values, not by its kind


def test_draws_are_blamed_only_when_seeds_alike_disagree():
    assert unseeded(ALIKE).kind == "random"
    # a dropout whose mask came from NumPy was told it drew from torch's global state (issue 55)
    assert "NumPy's or Python's" in unseeded(ALIKE).text
    # different seeds giving the same result has several causes (a result with no draw at all)
    assert unseeded("different seeds gave the same result") is None
    assert by_check("reproducibility", "") is None


def test_a_refusal_names_what_the_call_did_instead():
    returned = refused(None)
    assert returned.kind == "validation" and "accepts arguments it must refuse" in returned.text
    other = refused(ZeroDivisionError)
    assert other.kind == "validation"
    assert "the ZeroDivisionError came from deeper in the computation" in other.text


def test_a_generator_handed_back_is_named_as_a_generator_function():
    """A yield-based minibatches returns a generator instead of raising: its checks never ran,
    so "accepts arguments it must refuse" would send the student to checks that are there."""
    message = "minibatches(n=-1, batch_size=2, g) returned generator instead of raising ValueError"
    found = by_check("errors", message)
    assert found.kind == "validation" and "generator function (it has a yield)" in found.text
    assert "accepts arguments it must refuse" not in found.text
    assert by_check("errors", "f(-1) returned float instead of raising ValueError") == refused(None)
