"""The Canvas and Moodle files checked against the rules of the importers that read them.

Each rule below quotes the importer's own code: Canvas's ``app/models/gradebook_importer.rb``
(canvas-lms) and Moodle's ``grade/import/csv/classes/load_data.php`` with ``lib/csvlib.class.php``
(moodle). The validators are tested on broken files too, so each rule can fail.
"""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from descent.commands import main
from descent.course import assignbook
from descent.course.gradebook import Gradebook

from .test_term import DUE, PLAN, write_plan

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

UTC = timezone.utc
AT = "2027-02-01T00:00"  # everything of the plan is due
NUMBER = re.compile(r"^-?[0-9.,]+%?$")  # Canvas: CSV::Converters[:decimal_comma_to_period]


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def canvas_problems(text: str, known: set[str] | None = None) -> list[str]:
    """Where ``text`` breaks a rule of Canvas's gradebook importer; ``known``: the assignment
    columns Canvas already has (a column it does not know becomes a new assignment)."""
    rows = _rows(text)
    header, problems = rows[0], []
    # row_has_student_headers?: `row[0].include?("Student") && row[1].include?("ID")`
    if not (len(header) > 3 and "Student" in header[0] and "ID" in header[1]):
        problems.append("header: Student, ID first")
    # update_column_count: SIS User ID then SIS Login ID; header?: the last student column
    # `include?("Section")`
    if header[2:5] != ["SIS User ID", "SIS Login ID", "Section"]:
        problems.append("header: SIS User ID, SIS Login ID, Section")
    items = header[5:]
    # parse_assignments: `assignment ||= Assignment.new(title: ...)` for an unknown column
    if known is not None:
        problems += [f"column {c!r} would create an assignment" for c in items if c not in known]
    # check_for_non_student_row: `row[0]&.include?("Points Possible")`
    if "Points Possible" not in rows[1][0]:
        problems.append("row 2: Points Possible")
    problems += [
        f"points possible of {c!r}: {v!r}"
        for c, v in zip(items, rows[1][5:])
        if not NUMBER.match(v)
    ]
    for line, row in enumerate(rows[2:], start=3):
        if len(row) != len(header):
            problems.append(f"line {line}: {len(row)} cells for {len(header)} columns")
        # process_student: found by ID, else SIS User ID, else SIS Login ID, else by name
        if not (row[1].strip() or row[2].strip()):
            problems.append(f"line {line}: no ID and no SIS User ID (matched by name only)")
        for column, value in zip(items, row[5:]):
            # no_score?: `value.blank? || value == "-"`; "EX" (casecmp) is excused
            if value.strip() in ("", "-") or value.strip().upper() == "EX":
                continue
            if not NUMBER.match(value.strip()):
                problems.append(f"line {line}, {column}: {value!r} is not a score")
    return problems


def moodle_problems(text: str, key: str = "Email address", most: float = 100) -> list[str]:
    """Where ``text`` breaks a rule of Moodle's CSV grade import, mapping users by ``key``."""
    rows = _rows(text)  # csvlib: `core_text::trim_utf8_bom($content)`
    header, problems, seen = rows[0], [], set()
    column = header.index(key)
    for line, row in enumerate(rows[1:], start=2):
        # csvlib: `if (count($rowdata) !== $col_count)` -> csvweirdcolumns
        if len(row) != len(header):
            problems.append(f"line {line}: csvweirdcolumns")
            continue
        # load_data: "Skip invalid row with blank user field": `if (!empty($value))` only then
        # is $this->studentid set, so a blank keeps the previous row's student
        if not row[column].strip():
            problems.append(f"line {line}: blank {key}: its grades go to the previous student")
        elif row[column].strip().lower() in seen:
            problems.append(f"line {line}: {key} {row[column]!r} twice")
        seen.add(row[column].strip().lower())
        for name, value in zip(header[6:], row[6:]):
            # update_grade_item: `if ($value === '' or $value == '-') $value = null` (clears);
            # else `unformat_float($value, true)` or badgrade
            if value.strip() in ("", "-"):
                continue
            try:
                grade = float(value)
            except ValueError:
                problems.append(f"line {line}, {name}: badgrade {value!r}")
                continue
            # insert_grade_record: `$record->finalgrade <= $gradepointmaximum` else
            # gradevaluetoobig
            if grade > most:
                problems.append(f"line {line}, {name}: gradevaluetoobig {value}")
    return problems


def test_the_rules_catch_what_they_guard():
    good_canvas = (
        "Student,ID,SIS User ID,SIS Login ID,Section,a1: A\n"
        "    Points Possible,,,,,20\nann,,ann,ann,S1,18\n"
    )
    assert canvas_problems(good_canvas, {"a1: A"}) == []
    assert canvas_problems(good_canvas, set()) == ["column 'a1: A' would create an assignment"]
    assert canvas_problems(good_canvas.replace(",ann,ann,S1,18", ",,ann,S1,x")) == [
        "line 3: no ID and no SIS User ID (matched by name only)",
        "line 3, a1: A: 'x' is not a score",
    ]
    good_moodle = (
        "First name,Last name,ID number,Institution,Department,Email address,a1: A\n"
        "Ann,Doe,ann,,,ann@x.edu,18\nBob,Doe,bob,,,bob@x.edu,\n"
    )
    assert moodle_problems(good_moodle) == []
    assert moodle_problems(good_moodle.replace("bob@x.edu", "")) == [
        "line 3: blank Email address: its grades go to the previous student"
    ]
    assert moodle_problems(good_moodle.replace(",18", ",180")) == [
        "line 2, a1: A: gradevaluetoobig 180"
    ]
    assert moodle_problems(good_moodle.replace(",18", ",missing")) == [
        "line 2, a1: A: badgrade 'missing'"
    ]


STUDENTS = ("ann", "bob", "carol", "dan", "eve")


def term(tmp_path: Path, *, failed: str = "", extra_roster: str = "") -> tuple[Path, Path]:
    """A plan, its roster (with "Châtelet") and a gradebook: a1 graded for ann (18), bob (15, or
    a grading that failed, when ``failed``), carol (late: 20 -> 16); dan excused from a1; eve
    never handed in; a2 graded for ann (40) and dan (50); lab1 from nbgrader's export."""
    path = write_plan(tmp_path, PLAN)
    (tmp_path / "roster.csv").write_text(
        "id,first_name,last_name,email,section\n"
        "ann,Ann,Châtelet,ann@example.edu,S1\n"
        + "".join(f"{s},{s.title()},Doe,{s}@example.edu,S1\n" for s in STUDENTS[1:])
        + extra_roster
    )
    (tmp_path / "extensions.csv").write_text("student,assignment,due,reason\ndan,a1,excused,\n")
    on_time = (DUE - timedelta(hours=1)).isoformat()
    late = (DUE + timedelta(days=1, hours=1)).isoformat()

    def row(student, item, raw, at, status="graded"):
        most = 20 if item == "a1" else 50
        return assignbook.Grade(
            student, item, None, "h", at, "manifest", status, raw, most, 0, 0, "", raw
        )

    grades = [row("ann", "a1", 18, on_time), row("carol", "a1", 20, late)]
    grades += [row("ann", "a2", 40, on_time), row("dan", "a2", 50, on_time)]
    grades.append(row("bob", "a1", 0, on_time, failed) if failed else row("bob", "a1", 15, on_time))
    with Gradebook(tmp_path / "gb.sqlite") as book:
        assignbook.write(book, grades)
    (tmp_path / "nb.csv").write_text(
        "assignment,duedate,timestamp,student_id,last_name,first_name,email,raw_score,"
        "late_submission_penalty,score,max_score\n"
        "lab1,,2027-01-20 10:00:00.000000,ann,Châtelet,Ann,,7,0,7,10\n"
    )
    return path, tmp_path / "gb.sqlite"


def grades(path: Path, book: Path, fmt: str, out: Path, *extra: str) -> int:
    return main(
        ["grades", "--plan", str(path), "--gradebook", str(book), "--at", AT, "--format", fmt]
        + ["--nbgrader-grades", str(path.parent / "nb.csv"), "--out", str(out), *extra]
    )


def test_the_canvas_file_passes_canvas_importer_rules(tmp_path):
    path, book = term(tmp_path)
    assert grades(path, book, "canvas", tmp_path / "canvas.csv") == 0
    text = (tmp_path / "canvas.csv").read_text(encoding="utf-8-sig")
    # a2 is due and graded for ann: its column is written; a3 is due but nobody has it
    known = {"a1: Gradient descent", "a2: Clipping", "lab1: Lab 1"}
    assert canvas_problems(text, known) == []
    rows = {r[2]: r for r in _rows(text)[2:]}
    assert rows["ann"][0] == "Châtelet, Ann" and rows["ann"][5:] == ["18", "40", "7"]
    assert rows["carol"][5] == "16"  # 1 d 1 h late: 2 started days x 10% of 20
    assert rows["dan"][5] == "EX"  # excused: Canvas's own value
    assert rows["eve"][5:] == ["0", "0", "0"]  # missing counts 0, as in the plan


def test_the_moodle_file_passes_moodle_importer_rules(tmp_path):
    path, book = term(tmp_path)
    assert grades(path, book, "moodle", tmp_path / "moodle.csv") == 0
    text = (tmp_path / "moodle.csv").read_text(encoding="utf-8-sig")
    assert moodle_problems(text) == []
    rows = {r[2]: r for r in _rows(text)[1:]}
    assert rows["dan"][6] == ""  # excused: no grade, left out by "exclude empty grades"
    assert rows["eve"][6:] == ["0", "0", "0"]


def test_a_moodle_row_without_its_mapping_key_is_refused_listing_the_students(tmp_path, capsys):
    """A roster student without an email: Moodle would give that row's grades to the previous
    student. Nothing is written; exit 2; the students named. A student graded but missing from
    the roster gets no row at all (the files are keyed by the roster), and is named."""
    path, book = term(tmp_path, extra_roster="zed,Zed,Doe,,S1\n")
    with Gradebook(book) as gb:
        late = (DUE - timedelta(hours=1)).isoformat()
        ghost = assignbook.Grade(
            "ghost", "a1", None, "h", late, "manifest", "graded", 5, 20, 0, 0, "", 5
        )
        assignbook.write(gb, [ghost])
    out = tmp_path / "moodle.csv"
    assert grades(path, book, "moodle", out) == 2
    said = " ".join(capsys.readouterr().out.split())
    assert (
        "zed: no Email address" in said
        and "no moodle row for entries not on the roster: ghost" in said
    )
    assert "ghost: no Email" not in said
    assert not out.exists()
    # mapped by ID number (the student id), every row has its key
    assert grades(path, book, "moodle", out, "--moodle-key", "idnumber") == 0
    assert moodle_problems(out.read_text(encoding="utf-8-sig"), key="ID number") == []


def test_a_grading_that_needs_attention_is_left_alone_in_canvas_refused_in_moodle(tmp_path, capsys):
    path, book = term(tmp_path, failed="failed")
    assert grades(path, book, "canvas", tmp_path / "canvas.csv") == 0
    rows = {r[2]: r for r in _rows((tmp_path / "canvas.csv").read_text(encoding="utf-8-sig"))}
    assert rows["bob"][5] == ""  # Canvas: a blank is no score; bob's grade is left as it is
    assert "needs the instructor" in capsys.readouterr().out
    assert grades(path, book, "moodle", tmp_path / "moodle.csv") == 2
    assert "bob, a1: needs attention (grading failed)" in capsys.readouterr().out


def test_columns_are_only_of_items_due_and_graded(tmp_path):
    path, book = term(tmp_path)
    early = ["--at", "2027-01-10T00:00"]  # only a1 is due
    assert grades(path, book, "canvas", tmp_path / "c.csv", *early) == 0
    header = _rows((tmp_path / "c.csv").read_text(encoding="utf-8-sig"))[0]
    assert header[5:] == ["a1: Gradient descent"]


def test_a_byte_order_mark_by_default_and_none_when_asked(tmp_path):
    path, book = term(tmp_path)
    assert grades(path, book, "canvas", tmp_path / "with.csv") == 0
    assert grades(path, book, "canvas", tmp_path / "without.csv", "--no-bom") == 0
    assert (tmp_path / "with.csv").read_bytes().startswith(b"\xef\xbb\xbfStudent,")
    without = (tmp_path / "without.csv").read_bytes()
    assert without.startswith(b"Student,") and "Châtelet".encode() in without


@pytest.mark.parametrize("where", ["folder", "missing parent", "read-only"])
def test_a_bad_out_is_refused_with_the_reason(tmp_path, capsys, where):
    if where == "read-only" and os.geteuid() == 0:
        pytest.skip("root may write into a read-only folder")
    path, book = term(tmp_path)
    target = {
        "folder": tmp_path,
        "missing parent": tmp_path / "nowhere" / "g.csv",
        "read-only": tmp_path / "ro" / "g.csv",
    }[where]
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o500)
    try:
        code = grades(path, book, "csv", target)
    finally:
        (tmp_path / "ro").chmod(0o700)
    said = capsys.readouterr().out
    assert code == 2 and "Traceback" not in said
    reason = {"folder": "Is a directory", "missing parent": "does not exist"}
    assert reason.get(where, "permission denied") in said


def test_excused_leaves_the_item_out_of_the_category(tmp_path):
    path, book = term(tmp_path)
    assert grades(path, book, "csv", tmp_path / "g.csv") == 0
    with open(tmp_path / "g.csv", encoding="utf-8-sig") as handle:
        dan = next(r for r in csv.DictReader(handle) if r["student"] == "dan")
    assert [dan[k] for k in ("a1", "a2", "a3")] == ["excused", "50", "missing"]
    # a1 left out; a2 100%, a3 0% (weight 2) dropped as the lowest -> code 100 (were a1 a
    # missing 0, code would be (0 + 100) / 2 = 50); lab1 missing -> 0.7 x 100 + 0.3 x 0 = 70
    assert dan["code %"] == "100" and dan["course grade %"] == "70"
