"""The slice-by-slice and entry-by-entry hypotheses of ``descent.diagnoses.slice``: each names
its mistake on a result built from a textbook formula (a normalization, a softmax, a clamp) and
stays silent on a near miss that lacks its pattern."""

import pytest
import torch

from descent.diagnoses import slice as slice_diagnoses
from descent.diagnoses.values import Inputs, diagnose

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def seeded(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


X = seeded(6, 7) * 3 + 1  # 6 rows of 7 features
GAMMA, BETA = seeded(7, seed=1), seeded(7, seed=2)
DY = seeded(6, 7, seed=3)


def layer_norm(x, *, eps=1e-5, eps_outside=False, unbiased=False):
    """Rows of ``x`` normalized, scaled by GAMMA and shifted by BETA, and the pieces the
    backward pass needs."""
    mu = x.mean(-1, keepdim=True)
    var = x.var(-1, keepdim=True, unbiased=unbiased)
    std = var.sqrt() + eps if eps_outside else (var + eps).sqrt()
    xhat = (x - mu) / std
    return GAMMA * xhat + BETA, xhat, std


def layer_norm_dx(dy, x, *, mean_term=True, var_term=True):
    _, xhat, std = layer_norm(x)
    g = dy * GAMMA
    dx = g
    if mean_term:
        dx = dx - g.mean(-1, keepdim=True)
    if var_term:
        dx = dx - xhat * (g * xhat).mean(-1, keepdim=True)
    return dx / std


NORM_INPUTS = Inputs(tensors=[("x", X), ("gamma", GAMMA), ("beta", BETA)])
GRAD_INPUTS = Inputs(tensors=[("x", X), ("gamma", GAMMA), ("dy", DY)])


def test_each_slice_scaled_by_its_own_factor_names_the_normalizer():
    tiny = X * 1e-3  # rows of tiny spread: eps outside the sqrt shows
    inputs = Inputs(tensors=[("x", tiny), ("gamma", GAMMA), ("beta", BETA)])
    found = slice_diagnoses.slice_factor(
        layer_norm(tiny)[0], layer_norm(tiny, eps_outside=True)[0], inputs
    )
    assert found.kind == "factor" and "eps added after the square root" in found.text
    assert "dimension 1" in found.text and "apart from `beta`" in found.text
    # through the whole chain of tiers, nothing tensor-wide explains it first
    assert diagnose(layer_norm(tiny)[0], layer_norm(tiny, eps_outside=True)[0], inputs).kind == (
        "factor"
    )


def test_a_variance_divided_by_n_minus_1_is_named_from_its_factor():
    found = slice_diagnoses.slice_factor(
        layer_norm(X)[0], layer_norm(X, unbiased=True)[0], NORM_INPUTS
    )
    assert found.kind == "factor" and "7/6" in found.text and "n - 1" in found.text


def layer_norm_by(x, normalizer):
    """Rows of ``x`` centred, divided by ``normalizer(var)`` and scaled and shifted."""
    xc = x - x.mean(-1, keepdim=True)
    return GAMMA * xc / normalizer(xc.pow(2).mean(-1, keepdim=True)) + BETA


@pytest.mark.parametrize(
    ("normalizer", "named"),
    [
        (lambda var: var.sqrt(), "eps left out: sqrt(var) where sqrt(var + eps) belongs"),
        (lambda var: var.sqrt() + 1e-5, "eps added after the square root"),
        (lambda var: (7 * var + 1e-5).sqrt(), "sum of squares where its mean belongs (7 times"),
    ],
)
def test_the_normalizer_is_read_from_the_factors_when_one_form_gives_them(normalizer, named):
    tiny = X * 1e-2  # rows of small spread: eps's place shows in the factors
    inputs = Inputs(
        tensors=[("x", tiny), ("gamma", GAMMA), ("beta", BETA)], numbers=[("eps", 1e-5)]
    )
    e = layer_norm_by(tiny, lambda var: (var + 1e-5).sqrt())
    found = slice_diagnoses.slice_factor(e, layer_norm_by(tiny, normalizer), inputs)
    assert found.kind == "factor" and named in found.text
    assert "several" not in found.text and "or of another value" not in found.text


def test_a_normalizer_of_no_form_keeps_the_list_of_what_it_may_be():
    tiny = X * 1e-2
    inputs = Inputs(
        tensors=[("x", tiny), ("gamma", GAMMA), ("beta", BETA)], numbers=[("eps", 1e-5)]
    )
    e = layer_norm_by(tiny, lambda var: (var + 1e-5).sqrt())
    got = layer_norm_by(tiny, lambda var: (var + 3e-5).sqrt())  # eps of another value
    found = slice_diagnoses.slice_factor(e, got, inputs)
    assert found.kind == "factor" and "or of another value" in found.text


def test_a_factor_that_is_not_one_per_slice_is_no_normalizer():
    e = layer_norm(X)[0]
    got = BETA + (e - BETA) * (1 + 0.1 * seeded(6, 7, seed=9))  # another factor per entry
    assert slice_diagnoses.slice_factor(e, got, NORM_INPUTS) is None
    # one same factor for the whole result with nothing added is the factor hypothesis's
    assert slice_diagnoses.slice_factor(e, 1.1 * e, Inputs()) is None


def test_a_backward_without_the_path_through_the_mean_is_a_term():
    e = layer_norm_dx(DY, X)
    found = slice_diagnoses.slice_term(e, layer_norm_dx(DY, X, mean_term=False), GRAD_INPUTS)
    assert found.kind == "term" and "by a constant" in found.text and "dimension 1" in found.text
    found = slice_diagnoses.slice_term(e, layer_norm_dx(DY, X, var_term=False), GRAD_INPUTS)
    assert found.kind == "term" and "a multiple of `x`" in found.text
    assert diagnose(e, layer_norm_dx(DY, X, var_term=False), GRAD_INPUTS).kind == "term"


def layer_norm_dx_scaled(dy, x, mean_scale, var_scale):
    """A layer norm's dx whose paths through the mean and the variance are scaled."""
    _, xhat, std = layer_norm(x)
    g = dy * GAMMA
    mean = g.mean(-1, keepdim=True)
    var = xhat * (g * xhat).mean(-1, keepdim=True)
    return (g - mean_scale * mean - var_scale * var) / std


def test_statistic_paths_of_one_wrong_size_are_read_as_a_count():
    e = layer_norm_dx(DY, X)
    # the means of the backward taken over the 6 rows where the 7 entries of a row belong
    found = slice_diagnoses.slice_term(e, layer_norm_dx_scaled(DY, X, 7 / 6, 7 / 6), GRAD_INPUTS)
    assert found.kind == "term" and "7/6" in found.text and "divided by 6" in found.text
    # both paths twice their size: a factor, no count
    found = slice_diagnoses.slice_term(e, layer_norm_dx_scaled(DY, X, 2, 2), GRAD_INPUTS)
    assert "2 times the expected's" in found.text and "divided by" not in found.text
    # near miss: one path scaled by a plain factor fits no power of the std: missing or extra
    found = slice_diagnoses.slice_term(e, layer_norm_dx_scaled(DY, X, 2, 1), GRAD_INPUTS)
    assert "missing or extra" in found.text and "times the expected's" not in found.text


def test_one_statistic_path_off_by_a_power_of_the_std_is_named():
    _, _, std = layer_norm(X)
    e = layer_norm_dx(DY, X)
    # the mean's path multiplied by std where it is divided: std**2 times its size, per row
    got = layer_norm_dx_scaled(DY, X, std**2, 1)
    found = slice_diagnoses.slice_term(e, got, GRAD_INPUTS)
    assert "path through the slice's mean is multiplied by the slice's std" in found.text
    # and with the variance's path a hair off too (an eps left out of one power of it)
    got = layer_norm_dx_scaled(DY, X, std**2, 1 + 1e-4 * std)
    found = slice_diagnoses.slice_term(e, got, GRAD_INPUTS)
    assert "mean is multiplied by the slice's std" in found.text and "off as well" in found.text
    got = layer_norm_dx_scaled(DY, X, 1, 1 / std)
    found = slice_diagnoses.slice_term(e, got, GRAD_INPUTS)
    assert "path through the slice's variance is divided by the slice's std once more" in (
        found.text
    )


def test_a_difference_that_is_not_per_slice_is_no_term():
    e = layer_norm_dx(DY, X)
    assert slice_diagnoses.slice_term(e, e + 0.1 * seeded(6, 7, seed=5), GRAD_INPUTS) is None
    # one constant for every slice is a plain offset, not a per-slice statistic
    assert slice_diagnoses.slice_term(e, e + 0.25, GRAD_INPUTS) is None


def softmax_backward(dy, y, *, diagonal_only=False):
    if diagonal_only:
        return y * (1 - y) * dy
    return y * (dy - (dy * y).sum(-1, keepdim=True))


def test_a_jacobian_cut_to_its_diagonal():
    y = X.softmax(-1)
    inputs = Inputs(tensors=[("y", y), ("dy", DY)])
    e = softmax_backward(DY, y)
    found = slice_diagnoses.slice_sums(e, softmax_backward(DY, y, diagonal_only=True), inputs)
    assert found.kind == "term" and "diagonal of the Jacobian" in found.text
    assert "`dy`" in found.text


def test_a_backward_that_hands_its_upstream_gradient_back_is_said_so():
    """(a held-out course whose softmax layer returns `dout`, its Jacobian folded into the
    loss) the result is the upstream gradient itself: said so, not as a diagonal kept; a
    result merely of its signs is still the diagonal."""
    y = X.softmax(-1)
    inputs = Inputs(tensors=[("y", y), ("dy", DY)])
    found = slice_diagnoses.slice_sums(softmax_backward(DY, y), DY.clone(), inputs)
    assert found.kind == "term" and "`dy` as it was given, unchanged" in found.text
    assert "diagonal" not in found.text
    halved = slice_diagnoses.slice_sums(softmax_backward(DY, y), DY / 2, inputs)
    assert "diagonal of the Jacobian" in halved.text


def test_slices_that_sum_to_zero_along_another_dimension_are_a_reduction():
    y = X.softmax(-1)
    e = softmax_backward(DY, y)
    got = X.softmax(0) * (DY - (DY * X.softmax(0)).sum(0, keepdim=True))
    found = slice_diagnoses.slice_sums(e, got, Inputs(tensors=[("dy", DY)]))
    assert found.kind == "reduction" and "dimension 0 where dimension 1 belongs" in found.text


def test_sums_that_miss_zero_without_the_diagonal_sign_say_nothing():
    y = X.softmax(-1)
    e = softmax_backward(DY, y)
    got = e + 0.1 * seeded(6, 7, seed=4)  # some other slip: signs unrelated to dy
    assert slice_diagnoses.slice_sums(e, got, Inputs(tensors=[("dy", DY)])) is None


def test_one_entry_with_its_sign_flipped():
    expected = torch.tensor([1.0, -1.0, 1.0], dtype=torch.float64)  # grads of a - b, and out
    found = diagnose(expected.tolist(), [1.0, 1.0, 1.0], Inputs())
    assert found.kind == "sign" and "1 of 3 entries" in found.text
    # an entry that is wrong in another way as well: no sign pattern
    assert (
        slice_diagnoses.signs_flipped(expected, torch.tensor([1.0, 1.0, 2.0]).double(), Inputs())
        is None
    )
    # every entry flipped is the tensor-wide factor -1, not this
    assert slice_diagnoses.signs_flipped(expected, -expected, Inputs()) is None


def huber_grad(d, delta, *, slope_one=False):
    linear = torch.sign(d) * (1.0 if slope_one else delta)
    return torch.where(d.abs() <= delta, d, linear)


def test_a_branch_past_a_threshold():
    d = torch.linspace(-3, 3, 12, dtype=torch.float64).reshape(4, 3)
    found = slice_diagnoses.wrong_past_threshold(
        huber_grad(d, 1.5), huber_grad(d, 1.5, slope_one=True), Inputs(tensors=[("d", d)])
    )
    assert found.kind == "branch" and "|`d`| is large" in found.text


def test_an_error_that_only_vanishes_with_the_values_is_no_threshold():
    x = torch.tensor([0.0, 1e-12, -1e-12, 0.5, -1.0, 2.0, 3.0, -4.0], dtype=torch.float64)
    x = x.reshape(4, 2)
    e = torch.tanh(x)
    got = torch.tanh(x / 2)  # right only where x is (nearly) 0
    assert slice_diagnoses.wrong_past_threshold(e, got, Inputs(tensors=[("x", x)])) is None


def test_a_relu_where_none_belongs():
    branch = seeded(6, 7, seed=6)
    found = slice_diagnoses.clamped_difference(X + branch, X + branch.clamp_min(0), NORM_INPUTS)
    assert found.kind == "branch" and "larger of the expected and `x`" in found.text
    # a single number clamped at 0 is no pattern
    zero, one = torch.tensor(0.0).double(), torch.tensor(0.4).double()
    assert slice_diagnoses.clamped_difference(one, zero, Inputs()) is None


def test_one_gradient_left_at_zero_is_no_clamp():
    # a - b through a backward pass that visits b before its gradient arrives: b's -1 stays 0,
    # which a clamp at 0 would also give; one entry does not tell the two apart
    expected = torch.tensor([1.0, -1.0, 1.0, 1.0], dtype=torch.float64)
    got = torch.tensor([1.0, 0.0, 1.0, 1.0], dtype=torch.float64)
    assert slice_diagnoses.clamped_difference(expected, got, Inputs()) is None
    two = torch.tensor([1.0, -1.0, -2.0, 1.0], dtype=torch.float64)
    found = slice_diagnoses.clamped_difference(two, two.clamp_min(0), Inputs())
    assert found.kind == "branch"


def test_items_returned_where_their_count_is_asked_for():
    found = diagnose([2, 3], [["a", "b"], ["c", "d", "e"]], Inputs())
    assert found.kind == "structure" and "their count" in found.text
    assert slice_diagnoses.items_for_their_count(3, ["a", "b"]) is None  # a list of another length


def test_none_where_a_zero_belongs():
    found = diagnose([12.0, 0.0, 1.0], [12.0, None, 1.0], Inputs())
    assert found.kind == "structure" and "None where the expected holds 0" in found.text
    assert slice_diagnoses.none_for_zero([12.0, 0.5, 1.0], [12.0, None, 1.0]) is None


def test_a_sequence_that_goes_wrong_from_a_step_on_is_no_threshold():
    # a trajectory whose values grow: wrong from step 2 on, so "wrong where |w| is large" too
    expected = torch.tensor([1.0, -1.4, 1.96, -2.74, 3.84, -5.38], dtype=torch.float64)
    got = torch.cat([expected[:2], torch.tensor([-3.8, -6.2, -8.6, -11.0]).double()])
    expected, got = expected.outer(torch.ones(2).double()), got.outer(torch.ones(2).double())
    assert (
        slice_diagnoses.wrong_past_threshold(expected, got, Inputs()) is None
    )  # 6 steps of 2 values
    # a 1-D sequence whose large values, around a peak, are wrong: no threshold either
    peak = torch.tensor([0.1, 0.5, 1.0, 0.9, 0.5, 0.1], dtype=torch.float64)
    moved = torch.tensor([0.1, 0.5, 0.8, 0.7, 0.5, 0.1], dtype=torch.float64)
    assert slice_diagnoses.wrong_past_threshold(peak, moved, Inputs()) is None


def test_a_count_where_a_sum_of_values_belongs():
    dy = seeded(5, 4, seed=8)
    inputs = Inputs(tensors=[("dy", dy)])
    found = slice_diagnoses.counts_for_values(dy.sum(0), torch.full((4,), 5.0).double(), inputs)
    assert found.kind == "factor" and "5 everywhere" in found.text and "`dy`" in found.text
    # a constant that is no dimension's size is no count
    assert (
        slice_diagnoses.counts_for_values(dy.sum(0), torch.full((4,), 7.0).double(), inputs) is None
    )


def test_fold_sizes_are_no_threshold_and_no_count():
    folds = torch.tensor([11.0, 11, 11, 10, 10, 10, 10, 10, 10, 10], dtype=torch.float64)
    got = torch.full((10,), 10.0, dtype=torch.float64)  # the remainder dropped
    assert slice_diagnoses.wrong_past_threshold(folds, got, Inputs()) is None
    # 10 is also the size of the result: a coincidence of counts, not a sum of values
    assert slice_diagnoses.counts_for_values(folds, got, Inputs(tensors=[("folds", folds)])) is None
