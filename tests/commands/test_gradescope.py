"""``descent gradescope OUT.zip`` (``descent.commands.gradescope``): the archive built for the
whole kit or for one assignment of the plan (its selection and points), and a folder or an
unwritable path answered with one line and exit 2. (The archive itself:
tests/course/test_gradescope.py.)"""

from __future__ import annotations

import pytest

from descent.commands import gradescope, main

from .conftest import PLAN

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.fixture
def built(monkeypatch):
    seen = []
    monkeypatch.setattr(
        gradescope,
        "build",
        lambda root, out, selection, points: seen.append((out, selection, points)),
    )
    return seen


def test_the_archive_is_of_the_kit_or_of_one_assignment(built, tmp_path, capsys):
    assert main(["gradescope", str(tmp_path / "all.zip")]) == 0
    assert built[-1] == (tmp_path / "all.zip", "", None)
    (tmp_path / "course.toml").write_text(PLAN)
    argv = ["gradescope", str(tmp_path / "a1.zip"), "--plan", str(tmp_path / "course.toml")]
    assert main([*argv, "--assignment", "a1"]) == 0
    out, selection, points = built[-1]
    assert "mse" in selection and points == 10.0
    assert "Gradescope autograder for a1 written to" in capsys.readouterr().out


def test_a_folder_or_a_path_that_cannot_be_written_is_refused(tmp_path, capsys, monkeypatch):
    assert main(["gradescope", str(tmp_path)]) == 2
    assert "is a folder; give the .zip file to write" in capsys.readouterr().out

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(gradescope, "build", denied)
    assert main(["gradescope", str(tmp_path / "x.zip")]) == 2
    assert "descent gradescope: cannot write" in capsys.readouterr().out
