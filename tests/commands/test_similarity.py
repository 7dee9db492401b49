"""``descent similarity SUBMISSIONS`` (``descent.commands.similarity``): its limits checked before
anything is read, and what it was given handed on to the comparison. (The comparison on a sample
class: tests/course/similarity/test_similarity.py.)"""

from __future__ import annotations

import pytest

from descent.commands import main, similarity

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.mark.parametrize(
    "argv, said",
    [
        (["--threshold", "0"], "--threshold must be in (0, 1]"),
        (["--threshold", "1.5"], "--threshold must be in (0, 1]"),
        (["--min-fragment", "0"], "--min-fragment must be 1 or more"),
    ],
)
def test_a_limit_out_of_range_is_refused_before_anything_is_read(argv, said, capsys, monkeypatch):
    monkeypatch.setattr(similarity, "run", lambda *a, **k: pytest.fail("the comparison ran"))
    assert main(["similarity", "nowhere", *argv]) == 2
    assert said in capsys.readouterr().out


def test_the_options_are_handed_on(tmp_path, monkeypatch):
    seen = {}

    def run(submissions, out, root, console, **options):
        seen.update(options, submissions=submissions, out=out)
        return 0

    monkeypatch.setattr(similarity, "run", run)
    argv = ["similarity", str(tmp_path), "--out", str(tmp_path / "o"), "--threshold", "0.5"]
    assert main([*argv, "--assignment", "losses", "--min-fragment", "30"]) == 0
    assert seen == {
        "submissions": tmp_path, "out": tmp_path / "o", "assignment": "losses", "plan": None,
        "threshold": 0.5, "min_fragment": 30,
    }  # fmt: skip
