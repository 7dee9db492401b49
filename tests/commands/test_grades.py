"""``descent grades`` (``descent.commands.grades``) on a small plan with a roster and nothing
graded yet: the table says what is missing, one student's components on demand, the files for
an LMS; a file named that is not there, or options that cannot go together, are refused with
exit 2. (The rules and the files against the real importers: tests/course/test_coursegrade.py,
test_lms.py and the term tests.)"""

from __future__ import annotations

import csv
import io

import pytest

from descent.commands import main

from .conftest import PLAN

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

ROSTER = "id,first_name,last_name,email,section\nann,Ann,Doe,ann@example.edu,S1\n"


@pytest.fixture
def term(tmp_path, monkeypatch):
    """The small plan with a roster of one, in the working folder; no gradebook yet."""
    plan = PLAN.replace(
        'time_source = "manifest"', 'time_source = "manifest"\nroster = "roster.csv"'
    )
    (tmp_path / "course.toml").write_text(plan)
    (tmp_path / "roster.csv").write_text(ROSTER)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_nothing_graded_yet_is_said_and_due_work_is_missing(term, capsys):
    assert main(["grades", "--at", "2027-02-01T00:00"]) == 0
    out = capsys.readouterr().out
    assert "no gradebook at descent-grading/gradebook.sqlite" in out
    assert "course grades: A small term" in out and "ann" in out and "a1" in out
    assert main(["grades", "--at", "2027-02-01T00:00", "--student", "ann"]) == 0
    assert "a1" in capsys.readouterr().out
    assert main(["grades", "--student", "zed"]) == 2
    assert "no student 'zed' in the roster" in capsys.readouterr().out


def test_the_csv_file_has_a_row_per_student(term, capsys):
    assert main(["grades", "--format", "csv", "--at", "2027-02-01T00:00"]) == 0
    out = capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(out[out.index("student") :])))
    assert rows[1][0] == "ann"


@pytest.mark.parametrize(
    "argv, said",
    [
        (["--out", "grades.csv"], "--out writes a file: give --format csv, canvas or moodle"),
        (["--gradebook", "nowhere.sqlite"], "--gradebook nowhere.sqlite: no such file"),
        (["--nbgrader-grades", "."], "--nbgrader-grades .: no such file (a folder)"),
    ],
)
def test_what_cannot_be_read_or_written_is_refused(term, capsys, argv, said):
    assert main(["grades", *argv]) == 2
    assert said in capsys.readouterr().out
    assert not (term / "grades.csv").exists()


def test_an_lms_file_needs_the_roster(term, capsys):
    (term / "course.toml").write_text(PLAN)
    assert main(["grades", "--format", "canvas"]) == 2
    assert "a canvas file is keyed by the roster" in capsys.readouterr().out
