"""Generic diagnoses that re-run the reference with a parameter of the exercise's functions
forced (``descent.diagnoses.parameter``): each names its mistake when the changed reference gives
the student's result, and stays silent on a near miss or when two different changes fit."""

import math
import types

import pytest
import torch

from descent.calls.impl import Implementation
from descent.diagnoses.base import Case
from descent.diagnoses.ledger import Ledger
from descent.diagnoses.parameter import parameter_fits
from descent.diagnoses.verified import settle
from descent.grading.checker import Checker
from descent.grading.compare import GradingFailure

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

X = torch.randn(4, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)


class _Reference(Implementation):
    """A reference whose modules are namespaces of plain functions."""

    def __init__(self, **modules):
        super().__init__("toy reference")
        self.modules = {name: types.SimpleNamespace(**fns) for name, fns in modules.items()}

    def module(self, name):
        return self.modules.get(name, types.SimpleNamespace())


def log_softmax_forward(x, dim=-1):
    return x.log_softmax(dim), None


LOSSES = _Reference(losses={"log_softmax_forward": log_softmax_forward})


def _one(fits):
    assert len(fits) == 1, fits
    return fits[0]


def test_an_argument_read_nowhere_is_its_default():
    def recipe(m):
        return m.losses.log_softmax_forward(X, dim=0)[0]

    expected = recipe(LOSSES)
    found = _one(
        parameter_fits(Case(recipe, X.log_softmax(-1), expected, LOSSES, "losses.log_softmax"))
    )
    assert found.kind == "argument"
    assert "`dim` at its default -1 whatever the call passes" in found.text
    # a near miss: twice the default's result is no argument's doing
    assert (
        parameter_fits(Case(recipe, 2 * X.log_softmax(-1), expected, LOSSES, "losses.log_softmax"))
        == []
    )
    # an exercise the kit does not know, or no exercise: nothing is re-run
    assert parameter_fits(Case(recipe, X.log_softmax(-1), expected, LOSSES, None)) == []


def calculate_gain(nonlinearity, param=None):  # a toy with a few options
    gains = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0)}
    if nonlinearity == "leaky_relu":
        return math.sqrt(2.0 / (1 + (0.01 if param is None else param) ** 2))
    if nonlinearity not in gains:
        raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")
    return gains[nonlinearity]


INIT = _Reference(init={"calculate_gain": calculate_gain})


def test_a_coincidence_to_a_few_digits_or_a_result_that_never_moves_names_nothing():
    def recipe(m):
        return m.losses.log_softmax_forward(X, dim=0)[0]

    expected = recipe(LOSSES)
    close = X.log_softmax(-1) * (1 + 1e-8)  # within the hypotheses' tolerance, not float64's
    assert parameter_fits(Case(recipe, close, expected, LOSSES, "losses.log_softmax")) == []

    def rates(m):  # a schedule that never changes the rate explains too much
        return [float(m.losses.log_softmax_forward(torch.zeros(3), dim=0)[0][0]) for _ in range(3)]

    assert (
        parameter_fits(Case(rates, [0.0, 0.0, 0.0], [1.0, 1.0, 1.0], LOSSES, "losses.log_softmax"))
        == []
    )


def test_the_checker_names_it_through_the_one_comparison():
    x = X  # closed over, as a grader's input is: the neighbour cuts it

    def recipe(m):
        return m.losses.log_softmax_forward(x, dim=0)[0]

    student = _Reference(
        losses={"log_softmax_forward": lambda x, dim=-1: (x.log_softmax(-1), None)}
    )
    book = Ledger("losses.log_softmax")
    with pytest.raises(GradingFailure) as info:
        Checker(student, LOSSES, "losses.log_softmax", ledger=book).matches(
            recipe, "log_softmax_forward output"
        )
    failure = info.value.resolve()
    assert failure.diagnosis is None and "likely mistake" not in str(failure)  # one comparison
    book.reported(failure, None)
    settle({("student", "losses.log_softmax"): book}, LOSSES)  # and the batch cut by one row
    assert failure.diagnosis == "argument" and "`dim` at its default -1" in str(failure)


def reduce_on_plateau_step(metrics, threshold=0.01, scale=2.0):  # a toy: rates over epochs
    lr, best, rates = scale, math.inf, []
    for metric in metrics:
        if metric < best * (1 - threshold):
            best = metric
        else:
            lr *= 0.5
        rates.append(lr)
    return rates


SCHEDULES = _Reference(schedules={"reduce_on_plateau_step": reduce_on_plateau_step})
METRICS = [1.0, 0.9, 0.95, 0.5, 0.49, 0.3]


def test_a_number_read_as_1_unless_every_value_beyond_does_the_same():
    def recipe(m):
        return m.schedules.reduce_on_plateau_step(METRICS, threshold=0.05, scale=3.0)

    expected, exercise = recipe(SCHEDULES), "schedules.reduce_on_plateau_step"
    got = reduce_on_plateau_step(METRICS, 0.05, 1.0)  # the scale left out
    found = _one(parameter_fits(Case(recipe, got, expected, SCHEDULES, exercise)))
    assert "`scale` = 1 whatever the call passes" in found.text
    # every threshold >= 1 halves the rate at every epoch: 1 is no better than 2
    halving = [3.0 * 0.5**k for k in range(1, 7)]
    assert (
        halving
        == reduce_on_plateau_step(METRICS, 1.0, 3.0)
        == reduce_on_plateau_step(METRICS, 2.0, 3.0)
    )
    assert parameter_fits(Case(recipe, halving, expected, SCHEDULES, exercise)) == []
    # a result of zeros has too many explanations
    assert parameter_fits(Case(recipe, [0.0] * 6, expected, SCHEDULES, exercise)) == []


def early_stopping(val_losses, patience, min_delta=0.0):  # (stop epoch or None, best epoch)
    best = 0
    for epoch, loss in enumerate(val_losses):
        if loss < val_losses[best] - min_delta:
            best = epoch
        if epoch - best == patience:
            return epoch, best
    return None, best


STOPPING = _Reference(regularization={"early_stopping": early_stopping})


def test_a_pair_of_epochs_is_too_little_to_name_a_parameter():
    losses = [1.0, 0.8, 0.7, 0.9, 0.95, 0.99]

    def recipe(m):
        return m.regularization.early_stopping(losses, 2, min_delta=0.15)

    expected = recipe(STOPPING)
    got = early_stopping(losses, 2)  # min_delta ignored, and many other slips give this pair
    assert got != expected
    assert (
        parameter_fits(Case(recipe, got, expected, STOPPING, "regularization.early_stopping")) == []
    )


def test_an_input_exactly_on_an_edge_of_the_value_passed_names_nothing():
    metrics = [1.0, 0.5, 0.2, 0.3]  # 0.5 is exactly 1.0 * (1 - 0.5): the edge of threshold=0.5

    def recipe(m):
        return m.schedules.reduce_on_plateau_step(metrics, threshold=0.5)

    def inclusive(metrics, threshold=0.01, scale=2.0):  # counts the edge as an improvement
        return reduce_on_plateau_step(metrics, threshold - 1e-12, scale)

    expected, got = recipe(SCHEDULES), inclusive(metrics, 0.5)
    assert got == reduce_on_plateau_step(metrics, 0.01)  # the default gives it too, by the edge
    assert got != expected
    assert (
        parameter_fits(Case(recipe, got, expected, SCHEDULES, "schedules.reduce_on_plateau_step"))
        == []
    )
