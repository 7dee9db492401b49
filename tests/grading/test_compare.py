"""The one comparison helper: what it accepts, what it rejects, and what its messages say."""

import math

import pytest
import torch

from descent.grading.compare import GradingFailure, assert_close, assert_like, compare

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def t(*values, dtype=torch.float64):
    return torch.tensor(values, dtype=dtype)


def test_equal_within_tolerance():
    assert compare(t(1.0, 2.0), t(1.0, 2.0 + 1e-12)) is None


def test_reports_worst_index_values_and_errors():
    found = compare(t(1.0, 2.0, 3.5), t(1.0, 2.0, 3.0))
    assert "1 of 3 values differ" in found.reason
    assert (
        "index (2,)" in found.reason and "expected 3" in found.reason and "got 3.5" in found.reason
    )
    assert "max abs error 0.5" in found.reason and "max rel error 0.166667" in found.reason


def test_scalar_message_is_plain():
    found = compare(torch.tensor(2.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
    assert found.reason.startswith("expected 1, got 2 (abs error 1, rel error 1)")


def test_relative_error_only_where_expected_is_nonzero():
    assert "max rel error 1" in compare(t(0.0, 1.0), t(0.5, 1.0)).reason
    assert "rel error" not in compare(t(0.5, 1.0), t(0.0, 1.0)).reason


def test_nan_where_a_number_was_expected_has_a_hint():
    found = compare(t(float("nan"), 1.0), t(0.0, 1.0))
    assert "got nan" in found.reason and "NaN" in found.hint


def test_matching_nan_and_inf_are_equal():
    assert compare(t(float("nan"), math.inf), t(float("nan"), math.inf)) is None
    assert compare(t(-math.inf), t(math.inf)) is not None


def test_transposed_shape_is_recognised():
    found = compare(torch.zeros(3, 4), torch.zeros(4, 3))
    assert "expected shape (4, 3), got (3, 4)" in found.reason and "transposed" in found.hint


def test_unreduced_gradient_is_recognised():
    found = compare(torch.zeros(5, 3), torch.zeros(3))
    assert "sum over the broadcast" in found.hint


def test_dtype_and_device_are_checked():
    found = compare(t(1.0, dtype=torch.float32), t(1.0))
    assert "dtype" in found.reason and "hard-coded dtype" in found.hint


def test_tensor_subclass_is_rejected():
    class Sneaky(torch.Tensor):
        pass

    got = t(1.0).as_subclass(Sneaky)
    assert "plain torch.Tensor" in compare(got, t(1.0)).reason


def test_nested_structures_name_the_path():
    found = compare((t(1.0), {"a": t(2.0)}), (t(1.0), {"a": t(3.0)}))
    assert found.path == "[1]['a']"
    assert "expected 2 items" in compare((t(1.0),), (t(1.0), t(2.0))).reason


def test_python_numbers():
    assert compare(2, 2.0) is None
    assert "Python number" in compare(torch.tensor(2.0), 2.0).reason
    assert compare(True, True) is None and compare(1, True) is not None
    assert compare(None, None) is None and compare("a", "b") is not None


def test_a_stability_checks_hint_beats_a_guess_from_nan_but_not_a_dtype_hint():
    """A stability check knows why NaN appeared (no max shift); a wrong dtype is still a dtype,
    and a NaN in a plain value check is more likely an unstable formula than the value hint."""

    def shown(got, hint, check="stability"):
        with pytest.raises(GradingFailure) as info:
            assert_close(got, t(1.0), what="loss", hint=hint, check=check)
        return str(info.value)

    assert "hint: subtract the row maximum" in shown(t(math.nan), "subtract the row maximum")
    assert "exp() overflowed" in shown(t(math.inf), None)
    assert "NaN comes from" in shown(t(math.nan), "divide by N", check="reference value")
    dtype = shown(t(1.0, dtype=torch.float32), "subtract the row maximum")
    assert "hard-coded dtype" in dtype and "subtract" not in dtype


def test_assert_close_raises_grading_failure_with_hint():
    with pytest.raises(GradingFailure) as info:
        assert_close(torch.tensor(1.0), torch.tensor(2.0), what="loss", hint="check the mean")
    assert str(info.value).startswith("loss: expected 2, got 1")
    assert "hint: check the mean" in str(info.value)


def test_assert_like_checks_structure_not_values():
    assert_like(
        (t(1.0), torch.zeros(2, 3, dtype=torch.float64)),
        (t(5.0), torch.ones(2, 3, dtype=torch.float64)),
        what="grads",
    )
    with pytest.raises(GradingFailure, match=r"grads\[1\]: expected shape \(2, 3\)"):
        assert_like(
            (t(1.0), torch.zeros(3, 2, dtype=torch.float64)),
            (t(1.0), torch.zeros(2, 3, dtype=torch.float64)),
            what="grads",
        )


def test_float32_is_held_to_its_own_rounding_not_to_a_tighter_tolerance():
    """A correct float32 result differs from the float64 truth cast down by a few eps (here
    GELU's exact formula at -2, typed as its docstring states it, on a CPU without AVX-512):
    no check may ask float32 for more than its rounding, whatever rtol and atol it passes."""
    x = torch.tensor([0.5, -2.0])
    truth = (x.double() * 0.5 * (1 + torch.erf(x.double() / math.sqrt(2)))).float()
    eps = torch.finfo(torch.float32).eps
    rounded = truth + torch.tensor([0.0, 4 * eps * 0.35])  # 4 eps of the largest value, at -2
    assert compare(rounded, truth, rtol=1e-6, atol=1e-7) is None
    # far beyond rounding still fails, and says what was allowed
    found = compare(truth + torch.tensor([0.0, 1e-4]), truth, rtol=1e-6, atol=1e-7)
    assert found is not None and "allowed: atol=" in found.reason
    # float64 keeps the tolerance asked for
    assert compare(rounded.double(), truth.double(), rtol=1e-6, atol=1e-7) is not None


def test_the_coarser_dtype_sets_the_rounding_when_dtypes_may_differ():
    truth = torch.tensor([1.0, 2.0], dtype=torch.float64)
    near = truth.float() + torch.tensor([0.0, 8 * torch.finfo(torch.float32).eps])
    assert compare(near, truth, rtol=1e-9, atol=0.0, check_dtype=False) is None
    assert compare(near.double(), truth, rtol=1e-9, atol=0.0) is not None


def test_a_difference_in_float64_s_last_digits_is_not_told_as_float32():
    """A correct L1 gradient read off as `w - (w - d)` (a Nielsen learner's wrapper) is one
    float64 rounding off an exact check: that is no float32 intermediate."""
    truth = t(0.7, 1.3)
    off = t(3.0, 3.0) - (t(3.0, 3.0) - truth)
    found = compare(off, truth, rtol=0.0, atol=0.0)
    assert found is not None and "float64's last digits" in found.hint
    assert "float32" not in found.hint


def test_the_float32_hint_needs_float32_s_rounding_not_merely_a_close_value():
    """A float64 result off by float32's rounding gets the hint about a float32 intermediate;
    one off by 5e-6 relative (a 1e-4 ridge in a least-squares solve) is another mistake."""
    truth = t(0.3, -1.7, 2.9)
    rounded = truth.float().double()
    assert "float32's precision" in compare(rounded, truth, rtol=1e-12, atol=0.0).hint
    assert compare(truth * (1 + 5e-6), truth, rtol=1e-12, atol=0.0).hint is None
