"""The records verification weighs (``descent.diagnoses.ledger``): one ledger per
implementation and exercise, a few passing comparisons kept per recipe, a record that knows
whether its recipe still gives what it gave, and ``agree``, the one test that a slip gives the
student's result (float64's last digits for float64 results, a looser match for float32)."""

import types

import pytest
import torch

from descent.diagnoses import ledger as ledger_mod
from descent.diagnoses.ledger import Ledger, Record, accepting, agree

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

X = torch.randn(4, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)


def test_agree_holds_float64_to_its_last_digits_and_float32_to_a_match():
    assert agree(X * 2, X * 2 * (1 + 1e-12))
    assert not agree(X * 2, X * 2 * (1 + 1e-7))  # another formula, in float64
    assert agree((X * 2).float(), (X * 2 * (1 + 1e-7)).float())  # float32: the match tolerance
    assert not agree((X * 2).float(), (X * 2.01).float())


def test_one_ledger_per_implementation_and_exercise_and_none_without_an_exercise():
    ledgers: dict = {}
    book = ledger_mod.ledger(ledgers, "student", "losses.mse")
    assert book is ledger_mod.ledger(ledgers, "student", "losses.mse")
    assert book is not ledger_mod.ledger(ledgers, "other", "losses.mse")
    assert ledger_mod.ledger(ledgers, "student", None) is None


def test_a_few_passing_comparisons_are_kept_per_recipe():
    def recipe(m):
        return m(X)

    book = Ledger("losses.mse")
    for _ in range(10):  # a property test passes dozens of examples
        book.passed(Record(recipe, X, X, False))
    assert len(book.records) == 4


def test_a_record_knows_whether_its_recipe_still_gives_what_it_gave():
    steps = [X]

    def drifting(impl):  # reads a list that grows after the check: another input by the end
        return impl(steps[-1])

    record = Record(drifting, X, 2 * X, True)
    steps.append(X + 1)
    assert not record.replays(lambda v: 2 * v)
    steady = Record(lambda impl: impl(X), X, 2 * X, True)
    assert steady.replays(lambda v: 2 * v)
    assert steady.reading().kind == "factor"  # read from the values alone: half the expected


def test_a_crash_is_held_as_a_failing_comparison_with_its_result():
    """The comparison a recipe could not make because the student's code raised: attached to
    the exception, then held by the ledger as failing and crashed; a stub's exception and an
    exception without attributes carry nothing."""
    book = Ledger("losses.mse")
    record = Record(lambda m: m.mse(), None, 1.0, True)
    error = ValueError("shapes differ")
    ledger_mod.attach(error, record)
    result = types.SimpleNamespace(message="your code raised ValueError")
    ledger_mod.crashed(book, error, result)
    assert book.crashed == [record] and record.result is result
    assert not book.records  # kept out of the weighing of claims
    stub = NotImplementedError()
    ledger_mod.attach(stub, Record(None, None, None, True))
    ledger_mod.crashed(book, stub, result)
    ledger_mod.crashed(book, KeyError("k"), result)  # raised where no check made a record
    assert len(book.crashed) == 1


def test_the_items_of_a_result_of_several_are_accepted_one_at_a_time():
    """Which outputs of ``(dx, dW, db)`` the check takes, each alone in the expected's place:
    how a repair search sees an edit that makes one output right and leaves another wrong."""
    expected = (torch.ones(2), torch.zeros(3), torch.full((2,), 5.0))
    record = Record(lambda impl: None, None, expected, failed=True)
    record.accepts = accepting(expected, rtol=1e-7, atol=1e-9)
    theirs = (torch.ones(2), torch.ones(3), torch.full((2,), 5.0))
    assert record.items_accepted(theirs) == {0, 2}
    assert record.items_accepted(expected) == {0, 1, 2}
    assert record.items_accepted(torch.ones(2)) == frozenset()  # one result: no items
    assert record.items_accepted(theirs[:2]) == frozenset()  # another structure
