"""Generic diagnoses: each hypothesis names its mistake, stays silent on unrelated errors, and
never picks one explanation when two fit."""

import math

import pytest
import torch

from descent.diagnoses import check as check_diagnoses
from descent.diagnoses.base import Case, leaves, map_leaves
from descent.diagnoses.values import Diagnosis, Inputs, diagnose, inputs_of
from descent.grading import compare
from descent.grading.compare import GradingFailure

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def seeded(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


X = seeded(5, 3)  # a batch of 5 rows, 3 features
INPUTS = Inputs(tensors=[("x", X)], numbers=[("p", 0.3)])
E = seeded(5, 3, seed=1)  # the expected result


def kind(expected, got, inputs=INPUTS):
    found = diagnose(expected, got, inputs)
    return found.kind if found else None


def test_float32_precision():
    got = E.to(torch.float32).to(torch.float64)
    found = diagnose(E, got, Inputs())
    assert found.kind == "precision"
    # a float32 check is exempt: float32 values are what it expects
    e32 = E.to(torch.float32)
    assert diagnose(e32, e32 * (1 + 1e-6), Inputs()) is None


def test_two_explanations_are_never_resolved_by_guessing():
    # an exponential decay one step ahead is also the expected times gamma
    lrs = [0.5**t for t in range(6)]
    found = diagnose(lrs, [0.5 ** (t + 1) for t in range(6)], Inputs())
    assert found.kind == "ambiguous" and "half" in found.text and "one step ahead" in found.text
    # two arguments explain a missing term equally: say nothing
    assert kind(E, E + X, Inputs(tensors=[("x", X), ("y", X.clone())])) != "term"


def test_unrelated_errors_get_no_name():
    assert diagnose(E, seeded(5, 3, seed=7), INPUTS) is None
    assert diagnose(E, E, INPUTS) is None  # nothing to explain
    assert diagnose(E, E[:2], INPUTS) is None  # a shape the message covers
    assert diagnose(E * float("nan"), E, INPUTS) is None  # NaN expected: no claim
    assert diagnose("converges", "diverges", INPUTS) is None


def test_structures_are_diagnosed_at_their_first_difference():
    assert kind((E, X), (E, -X), Inputs()) == "sign"
    assert kind({"w": E, "b": X}, {"w": E, "b": 5 * X}, Inputs()) == "sum-mean"


def test_inputs_of_a_recipe_name_its_closure_and_constants():
    x, p = X, 0.3

    def recipe(m):
        return m.f(x, p, 0.25)

    found = inputs_of(recipe)
    assert [n for n, _ in found.tensors] == ["x"]
    assert ("p", 0.3) in found.numbers and ("a constant of the call", 0.25) in found.numbers


def test_a_reading_not_yet_verified_is_shown_as_an_observation():
    generic = Diagnosis("sum-mean", "your result is 5 times the expected: a sum for a mean")
    alone = GradingFailure("[x] differs", generic=lambda: generic).resolve()
    assert "observed: your result is 5 times the expected." in str(alone)
    assert "likely mistake" not in str(alone) and "a sum for a mean" not in str(alone)
    assert alone.diagnosis is None  # an observation names no kind


def test_the_failure_message_shows_a_generic_name_only_without_a_catalogued_one():
    generic = Diagnosis("sum-mean", "your result is 5 times the expected")
    alone = GradingFailure("[x] differs", generic=lambda: generic).resolve()
    alone.show(cause=generic.text, generic=generic.text, kind="sum-mean")
    assert "likely mistake: your result is 5 times the expected." in str(alone)
    both = GradingFailure("[x] differs", hint="the check's hint").resolve()
    both.show(
        cause="your result matches code that sums instead of averaging",
        generic=generic.text,
        kind="sum-mean",
        misconception="b",
        hint="divide",
    )
    assert "matches code that sums instead of averaging" in str(both)
    assert "5 times" not in str(both) and "hint: divide" in str(both)
    assert both.misconception == "b" and both.diagnosis == "sum-mean"  # the audit sees both
    both.show()  # decided again, with nothing verified: the check's own hint is back
    assert "hint: the check's hint" in str(both) and both.misconception is None


def test_a_grader_author_can_read_the_generic_name_where_a_catalogued_one_exists(monkeypatch):
    monkeypatch.setattr(compare, "_GENERIC_ONLY", True)
    generic = Diagnosis("sum-mean", "your result is 5 times the expected")
    failure = GradingFailure("[x] differs").resolve()
    failure.show(
        cause="your result matches code that sums instead of averaging",
        generic=generic.text,
        kind="sum-mean",
        misconception="b",
        hint="divide",
    )
    assert "likely mistake: your result is 5 times the expected." in str(failure)
    assert "sums instead of averaging" not in str(failure) and "divide" not in str(failure)
    assert failure.misconception == "b"  # still recorded: the audit's figures do not change


def test_nan_or_inf_where_the_expected_is_finite():
    got = E.clone()
    got[0, 0] = float("inf")
    assert kind(E, got) == "stability"


def test_an_infinite_loss_and_a_nan_one_point_at_different_causes():
    # (issue 50) a loss of +inf is a log of 0: the log of a softmax whose probability
    # underflowed; NaN is inf - inf or inf / inf, an exp that overflowed: they are not told alike
    loss = torch.tensor(1144.1, dtype=torch.float64)
    infinite = diagnose(loss, torch.tensor(math.inf, dtype=torch.float64), Inputs())
    assert infinite.kind == "stability" and "the log of a softmax" in infinite.text
    nan = diagnose(loss, torch.tensor(math.nan, dtype=torch.float64), Inputs())
    assert nan.kind == "stability" and "overflowed" in nan.text
    assert "the log of a softmax" not in nan.text


@pytest.mark.parametrize("floor", [1e-10, 1e-12, 1e-13, 1e-16])  # (issue 57) any power of ten
def test_a_loss_that_stops_at_the_log_of_a_floor_is_a_floored_probability(floor):
    # log(max(p, floor)) of a softmax: at large logits every true-class probability underflows
    # and the loss stops at -log(floor), however large the expected one
    got = torch.tensor(-math.log(floor), dtype=torch.float32).double()
    found = diagnose(torch.tensor(1144.1, dtype=torch.float64), got, Inputs())
    assert found.kind == "clamp" and f"-log({floor:g})" in found.text and found.fact
    # a log-softmax clamped entry by entry reads the same
    e = torch.tensor([[-0.5, -1500.0], [-900.0, -0.1]], dtype=torch.float64)
    g = e.clamp(min=math.log(floor))
    assert diagnose(e, g, Inputs()).kind == "clamp"
    # a value that merely lies near such a log is no floor
    assert diagnose(torch.tensor(1144.1, dtype=torch.float64), got + 0.5, Inputs()) is None or (
        diagnose(torch.tensor(1144.1, dtype=torch.float64), got + 0.5, Inputs()).kind != "clamp"
    )


def test_a_floor_s_log_that_is_another_floor_s_log_halved_says_both():
    # (a held-out PKU loss) -log(1e-10) / 2 is -log(1e-05): a floor at 1e-10 under a loss
    # averaged over two classes too reads as a floor at 1e-05, and the reading says both
    got = torch.tensor(-math.log(1e-10) / 2, dtype=torch.float64)
    found = diagnose(torch.tensor(35.0, dtype=torch.float64), got, Inputs())
    assert found.kind == "clamp" and "-log(1e-05)" in found.text
    assert "floored at 1e-10 with the result divided by 2" in found.text
    alone = diagnose(torch.tensor(35.0, dtype=torch.float64), got * 2, Inputs())
    assert alone.kind == "clamp" and "divided by" not in alone.text


def test_the_right_value_in_the_wrong_container():
    assert kind(E, (E, None, None)) == "structure"
    assert kind((E, X), X) == "structure"


class _Impl:
    """An implementation with one function, ``f``, for the checker."""

    def __init__(self, f):
        self.f = f


def _failure(f, recipe, expected):
    from descent.grading.checker import Checker

    with pytest.raises(GradingFailure) as info:
        Checker(_Impl(f), None, None).matches(recipe, "f output", expected=expected)
    return info.value.resolve()


def test_the_checker_reads_a_sum_where_the_mean_belongs_through_its_recipe():
    x = X
    failure = _failure(lambda v: (v**2).sum(0), lambda m: m.f(x), (X**2).mean(0))
    assert failure.found.kind == "sum-mean"  # a claim, shown once verified on other checks
    assert (
        "observed: your result is 5 times the expected, and 5 is the size of "
        "dimension 0 of `x`." in str(failure)
    )


def test_right_in_float64_and_wrong_in_float32_is_a_stability_problem():
    z = torch.tensor([10.0, 50.0, 100.0], dtype=torch.float32)

    def naive_ratio(v):  # exp(100) overflows float32, not float64
        return torch.exp(v) / torch.exp(v)

    expected = torch.ones(3, dtype=torch.float32)
    failure = _failure(naive_ratio, lambda m: m.f(z), expected)
    assert failure.diagnosis == "stability" and "right when the inputs are float64" in str(failure)
    assert z.dtype == torch.float32  # the inputs are put back


def test_a_list_of_numbers_in_the_recipe_is_data_not_arguments():
    metrics = [0.5, 0.25, 2.0]
    assert inputs_of(lambda m: m.f(metrics)).numbers == []
    kw = {"factor": 0.5}
    assert inputs_of(lambda m: m.f(**kw)).numbers == [("kw['factor']", 0.5)]


def test_a_tensor_where_a_python_number_is_asked_for():
    assert kind(2.5, torch.tensor(2.5)) == "structure"


def test_a_result_laid_out_in_the_transposed_shape():
    found = diagnose(E, E.T.contiguous(), Inputs())
    assert found.kind == "layout" and "order (1, 0)" in found.text
    assert diagnose(E, seeded(3, 5), Inputs()) is None  # other values: no claim


def test_a_dimension_of_size_1_too_many_or_too_few():
    assert kind(E, E.unsqueeze(1), Inputs()) == "layout"  # a row kept by dy @ J
    row = E[:1]
    assert "a missing dimension" in diagnose(row, row.flatten(), Inputs()).text


def test_a_reduction_left_out():
    per_example = seeded(5, 4)
    found = diagnose(per_example.sum(0), per_example, Inputs())
    assert found.kind == "reduction" and "sum over dimension 0 (size 5) is missing" in found.text
    assert "mean over dimension 1" in diagnose(per_example.mean(1), per_example, Inputs()).text
    batch = seeded(2, 5, 4)
    assert "dimensions (0, 1)" in diagnose(batch.sum((0, 1)), batch, Inputs()).text
    assert diagnose(per_example.sum(0) + 1, per_example, Inputs()) is None


def test_a_boolean_index_where_a_mask_belongs():
    dy, x = seeded(5, 3, seed=2), X
    expected = dy * (x > 0)
    assert kind(expected, dy[x > 0], Inputs()) == "layout"


def test_items_in_the_wrong_order():
    grads = [(seeded(4, 3, seed=s), seeded(4, seed=s)) for s in range(3)]
    grads[1] = (seeded(2, 4, seed=9), seeded(2, seed=9))  # items of several shapes
    found = diagnose(grads, grads[::-1], Inputs())
    assert found.kind == "order" and "reverse order" in found.text
    assert diagnose(grads, [grads[1], grads[0], grads[2]], Inputs()).kind == "order"
    assert diagnose(grads, grads[:2] + [grads[0]], Inputs()) is None  # an item repeated


def test_an_argument_edited_in_place_is_named_by_the_checker():
    x = X.clone()

    def clamps(v):
        return v.clamp_(-1, 1)

    failure = _failure(clamps, lambda m: m.f(x), X.clamp(-1, 1))
    assert failure.check == "arguments unchanged" and failure.diagnosis == "inplace"
    assert "likely mistake: your code changes an argument it was given" in str(failure)


def test_a_missing_argument_check_is_named():
    assert check_diagnoses.refused(None).kind == "validation"
    assert "the IndexError came from deeper" in check_diagnoses.refused(IndexError).text


def test_a_tensor_where_a_number_belongs_inside_a_dict():
    state = {"exp_avg": E, "step": 12}
    assert kind(state, {"exp_avg": E, "step": torch.tensor(12.0)}, Inputs()) == "structure"


def test_right_values_in_another_dtype():
    found = diagnose(E.float(), E, Inputs())
    assert found.kind == "dtype" and "torch.float64 where torch.float32" in found.text
    assert diagnose(E.float(), 2 * E, Inputs()).kind != "dtype"  # wrong values: not only


def test_a_failed_reproducibility_property_names_the_generator():
    from descent.grading.checker import Checker

    with pytest.raises(GradingFailure) as info:
        Checker(_Impl(None), None, None).that(
            False,
            "two calls with generators seeded alike gave different masks",
            check="reproducibility",
        )
    failure = info.value.resolve()
    assert failure.diagnosis == "random" and "generator=generator" in str(failure)
    # different seeds giving the same result has several causes (nothing drawn at all): no name
    with pytest.raises(GradingFailure) as info:
        Checker(_Impl(None), None, None).that(
            False,
            "generators with different seeds dropped the same entries",
            check="reproducibility",
        )
    failure = info.value.resolve()
    assert failure.diagnosis is None and "likely mistake" not in str(failure)
    with pytest.raises(GradingFailure) as info:
        Checker(_Impl(None), None, None).that(False, "x is not finite", check="property")
    assert info.value.resolve().diagnosis is None  # no kind, no name


def test_an_argument_confused_with_its_complement():
    from descent.diagnoses.argument import argument_slip

    x, kw, momentum = X, {"alpha": 0.25, "gamma": 2.0}, 0.1

    def reference(v, alpha, gamma, m):
        return alpha * v**gamma + m * v

    def recipe(impl):
        return impl(x, kw["alpha"], kw["gamma"], momentum)

    swapped = reference(X, 0.75, 2.0, 0.1)  # alpha for 1 - alpha
    found = argument_slip(Case(recipe, swapped, recipe(reference), reference))
    assert found.kind == "argument" and "1 - `alpha` in place of `alpha`" in found.text
    assert kw["alpha"] == 0.25 and momentum == 0.1  # the recipe's arguments are put back
    assert (
        "`momentum`"
        in argument_slip(
            Case(recipe, reference(X, 0.25, 2.0, 0.9), recipe(reference), reference)
        ).text
    )
    assert argument_slip(Case(recipe, 2 * swapped, recipe(reference), reference)) is None


def test_a_count_argument_one_off():
    from descent.diagnoses.argument import argument_slip

    losses, patience = [1.0, 0.9, 0.95, 0.97, 0.99, 0.98, 0.99], 2

    def reference(values, wait):  # the first epoch at which `wait` epochs passed without a gain
        best = 0
        for epoch, value in enumerate(values):
            if value < values[best]:
                best = epoch
            elif epoch - best >= wait:
                return epoch
        return None

    def recipe(impl):
        return impl(losses, patience)

    # an epoch (a whole number) carries too little to tell one slip from another
    assert argument_slip(Case(recipe, reference(losses, 3), recipe(reference), reference)) is None
    steps, total = [0, 1, 2, 3], 4

    def schedule(impl):
        return [impl(t, total) for t in steps]

    def cosine(t, n):
        return 0.5 * (1 + math.cos(math.pi * min(t, n) / n))

    found = argument_slip(
        Case(schedule, schedule(lambda t, n: cosine(t, n - 1)), schedule(cosine), cosine)
    )
    assert found.kind == "step" and "`total` - 1 in place of `total`" in found.text
    assert total == 4


def test_a_number_where_a_tensor_belongs_and_a_scalar_of_shape_1():
    loss = torch.tensor(1.25, dtype=torch.float64)
    assert kind(loss, 1.25, Inputs()) == "structure"
    assert kind(loss, 2.5, Inputs()) is None  # wrong value too: no claim
    assert kind(loss, loss.reshape(1), Inputs()) == "layout"  # torch.zeros(1) accumulated


def test_a_raw_result_in_another_dtype_is_named():
    from descent.grading.compare import assert_like

    with pytest.raises(GradingFailure) as info:
        assert_like(E.float(), E, what="w")
    failure = info.value.resolve()
    assert failure.diagnosis == "dtype" and "torch.float32 where torch.float64" in str(failure)
    with pytest.raises(GradingFailure) as info:
        assert_like(E[:2], E, what="w")
    assert info.value.resolve().diagnosis is None  # a shape: no dtype claim


def test_a_list_of_tensors_where_numbers_belong():
    norms = [0.5, 0.25, 0.125]
    assert kind(norms, [torch.tensor(v) for v in norms], Inputs()) == "structure"


def test_a_check_kind_names_its_mistake_when_no_value_hypothesis_does():
    from descent.grading.checker import Checker

    checker = Checker(_Impl(None), None, None)
    with pytest.raises(GradingFailure) as info:
        checker.fail("f(-1) returned 3 instead of raising ValueError", check="errors")
    assert info.value.resolve().diagnosis == "validation"
    with pytest.raises(GradingFailure) as info:  # a value hypothesis that fits comes first
        checker.fail("x", check="errors", generic=lambda: Diagnosis("sign", "flipped"))
    assert info.value.resolve().found.kind == "sign"


def test_a_dimension_index_is_no_count():
    from descent.diagnoses.argument import argument_slip

    logits, dim = seeded(4, 5, 6), 1

    def recipe(impl):
        return impl(logits, dim)

    def reference(v, d):
        return v.softmax(d)

    assert argument_slip(Case(recipe, logits.softmax(2), recipe(reference), reference)) is None


def test_an_argument_that_changes_nothing_explains_nothing():
    from descent.diagnoses.argument import argument_slip

    x, unused = X, 0.3

    def recipe(impl):
        return impl(x, unused)

    def reference(v, _):
        return 2 * v

    nearly = 2 * X
    nearly[0, 0] += 1e-12  # a rounding-sized difference
    assert argument_slip(Case(recipe, nearly, 2 * X, reference)) is None


def test_two_numbers_with_nothing_in_common_are_read_one_by_one():
    assert kind([1.7, 0.51], [1.7, -0.51], Inputs()) == "sign"


def test_a_results_leaves_are_walked_and_mapped_through_lists_tuples_and_dicts():
    value = (torch.ones(2), [1.5, {"a": None, "b": "x"}], 3)
    assert [type(v).__name__ for v in leaves(value)] == [
        "Tensor",
        "float",
        "NoneType",
        "str",
        "int",
    ]
    doubled = map_leaves(lambda v: v * 2 if isinstance(v, (int, float)) else v, value)
    assert isinstance(doubled, tuple) and isinstance(doubled[1], list)
    assert doubled[1][0] == 3.0 and doubled[2] == 6 and doubled[1][1] == {"a": None, "b": "x"}


def test_a_shape_error_does_not_hide_what_the_values_show():
    # (issue 57) a gradient of shape (1, D) (keepdim) whose values are also twice the expected:
    # both are named, the values read in the expected's shape
    e = torch.linspace(0.5, 3.0, 6, dtype=torch.float64)
    found = diagnose(e, (2 * e).reshape(1, 6), Inputs())
    assert found is not None and found.kind == "factor"
    assert "shape (1, 6) where (6,) belongs" in found.text and "twice" in found.text
    # a result that is only reshaped is the shape reading's alone; other values name nothing
    assert "twice" not in diagnose(e, e.reshape(1, 6), Inputs()).text
    noise = torch.tensor([[0.3, -1.2, 0.7, 2.2, -0.1, 0.9]], dtype=torch.float64)
    assert diagnose(e, noise, Inputs()) is None
