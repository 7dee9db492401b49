"""Generic diagnoses of results made of several items (``descent.item_diagnoses``), of a list
argument cut to one item (``descent.cut_diagnoses``), of a random helper's result reused
(``descent.reuse_diagnoses``), of draws made in another order (``descent.draw_order_diagnoses``), of an activation's last call
left out (``descent.last_call_diagnoses``), of what a training run reports (``descent.training_diagnoses``),
of two draws where one belongs (``stat_diagnoses.redrawn_values``) and of a None operand
(``exception_diagnoses.none_operand``): each names its mistake on values that show it (a fit) and
stays silent on values that come close but do not (a near miss)."""

import types

import pytest
import torch

from descent import exception_diagnoses, stat_diagnoses, training_diagnoses
from descent.cut_diagnoses import one_item_fits
from descent.diagnoses import Inputs, diagnose
from descent.impl import Implementation
from descent.item_diagnoses import extra_entry, handed_back, held_out_kept, zero_item
from descent.reuse_diagnoses import reused_helper_fits

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _g(seed=0):
    return torch.Generator().manual_seed(seed)


W = torch.randn(4, generator=_g(1), dtype=torch.float64)
B = torch.tensor(0.7, dtype=torch.float64)


# -- zero_item: one item of a tuple left at its zero start -------------------------------------
def test_a_tuple_item_left_at_zero_is_named():
    moved = W + torch.randn(4, generator=_g(2), dtype=torch.float64)  # w wrong, no pattern
    found = diagnose((W, B, [1.5, 1.25]), (moved, torch.zeros((), dtype=torch.float64), [1.5]))
    assert found is not None and found.kind == "zero"
    assert "item 1 of your result is exactly 0" in found.text


def test_zero_item_near_misses_are_silent():
    small = torch.tensor(1e-3, dtype=torch.float64)  # not exactly 0: not left at its start
    assert zero_item((W, B), (W + 0.1, small)) is None
    # whole numbers (an epoch of 0, a count) are values, not a start left unmoved
    assert zero_item((3, 1), (3, 0)) is None
    assert zero_item((W, torch.tensor(2.0)), (W + 0.1, torch.tensor(0.0))) is None
    # everything zero: no one item stands out
    assert zero_item((W, B), (torch.zeros(4, dtype=torch.float64), torch.zeros(()))) is None


# -- held_out_kept: what one item holds out kept in another -------------------------------------
def test_held_out_indices_kept_in_the_training_set_are_named():
    expected = (torch.tensor([3, 4, 5, 6, 7, 8]), torch.tensor([0, 1, 2]))
    got = (torch.arange(9), torch.tensor([0, 1, 2]))
    found = held_out_kept(expected, got)
    assert found is not None and found.kind == "branch"
    assert "every value of item 1" in found.text
    assert diagnose([expected], [got]).text == found.text  # reached through the nesting


def test_held_out_kept_near_miss_is_silent():
    expected = (torch.tensor([3, 4, 5, 6, 7, 8]), torch.tensor([0, 1, 2]))
    # one index more (a remainder handled wrong) is not the other item kept
    assert held_out_kept(expected, (torch.arange(2, 9), torch.tensor([0, 1]))) is None


# -- extra_entry: one entry more than an input's size ---------------------------------------------
def test_one_weight_more_than_the_columns_is_named():
    X = torch.randn(20, 3, dtype=torch.float64)
    inputs = Inputs(tensors=[("X", X)])
    found = diagnose(torch.randn(3, 1), torch.randn(4, 1), inputs)
    assert found is not None and found.kind == "structure"
    assert "dimension 1 of `X`" in found.text


def test_extra_entry_near_misses_are_silent():
    inputs = Inputs(tensors=[("X", torch.randn(20, 3, dtype=torch.float64))])
    assert extra_entry(torch.randn(3), torch.randn(5), inputs) is None  # two more
    assert extra_entry(torch.randn(4), torch.randn(5), inputs) is None  # no input of size 4
    assert extra_entry(torch.arange(3.0), torch.arange(4.0), inputs) is None  # indices


# -- handed_back: an argument returned unchanged -----------------------------------------------------
def test_an_argument_handed_back_is_named():
    y = torch.eye(5, dtype=torch.float64)
    found = handed_back(y, [y.clone(), y.clone()], "y_mixed", "y")
    assert found is not None and found.kind == "argument"
    assert "the `y` it was given, unchanged" in found.text
    assert handed_back(y, [y.clone(), y * 0.5], "y_mixed", "y") is None  # one call mixed


# -- one_item_fits: a list argument of which one item counts ---------------------------------------
def _penalty(params, first_only=False, last_only=False):
    used = params[:1] if first_only else params[-1:] if last_only else params
    return sum((w * w).sum() for w in used), [2 * w for w in params]


PARAMS = [torch.randn(3, generator=_g(i), dtype=torch.float64) for i in range(3)]


@pytest.mark.parametrize("which", ["first", "last"])
def test_only_one_item_of_a_list_counted_is_named(which):
    params = PARAMS  # an argument the recipe closes over

    def recipe(m):
        return tuple(m(params))

    got = tuple(_penalty(PARAMS, first_only=which == "first", last_only=which == "last"))
    fits = one_item_fits(recipe, got, lambda: recipe(_penalty), recipe(_penalty))
    assert len(fits) == 1 and fits[0].kind == "term"
    assert f"only the {which} item of `params` counts" in fits[0].text
    assert len(PARAMS) == 3  # put back


def test_one_item_fits_near_miss_is_silent():
    params = PARAMS

    def recipe(m):
        return tuple(m(params))

    loss, grads = _penalty(PARAMS, first_only=True)
    near = (loss * 1.001, grads)
    assert one_item_fits(recipe, near, lambda: recipe(_penalty), recipe(_penalty)) == []
    # the gradients wrong too, and not as a one-item run gives them: no partial fit
    wrong = (loss, [3 * w for w in PARAMS])
    assert one_item_fits(recipe, wrong, lambda: recipe(_penalty), recipe(_penalty)) == []


# -- reused_helper_fits: a random helper called once and its result reused ---------------------
def shuffle(n, generator):
    return torch.randperm(n, generator=generator)


def walk(n, epochs, generator):
    """A toy of a training loop: one shuffle per epoch, the orders concatenated."""
    return torch.cat([shuffle(n, generator).double() for _ in range(epochs)])


def walk_once(n, epochs, generator):
    order = shuffle(n, generator).double()
    return torch.cat([order for _ in range(epochs)])


class _Reference(Implementation):
    def __init__(self):
        super().__init__("toy reference")
        self.regression = types.SimpleNamespace(train_linear_regression=walk)

    def module(self, name):
        return self.regression if name == "regression" else types.SimpleNamespace()


def test_a_draw_reused_at_every_pass_is_named():
    def recipe(m):
        return m.module("regression").train_linear_regression(6, 4, _g(3))

    ref, exercise = _Reference(), "regression.train_linear_regression"
    got = walk_once(6, 4, _g(3))
    fits = reused_helper_fits(recipe, got, recipe(ref), ref, exercise)
    assert len(fits) == 1 and fits[0].kind == "random"
    assert "calls `shuffle` once and reuses its result" in fits[0].text
    # a near miss: fresh orders of another seed are no reuse
    assert reused_helper_fits(recipe, walk(6, 4, _g(4)), recipe(ref), ref, exercise) == []
    assert reused_helper_fits(recipe, got, recipe(ref), ref, None) == []


# -- stat_diagnoses.redrawn_values: two draws where one belongs -----------------------------------
def test_two_independent_draws_where_one_belongs_are_named():
    a, b = torch.rand(200, generator=_g(0)), torch.rand(200, generator=_g(1))
    found = stat_diagnoses.redrawn_values(a, b)
    assert found is not None and found.kind == "random"
    assert stat_diagnoses.redrawn_values(a, a.clone()) is None  # one draw
    assert stat_diagnoses.redrawn_values(a, 1 - a) is None  # related: the complement
    assert stat_diagnoses.redrawn_values(a, torch.full((200,), 0.5)) is None  # no draw


# -- training_diagnoses ------------------------------------------------------------------------------
def test_a_report_measured_on_another_argument_is_named():
    found = training_diagnoses.measured_on(0.25, "x_val", {"x_train": 0.2500001}, "loss")
    assert found is not None and found.kind == "argument" and "taken on x_train" in found.text
    assert training_diagnoses.measured_on(0.25, "x_val", {"x_train": 0.2501}, "loss") is None


def test_a_climbing_loss_history_is_named():
    found = training_diagnoses.climbing([1.0, 1.5, 3.0, 9.0, 40.0])
    assert found is not None and found.kind == "sign"
    assert training_diagnoses.climbing([1.0, 1.5, 1.4, 9.0, 40.0]) is None  # it falls once
    assert training_diagnoses.climbing([1.0, 1.5, 2.0, 3.0, 4.0]) is None  # not 10 times
    assert training_diagnoses.climbing([1.0, 2.0, 30.0, float("inf"), 40.0]) is None


# -- exception_diagnoses.none_operand --------------------------------------------------------------
def test_arithmetic_with_none_is_named():
    try:
        torch.ones(2) * None
    except TypeError as exc:
        found = exception_diagnoses.none_operand(exc)
    assert found is not None and found.kind == "branch"
    assert exception_diagnoses.none_operand(TypeError("unsupported operand type(s) for *")) is None
    assert exception_diagnoses.none_operand(ValueError("'NoneType'")) is None


def test_a_short_batch_handled_like_a_full_one_is_named():
    sizes = [4, 4, 2, 4, 4, 2]
    expected = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5]
    found = training_diagnoses.short_batch(expected, expected[:3] + [0.75, 0.6, 0.5], sizes)
    assert found is not None and found.kind == "edge"
    # wrong from the short batch itself, or one step later: not this mistake
    assert (
        training_diagnoses.short_batch(expected, expected[:2] + [0.85, 0.7, 0.6, 0.5], sizes)
        is None
    )
    assert training_diagnoses.short_batch(expected, expected[:4] + [0.65, 0.5], sizes) is None
    assert (
        training_diagnoses.short_batch(expected, expected[:3] + [0.75, 0.6, 0.5], [4] * 6) is None
    )


def test_a_checks_own_reader_names_what_no_hypothesis_does():
    from descent.checker import Checker
    from descent.compare import GradingFailure

    class _Impl(Implementation):
        def module(self, name):
            return types.SimpleNamespace()

    check = Checker(_Impl("student"), None, None)
    found = training_diagnoses.climbing([1.0, 2.0, 4.0, 8.0, 16.0])
    with pytest.raises(GradingFailure) as failure:
        check.matches(
            lambda m: ["a", "c"], "verdicts", expected=["a", "b"], generic=lambda got: found
        )
    failure.value.resolve()  # one check's reading: shown as what it observes
    assert failure.value.found.kind == "sign" and "observed: your reported" in str(failure.value)
    with pytest.raises(GradingFailure) as failure:  # a reader that cannot read the result
        check.matches(
            lambda m: ["a", "c"], "verdicts", expected=["a", "b"], generic=lambda got: got.x
        )
    assert failure.value.resolve().found is None


# -- draw_order_fits: the same draws made in another order -------------------------------------------
def experiment(seed, weights_first=False):
    """A toy of an experiment that draws an input and two weights from one generator."""
    g = torch.Generator().manual_seed(seed)
    if weights_first:
        w1, w2 = torch.randn(3, 3, generator=g), torch.randn(3, 3, generator=g)
        x = torch.randn(4, 3, generator=g)
    else:
        x = torch.randn(4, 3, generator=g)
        w1, w2 = torch.randn(3, 3, generator=g), torch.randn(3, 3, generator=g)
    return (x @ w1 @ w2).double()


class _Experiments(Implementation):
    def __init__(self):
        super().__init__("toy reference")
        self.diagnostics = types.SimpleNamespace(layer_gradient_norms=experiment)

    def module(self, name):
        return self.diagnostics if name == "diagnostics" else types.SimpleNamespace()


def test_draws_made_in_another_order_are_named():
    from descent.draw_order_diagnoses import draw_order_fits

    def recipe(m):
        return m.module("diagnostics").layer_gradient_norms(5)

    ref, exercise = _Experiments(), "diagnostics.layer_gradient_norms"
    got = experiment(5, weights_first=True)
    fits = draw_order_fits(recipe, got, recipe(ref), ref, exercise)
    assert len(fits) == 1 and fits[0].kind == "order"
    assert "the first draw made last" in fits[0].text
    # a near miss: the right order with another seed is no other order
    assert draw_order_fits(recipe, experiment(6), recipe(ref), ref, exercise) == []


# -- last_call_fits: the last call of an activation left out -------------------------------------------
def deep(x, depth, linear_last=False):
    """A toy of a network of ``depth`` tanh layers (the last one left linear on request)."""
    h = x
    for i in range(depth):
        z = h @ W_SQUARE
        h = z if linear_last and i == depth - 1 else torch.tanh(z)
    return h


W_SQUARE = torch.randn(4, 4, generator=_g(7), dtype=torch.float64)
X_DEEP = torch.randn(5, 4, generator=_g(8), dtype=torch.float64)


def test_the_last_activation_left_out_is_named():
    from descent.last_call_diagnoses import last_call_fits

    ref = _Experiments()
    ref.diagnostics.layer_gradient_norms = deep
    exercise = "diagnostics.layer_gradient_norms"

    def recipe(m):
        return m.module("diagnostics").layer_gradient_norms(X_DEEP, 3)

    fits = last_call_fits(recipe, deep(X_DEEP, 3, linear_last=True), recipe(ref), ref, exercise)
    assert len(fits) == 1 and fits[0].kind == "edge"
    assert "last call of torch.tanh is left out" in fits[0].text
    # a near miss: one layer fewer is no activation left out
    assert last_call_fits(recipe, deep(X_DEEP, 2), recipe(ref), ref, exercise) == []
