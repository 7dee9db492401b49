"""``descent course`` (``descent.commands.course``) on a small plan: ``check`` prints the term
and each late policy and says the plan is valid; ``set-time`` and ``drop`` refuse a mix of
options that cannot go together, or a student the roster lacks, before anything is written.
(What each does to the gradebook: tests/course/test_termhand.py and the term tests.)"""

from __future__ import annotations

import pytest

from descent.commands import main

from .conftest import PLAN

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


@pytest.fixture
def term(tmp_path, monkeypatch):
    plan = PLAN.replace(
        'time_source = "manifest"', 'time_source = "manifest"\nroster = "roster.csv"'
    )
    (tmp_path / "course.toml").write_text(plan)
    (tmp_path / "roster.csv").write_text(
        "id,first_name,last_name,email,section\nann,A,D,a@x.edu,S\n"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_check_prints_the_term_and_says_the_plan_is_valid(term, capsys):
    assert main(["course", "check"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "A small term" in out and "late policy, as it will be applied:" in out
    assert "code exercises: 1 of" in out and "roster: 1 students" in out
    assert "the plan is valid" in out


def test_check_fails_on_a_roster_it_cannot_read(term, capsys):
    (term / "roster.csv").write_text("name\nann\n")
    assert main(["course", "check"]) == 2
    assert "descent course check:" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, said",
    [
        (["set-time", "ann", "a1"], "give the TIME (2027-01-18T23:10), or --unset"),
        (["set-time", "ann", "a1", "2027-01-09T10:00"], "--why must say why"),
        (["set-time", "ann", "a1", "2027-01-09T10:00", "--unset"], "--unset takes no TIME"),
        (
            ["set-time", "zed", "a1", "2027-01-09T10:00", "--why", "x"],
            "no student 'zed' in the roster",
        ),
        (["set-time", "ann", "a9", "2027-01-09T10:00", "--why", "x"], "a9"),
        (["drop", "zed", "a1", "--undo", "--reason", "x"], "--undo takes no --reason"),
    ],
)
def test_options_that_cannot_go_together_are_refused_and_nothing_is_written(
    term, capsys, argv, said
):
    assert main(["course", *argv]) == 2
    assert said in capsys.readouterr().out
    assert not (term / "descent-grading").exists()
