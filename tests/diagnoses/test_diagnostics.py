"""Names on diagnostics' hidden graders, slips of the reference's code
(``descent.diagnoses.mutant``) weighed on every failing check of the exercise: a dead-unit
fraction counted over the examples (rows) where the units (columns) belong is the matrix read
transposed; a loss-curve diagnosis that looks for NaN in the training curve only has one
condition of a test left out."""

from __future__ import annotations

from .graded import failures, kinds


def test_a_fraction_counted_over_the_examples_is_the_matrix_read_transposed(tmp_path):
    student = "student:dead_relu_numpy_per_example"
    found = failures(tmp_path, "diagnostics", [student], "TestDeadReluFraction")
    assert kinds(found, student) == {"reduction"}, [t["message"] for t in found]
    assert all("`pre_activations` transposed" in t["message"] for t in found if t["diagnosis"])


def test_a_curve_check_that_skips_the_validation_losses_leaves_a_condition_out(tmp_path):
    student = "student:loss_curve_nan_only_in_train"
    found = failures(tmp_path, "diagnostics", [student], "test_validation_curve_not_finite")
    assert kinds(found, student) == {"branch"}, [t["message"] for t in found]
    assert all("a condition of a test left out" in t["message"] for t in found)
