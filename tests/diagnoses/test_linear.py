"""The value hypotheses of ``descent.diagnoses.linear``: a result read as a linear function of
the expected one (zero, a constant factor named by what it is, a factor entry by entry, a
complement, a term, an offset); each names its mistake, and whole numbers and rounding-sized
factors name nothing."""

import pytest
import torch

from descent.diagnoses import linear
from descent.diagnoses.values import Inputs, diagnose, inputs_of

from .test_values import INPUTS, E, X, kind, seeded

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.mark.parametrize(
    "factor, expected_kind, words",
    [
        (5.0, "sum-mean", "5 times the expected, and 5 is the size of dimension 0"),
        (1 / 3, "sum-mean", "divided by 3, and 3 is the size of dimension 1"),
        # the gradient of a halved squared error, left undivided (four held-out NYU MSEs)
        (7.5, "sum-mean", "15/2 times the expected, and 15 is the number of elements of `x`"),
        (-1.0, "sign", "sign flipped"),
        (2.0, "factor", "twice"),
        (0.5, "factor", "half"),
        (0.7, "factor", "times (1 - `p`)"),
        (1 / 0.7, "factor", "divided by (1 - `p`)"),
        (3.17, "factor", "times a constant (3.17)"),
    ],
)
def test_constant_factors_are_named(factor, expected_kind, words):
    found = diagnose(E, factor * E, INPUTS)
    assert found.kind == expected_kind and words in found.text


def test_a_single_number_is_not_called_an_arbitrary_multiple():
    assert (
        kind(torch.tensor(2.0, dtype=torch.float64), torch.tensor(3.3, dtype=torch.float64)) is None
    )
    # ...but a named factor of a single number still is
    assert kind(2.0, 10.0) == "sum-mean"


def test_zero_everywhere():
    assert kind(E, torch.zeros_like(E)) == "zero"


def test_one_value_missed_is_no_zero_pattern():
    assert kind([0.001, 0.0, 0.0], [0.0, 0.0, 0.0], Inputs()) != "zero"


def test_a_missing_term_proportional_to_an_argument():
    assert "missing + `x`" in diagnose(E + X, E, INPUTS).text  # a skip path left out
    found = diagnose(E, E - 0.01 * X, INPUTS)  # weight decay, say
    assert found.kind == "term" and "-0.01 times `x`" in found.text


def test_a_constant_offset():
    assert kind(E, E + 0.25) == "offset"


def test_a_missing_scalar_upstream_gradient_is_named_by_its_argument():
    dloss = torch.tensor(0.37, dtype=torch.float64)
    found = diagnose(E * 0.37, E, inputs_of(lambda m: m.f(X, dloss)))
    assert found.kind == "factor" and "a factor `dloss` is missing" in found.text


def test_a_backward_missing_both_the_mean_and_the_upstream_gradient_names_both():
    """``softmax - onehot`` for ``dloss * (softmax - onehot) / N`` (held-out learners of
    *Grokking Deep Learning*) was "the expected times a constant (2.941)", with no cause."""
    dloss = torch.tensor(1.7, dtype=torch.float64)
    found = diagnose(E * 1.7 / 5, E, inputs_of(lambda m: m.f(X, dloss)))
    assert found.kind == "factor" and "times 5 and divided by `dloss`" in found.text
    assert "two factors are missing" in found.text
    # near misses: either factor alone is named alone, and a whole-number argument is no factor
    assert "two factors" not in diagnose(E / 5, E, inputs_of(lambda m: m.f(X, dloss))).text
    whole = diagnose(E * 3 / 5, E, Inputs(tensors=[("x", X)], numbers=[("steps", 3.0)]))
    assert whole is None or "`steps`" not in whole.text


def test_a_factor_that_is_also_a_dimension_size_is_not_resolved_by_guessing():
    found = diagnose(E, 5 * E, Inputs(numbers=[("lam", 0.2)]))  # 5 rows, 1/lam = 5
    assert found.kind == "ambiguous" and "divided by `lam`" in found.text
    assert "size of dimension 0" in found.text
    assert found.text.count("several explanations") == 1


def test_a_count_twice_another_is_not_a_factor_2():
    assert diagnose(8, 4, Inputs()) is None
    assert kind(0.75, 1.5, Inputs()) == "factor"  # a loss counted twice still is


def test_a_multiple_of_the_expected_is_a_factor_not_a_term():
    grads = seeded(4, 3)
    found = diagnose(0.5 * grads, 0.7 * grads, Inputs(tensors=[("grads", grads)]))
    assert found.kind == "factor"


def test_a_count_that_is_a_whole_argument_times_another_is_no_evidence():
    assert diagnose(6, 2, Inputs(numbers=[("patience", 3.0)])) is None


def test_a_factor_missing_entry_by_entry():
    dy = seeded(5, 3, seed=3)
    local = 1 - torch.tanh(X) ** 2
    inputs = Inputs(tensors=[("x", X), ("dy", dy)])
    found = diagnose(dy * local, local, inputs)  # the upstream gradient left out
    assert found.kind == "factor" and "a factor `dy` is missing" in found.text
    assert "applied once too often" in diagnose(local, dy * local, inputs).text
    # the mask itself returned for the masked gradient: the same missing factor
    assert "`dy` is missing" in diagnose(dy * (X > 0), (X > 0).double(), inputs).text


def test_a_complement_where_the_value_belongs():
    p = torch.sigmoid(X)
    found = diagnose(p, 1 - p, INPUTS)  # sigmoid(-x) for sigmoid(x)
    assert found.kind == "sign" and "1 minus the expected" in found.text
    silu = X * torch.sigmoid(X)
    found = diagnose(silu, X * torch.sigmoid(-X), INPUTS)  # x * (1 - s) for x * s
    assert found.kind == "sign" and "`x` minus the expected" in found.text


def test_counts_in_another_order_are_no_complement():
    assert kind([3, 3, 2, 2], [2, 2, 3, 3], Inputs()) == "order"  # fold sizes moved


def test_a_factor_within_rounding_of_1_is_never_named_after_a_tiny_argument():
    assert diagnose(E, E * (1 - 1e-5), Inputs(numbers=[("eps", 1e-5)])) is None


def test_tiny_values_are_compared_at_their_own_scale():
    tiny = seeded(6, seed=4) * 1e-20
    assert diagnose(tiny, seeded(6, seed=5) * 1e-32, Inputs()) is None  # no factor 1e-12
    assert kind(tiny, 2 * tiny, Inputs()) == "factor"


def test_each_hypothesis_reads_two_tensors_of_one_shape_on_its_own():
    """Called alone, as a tier calls it: a fit, and a near miss that names nothing."""
    assert linear.constant_factor(E, 2 * E, INPUTS).kind == "factor"
    assert linear.constant_factor(E, 2 * E + 1e-3 * X, INPUTS) is None  # no one constant
    assert linear.extra_or_missing_term(E, E - 0.01 * X, INPUTS).kind == "term"
    assert linear.complement_of_expected(E, 1 - E, INPUTS).kind == "sign"
    assert linear.constant_offset(E, E + 0.25, INPUTS).kind == "offset"
    assert linear.all_zero(E, torch.zeros_like(E), INPUTS).kind == "zero"
    assert linear.all_zero(E, 0 * E + 1e-9, INPUTS) is None


def test_a_term_is_not_fitted_to_the_one_entry_where_its_argument_is_not_zero():
    """x = [0, 1]: any difference at the second entry is some `a * x`, so a fit there tests
    nothing (tanh's derivative taken at x, 1 - x^2, was told a term proportional to x)."""
    x = torch.tensor([0.0, 1.0], dtype=torch.float64)
    expected = 1 - torch.tanh(x) ** 2
    two_points = Inputs(tensors=[("x", x)])
    assert linear.extra_or_missing_term(expected, 1 - x * x, two_points) is None
    three = torch.tensor([0.0, 1.0, -2.0], dtype=torch.float64)  # two entries test the fit
    term = linear.extra_or_missing_term(torch.tanh(three), torch.tanh(three) - 0.3 * three,
                                        Inputs(tensors=[("x", three)]))  # fmt: skip
    assert term is not None and term.kind == "term"
