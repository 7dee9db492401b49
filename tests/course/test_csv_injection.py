"""No text a student chose (a student id, a folder name, a name in the roster) reaches a CSV file
of the kit as a spreadsheet formula (OWASP, "CSV Injection"): every format the kit writes,
with the classic payloads, in the Student, SIS User ID and SIS Login ID columns too."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from reports.test_spreadsheet import PAYLOADS, _dangerous, _neutral

from descent.commands import main
from descent.course import assignbook
from descent.course.gradebook import Gradebook
from descent.course.runner import Outcome

from .test_term import DUE, PLAN, write_plan
from .test_term_tooling import results_doc

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _cells(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:  # keep a \r inside a cell
        return list(csv.reader(handle))


def _ids() -> list[str]:
    """One roster id per payload: the payload and its number (the roster's cells are read
    without surrounding blanks, so ``\t=1+2`` alone would be ``=1+2`` a second time)."""
    return [f"{payload}{n}" for n, payload in enumerate(PAYLOADS)]


def _term(tmp_path: Path) -> tuple[Path, Path]:
    """A plan whose roster holds one student per payload (in the id, the last name and the
    SIS login), each graded on a1."""
    path = write_plan(tmp_path, PLAN)
    lines = ["id,first_name,last_name,email,section,sis_login_id"]
    for n, (ident, payload) in enumerate(zip(_ids(), PAYLOADS)):
        quoted, named = ('"' + v.replace('"', '""') + '"' for v in (payload, ident))
        lines.append(f"{named},{quoted},{quoted},s{n}@example.edu,S1,{named}")
    (tmp_path / "roster.csv").write_text("\n".join(lines) + "\n", newline="")
    (tmp_path / "extensions.csv").write_text("student,assignment,due\n")
    on_time = DUE.isoformat()
    with Gradebook(tmp_path / "gb.sqlite") as book:
        assignbook.write(
            book,
            [
                assignbook.Grade(
                    i.strip(), "a1", None, "h", on_time, "manifest", "graded", 10, 20, 0, 0, "", 10
                )
                for i in _ids()
            ],
        )
    return path, tmp_path / "gb.sqlite"


@pytest.mark.parametrize("fmt", ["csv", "canvas", "moodle"])
def test_descent_grades_files(tmp_path, fmt, capsys):
    path, book = _term(tmp_path)
    out = tmp_path / f"{fmt}.csv"
    argv = ["grades", "--plan", str(path), "--gradebook", str(book), "--at", "2027-02-01T00:00"]
    assert main(argv + ["--format", fmt, "--out", str(out)]) == 0
    rows = _cells(out)
    assert _dangerous(rows) == []
    written = {c for row in rows for c in row}
    # each payload is there, as text (the roster's cells are read without surrounding blanks)
    assert all(_neutral(i.strip()) in written for i in _ids())
    if fmt == "canvas":  # Student (Last, First), SIS User ID and SIS Login ID
        first = next(r for r in rows[2:] if r[2] == "'=1+20")
        assert first[0] == "'=1+2, =1+2" and first[3] == "'=1+20"
    assert "starts like a spreadsheet formula" in capsys.readouterr().out


def _doc(name: str) -> dict:
    doc = results_doc(name, "losses.mse", 5.0)
    doc["implementations"][0]["exercises"][0]["first_failure"] = "=1+2 went wrong"
    return doc


def test_descent_export_of_results_files(tmp_path):
    paths = []
    for n, payload in enumerate(PAYLOADS):
        paths.append(tmp_path / f"r{n}.json")
        paths[-1].write_text(json.dumps(_doc(payload)))
    out = tmp_path / "export.csv"
    assert main(["export", *map(str, paths), "--format", "csv", "--out", str(out)]) == 0
    rows = _cells(out)
    assert _dangerous(rows) == [] and [r[0] for r in rows[1:]] == [_neutral(p) for p in PAYLOADS]


def test_descent_export_from_the_gradebook(tmp_path):
    """Student ids come from folder names: ``=HYPERLINK(...).zip`` is a student."""
    with Gradebook(tmp_path / "gb.sqlite") as book:
        for payload in PAYLOADS:
            doc = _doc(payload)
            book.record(
                Outcome(payload, f"/subs/{payload}", "graded", results=doc, content_hash="h"),
                source=f"/subs/{payload}.zip",
                submitted=0,
                superseded=[],
            )
    out = tmp_path / "export.csv"
    book_path = str(tmp_path / "gb.sqlite")
    assert main(["export", "--gradebook", book_path, "--format", "csv", "--out", str(out)]) == 0
    rows = _cells(out)
    assert _dangerous(rows) == [] and len(rows) == len(PAYLOADS) + 1


def test_descent_gradebook_merge(tmp_path):
    grades = tmp_path / "grades.csv"
    lines = ["assignment,duedate,timestamp,student_id,raw_score,score,max_score"]
    for payload in PAYLOADS:
        quoted = '"' + payload.replace('"', '""') + '"'
        lines.append(f"lab1,,2027-01-01 10:00:00,{quoted},5,5,10")
    grades.write_text("\n".join(lines) + "\n", newline="")
    out = tmp_path / "merged.csv"
    each = tmp_path / "each"
    argv = ["gradebook", "merge", "--grades", str(grades), "--out", str(out)]
    assert main(argv + ["--per-student", str(each)]) == 0
    rows = _cells(out)
    assert _dangerous(rows) == [] and sorted(r[0] for r in rows[1:]) == sorted(
        _neutral(p) for p in PAYLOADS
    )
