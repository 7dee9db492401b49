"""``descent gradebook merge`` (``descent.commands.gradebook``): its NAME=VALUE options checked,
the merged file and, with ``--per-student``, one file per student, with the notes of what was
left out. (The merge's rules: tests/course/test_merge.py.)"""

from __future__ import annotations

import csv

import pytest

from descent.commands import main

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

HEADER = "assignment,timestamp,student_id,score,max_score\n"


@pytest.fixture
def grades(tmp_path):
    path = tmp_path / "grades.csv"
    path.write_text(
        HEADER
        + "lab1,2027-01-02 10:00:00 UTC,ann,8,10\n"
        + "lab1,2027-01-02 10:00:00 UTC,bo,5,10\n"
        + "lab2,,ann,0,10\n"  # nobody submitted lab2: not released yet
        + "lab2,,bo,0,10\n"
    )
    return path


def test_the_merge_writes_one_row_per_student_and_a_file_each(grades, tmp_path, capsys):
    out, per = tmp_path / "merged.csv", tmp_path / "per"
    argv = ["gradebook", "merge", "--grades", str(grades), "--out", str(out)]
    assert main([*argv, "--component", "labs=lab*", "--per-student", str(per)]) == 0
    with open(out, newline="") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle)}
    assert (
        float(rows["ann"]["total_percent"]) == 80.0 and float(rows["bo"]["total_percent"]) == 50.0
    )
    with open(per / "ann.csv", newline="") as handle:
        ann = list(csv.DictReader(handle))
    assert [r["component"] for r in ann] == ["labs", "total"] and ann[0]["weight"] == "1.0"
    text = capsys.readouterr().out
    assert "lab2: nobody submitted it" in text and "merged 2 student(s)" in text


@pytest.mark.parametrize("option", ["--weight", "--component", "--pass"])
@pytest.mark.parametrize("value", ["labs", "=2", "labs="])
def test_a_pair_without_its_name_or_value_is_refused(grades, tmp_path, capsys, option, value):
    out = tmp_path / "merged.csv"
    argv = ["gradebook", "merge", "--grades", str(grades), "--out", str(out), option, value]
    assert main(argv) == 2
    assert f"{option} must look like NAME=VALUE (got {value!r})" in capsys.readouterr().out
    assert not out.exists()
