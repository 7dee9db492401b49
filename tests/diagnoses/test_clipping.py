"""Names on clipping's hidden graders: a clamp that loses the sign of what lies below the lower
bound (a branch wrong past one bound), and an in-place clip named by the very arguments the
check saw edited."""

from __future__ import annotations

from .graded import failures, kinds


def test_a_clamp_that_loses_the_sign_is_named_wrong_past_one_bound(tmp_path):
    # torch.where(|g| > c, c, g): every entry below -c comes back as +c. The checks' gradients
    # lie on the scale of the bound, so the slip shows in several entries of every comparison
    student, bug = "student:clip_value_where_loses_sign", "bug:clip_value_loses_sign"
    found = failures(tmp_path, "clipping", [student, bug], "TestClipGradValue")
    for impl in (student, bug):
        assert kinds(found, impl) == {"branch"}, [t["message"] for t in found]
    message = next(t["message"] for t in found if t["implementation"] == student)
    assert "< -`clip_value`" in message


def test_a_clip_that_edits_the_gradients_names_the_bug_that_edits_the_same(tmp_path):
    found = failures(
        tmp_path,
        "clipping",
        ["bug:clip_norm_in_place", "bug:clip_value_in_place"],
        "arguments_unchanged",
    )
    named = {t["implementation"]: t["misconception"] for t in found}
    assert named == {
        "bug:clip_norm_in_place": "clip_norm_in_place",
        "bug:clip_value_in_place": "clip_value_in_place",
    }
