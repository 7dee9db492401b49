"""``descent grade`` (``descent.commands.grade``): grading the solutions through the command line
and printing the results file again; with the run stood in for, the exit code (points lost, the
run incomplete, ``--exit-zero``), what is passed on to pytest, and a submission refused before
grading."""

from __future__ import annotations

import pytest
from conftest import KIT

from descent import results
from descent.commands import grade, main

from .conftest import results_doc


def test_cli_grade_and_report(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(KIT)
    results = tmp_path / "r.json"
    code = main(["grade", "solutions", "--results", str(results), "-k", "mse"])
    out = capsys.readouterr().out
    assert code == 0 and "losses.mse" in out and "100%" in out
    assert main(["report", str(results)]) == 0
    assert "losses.mse" in capsys.readouterr().out


@pytest.fixture
def grading(monkeypatch, tmp_path):
    """The grading run stood in for: ``grading(code, *lost)`` makes it return ``code`` after
    writing results in which the implementations ``lost`` lost points."""
    seen: dict = {}

    def arrange(code, *lost):
        def run(suite, impls, *, device, results: object, extra, quiet):
            seen.update(suite=suite, impls=impls, extra=extra, quiet=quiet)
            write(results_doc(*impls, lost=lost), results)
            return code

        monkeypatch.setattr(grade, "run_pytest", run)
        monkeypatch.setattr(grade, "start_early", lambda isolation, impls: None)
        return seen

    write = results.write
    return arrange


def test_the_exit_code_says_whether_points_were_lost(grading, tmp_path, capsys):
    out = ["--results", str(tmp_path / "r.json")]
    seen = grading(1, "bo")
    assert main(["grade", "ada", "bo", *out, "--isolation", "none", "--insecure"]) == 1
    assert "--assert=plain" in seen["extra"] and "--insecure" in seen["extra"]
    assert (
        main(["grade", "ada", "bo", *out, "--isolation", "none", "--insecure", "--exit-zero"]) == 0
    )
    seen = grading(0)
    assert main(["grade", "solutions", "--suite", "exercises", *out]) == 0
    assert "--assert=plain" not in seen["extra"]
    grading(4)
    assert main(["grade", "solutions", *out]) == 4
    assert "grading did not complete (pytest exit code 4)" in capsys.readouterr().out


def test_a_submission_that_would_run_unconfined_is_refused_before_grading(monkeypatch, capsys):
    monkeypatch.setattr(
        grade, "refusal", lambda impls, isolation, insecure, device: "no [b]confinement[/b]"
    )
    monkeypatch.setattr(grade, "run_pytest", lambda *a, **k: pytest.fail("graded"))
    assert main(["grade", "some/folder"]) == 2
    assert "descent grade: no [b]confinement[/b]" in capsys.readouterr().out


def test_the_status_of_a_grading():
    assert grade.grade_exit_code(0, results_doc("ada")) == 0
    assert grade.grade_exit_code(1, results_doc("ada", "bo", lost=("bo",))) == 1
    assert grade.grade_exit_code(0, {"implementations": [{"points": 0.0, "max_points": 5.0}]}) == 1
    assert grade.grade_exit_code(3, results_doc("ada")) == 3
