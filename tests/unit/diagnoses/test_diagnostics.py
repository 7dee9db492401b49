"""Names on diagnostics' hidden graders: a dead-unit fraction counted over the examples (rows)
where the units (columns) belong is the matrix read transposed, a slip of the reference's code
(``descent.diagnoses.mutant``) weighed on every failing check of the exercise."""

from __future__ import annotations

from .graded import failures, kinds


def test_a_fraction_counted_over_the_examples_is_the_matrix_read_transposed(tmp_path):
    student = "student:dead_relu_numpy_per_example"
    found = failures(tmp_path, "diagnostics", [student], "TestDeadReluFraction")
    assert kinds(found, student) == {"reduction"}, [t["message"] for t in found]
    assert all("`pre_activations` transposed" in t["message"] for t in found if t["diagnosis"])
