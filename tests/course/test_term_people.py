"""One person per id, and nobody graded in someone else's name.

A roster that names anyone twice (an id, an email, a login, or one person's id that is another's
login), two rows of one student in the extensions file or the manifest, and an extensions path
that is a folder are refused by ``descent course check`` and by every command of the term,
exit 2, before anything is written. An entry that is not a roster id is graded and kept but
flagged in every table and never written to an LMS file, until the instructor adds the
student to the roster or drops the entry (``descent course drop``, recorded, reversible).
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console

from descent.commands import main
from descent.course import assignbook, assigned, batch, coursegrade, lateness, submissions
from descent.course import plan as plan_mod
from descent.course.gradebook import Gradebook

from .test_term import DUE, _grade_class, _outcome, write_plan

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

HEADER = "id,first_name,last_name,email,section,sis_login_id\n"
ROSTER = {
    "ann": "ann,Ann,Doe,ann@example.edu,S1,ann.d\n",
    "bob": "bob,Bob,Doe,bob@example.edu,S1,bob.d\n",
}
TWICE = {
    "id": ("ann,Ann,Smith,ann2@example.edu,S1,ann.s\n", "line 4: id 'ann' is also the id of 'ann'"),
    "id in another case": (
        "ANN,Ann,Smith,ann2@example.edu,S1,ann.s\n",
        "line 4: id 'ANN' is also the id of 'ann'",
    ),
    "email": (
        "cy,Cy,Doe,Ann@Example.edu,S1,cy.d\n",
        "line 4: email 'Ann@Example.edu' is also the email of 'ann'",
    ),
    "login": ("cy,Cy,Doe,cy@example.edu,S1,bob.d\n", "line 4: sis_login_id 'bob.d' is also"),
    "an id that is another's login": (
        "bob.d,Bo,Dee,bo@example.edu,S1,bo.d\n",
        "line 4: id 'bob.d' is also the sis_login_id of 'bob' (line 3)",
    ),
}


def _roster(folder: Path, extra: str = "") -> None:
    (folder / "roster.csv").write_text(HEADER + "".join(ROSTER.values()) + extra)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with the hash of its bytes: what "nothing changed" means."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def course(tmp_path):
    """A plan, its roster (ann, bob), a gradebook with ann's a1 settled, and an nbgrader
    database, so that every command of the term has something it could change."""
    path = write_plan(tmp_path)
    _roster(tmp_path)
    (tmp_path / "extensions.csv").write_text("student,assignment,due\nann,a1,+1d\n")
    plan = plan_mod.load(path)
    with Gradebook(tmp_path / "gb.sqlite") as book:
        _grade_class(book, plan, tmp_path, {})
    return tmp_path


COMMANDS = {
    "course check": ["course", "check"],
    "grades": ["grades", "--gradebook", "{gb}"],
    "grades canvas": ["grades", "--gradebook", "{gb}", "--format", "canvas", "--out", "{out}"],
    "set-time": ["course", "set-time", "ann", "a1", "2027-01-08T20:00", "--why", "x",
                 "--gradebook", "{gb}"],
    "drop": ["course", "drop", "carol", "a1", "--reason", "x", "--gradebook", "{gb}"],
    "sync-nbgrader": ["course", "sync-nbgrader"],
    "batch": ["batch", "{subs}", "--out", "{grading}", "--assignment", "a1"],
}  # fmt: skip


def _run(folder: Path, name: str, capsys) -> tuple[int, str]:
    values = dict(
        gb=folder / "gb.sqlite",
        out=folder / "out.csv",
        subs=folder / "subs",
        grading=folder / "grading",
    )
    argv = [a.format(**values) for a in COMMANDS[name]] + ["--plan", str(folder / "course.toml")]
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    return code, " ".join(capsys.readouterr().out.split())


def _refused_by_every_command(folder: Path, capsys, monkeypatch, message: str) -> None:
    monkeypatch.setattr(batch, "run", lambda *a: pytest.fail("the batch graded"))
    before = snapshot(folder)
    for name in COMMANDS:
        code, said = _run(folder, name, capsys)
        assert code == 2, (name, said)
        assert message in said, (name, said)
        assert snapshot(folder) == before, name  # nothing changed


@pytest.mark.parametrize("case", list(TWICE))
def test_a_roster_naming_someone_twice_is_refused_by_every_command(
    course, capsys, monkeypatch, case
):
    extra, message = TWICE[case]
    _roster(course, extra)
    _refused_by_every_command(course, capsys, monkeypatch, message)


def test_two_extension_rows_of_one_student_are_refused_by_every_command(
    course, capsys, monkeypatch
):
    (course / "extensions.csv").write_text("student,assignment,due\nann,a1,+1d\nann,a1,+3d\n")
    _refused_by_every_command(
        course, capsys, monkeypatch, "line 3: ann, a1 again (first on line 2)"
    )


def test_an_extensions_path_that_is_a_folder_is_refused_by_every_command(
    course, capsys, monkeypatch
):
    (course / "extensions.csv").unlink()
    (course / "extensions.csv").mkdir()
    _refused_by_every_command(course, capsys, monkeypatch, "extensions.csv is not a file")


@pytest.mark.parametrize(
    "rows, said",
    [
        (
            "ann,2027-01-08T10:00:00Z\nbob,2027-01-08T10:00:00Z\nann,2027-01-12T10:00:00Z\n",
            "line 4: 'ann' again (first on line 2)",
        ),
        # the roster ignores case: ANN beside ann is one student written twice
        (
            "ann,2027-01-08T10:00:00Z\nANN,2027-01-12T10:00:00Z\n",
            "line 3: 'ANN' again (first on line 2, as 'ann'",
        ),
    ],
    ids=["same case", "another case"],
)
def test_two_manifest_rows_of_one_student_stop_the_batch_before_grading(
    course, capsys, monkeypatch, rows, said
):
    (course / "subs" / "manifest.csv").write_text("student,submitted_at\n" + rows)
    monkeypatch.setattr(batch, "run", lambda *a: pytest.fail("the batch graded"))
    code, out = _run(course, "batch", capsys)
    assert code == 2 and said in out
    assert not (course / "grading").exists()


def test_the_batch_names_the_manifest_rows_that_name_no_submission(course, capsys, monkeypatch):
    """A row whose student has no entry (a typo, or work that never came in) settles nobody:
    the batch says so after its table, naming the entry it differs from only in case."""
    manifest = course / "subs" / "manifest.csv"
    rows = manifest.read_text().replace("\nbob,", "\nBOB,")
    manifest.write_text(rows + "zed,2027-01-08T10:00:00Z\n")
    monkeypatch.setattr(batch, "run", lambda *a: 0)  # the gradings are the gradebook's
    code, said = _run(course, "batch", capsys)
    assert code == 0, said
    assert "manifest.csv names 2 student(s) with no submission in" in said
    assert "'BOB' (the entry is 'bob'), 'zed'" in said


# ------------------------------------------------------------------------------ strangers


def _stranger(course: Path, name: str = "bob.d") -> None:
    """An a1 entry named after bob's login, graded and settled beside the class."""
    plan = plan_mod.load(course / "course.toml")
    subs = course / "subs"
    (subs / name).mkdir()
    (subs / name / "basics.py").write_text("# a second upload\n")
    manifest = (subs / "manifest.csv").read_text() + f"{name},{DUE.isoformat()}\n"
    (subs / "manifest.csv").write_text(manifest)
    listing = submissions.discover(subs)
    with Gradebook(course / "gb.sqlite") as book:
        digest = submissions.content_hash(subs / name)
        book.record(_outcome(name, 20.0, 20.0, digest), source="x", submitted=0, superseded=[])
        records = assigned.Records(lateness.read_manifest(subs), {}, assignbook.overrides(book))
        grades = assigned.settle(book, plan, plan.item("a1"), listing, "v-a1", subs, records)
        assignbook.write(book, grades)


def _grades(course: Path, capsys, *argv: str) -> tuple[int, str]:
    args = [
        "grades",
        "--plan",
        str(course / "course.toml"),
        "--gradebook",
        str(course / "gb.sqlite"),
    ]
    code = main([*args, "--at", "2027-02-01T00:00", *argv])
    return code, " ".join(capsys.readouterr().out.split())


def test_an_entry_not_on_the_roster_is_flagged_and_never_an_lms_row(course, capsys):
    """An upload named after bob's login was graded as a student of its own: Canvas matched its
    row to bob by SIS Login ID. Now it has no row, and every table says why."""
    _stranger(course)
    code, said = _grades(course, capsys)
    assert code == 0 and "not on the roster" in said  # the table's attention column
    code, said = _grades(course, capsys, "--format", "canvas", "--out", str(course / "c.csv"))
    assert code == 0 and "canvas file for 2 students written" in said  # the rows written
    canvas = (course / "c.csv").read_text(encoding="utf-8-sig")
    lines = list(csv.reader(canvas.splitlines()[2:]))
    assert [line[2] for line in lines] == ["ann", "bob"]  # SIS User ID
    assert [line[3] for line in lines] == ["ann.d", "bob.d"]  # SIS Login ID
    code, said = _grades(course, capsys, "--format", "moodle", "--out", str(course / "m.csv"))
    assert code == 0 and "moodle file for 2 students written" in said
    assert len((course / "m.csv").read_text(encoding="utf-8-sig").splitlines()) == 1 + 2
    code, said = _grades(course, capsys, "--format", "csv", "--out", str(course / "p.csv"))
    assert "csv file for 5 students written" in said  # every entry: the class and bob.d
    plain = (course / "p.csv").read_text(encoding="utf-8-sig")
    assert "bob.d,20," in plain and "not on the roster" in plain  # kept, flagged
    assert "'bob.d' is the sis_login_id of 'bob': rename the entry to 'bob'" in plain
    # the batch's table flags it too
    plan = plan_mod.load(course / "course.toml")
    with Gradebook(course / "gb.sqlite", writable=False) as book:
        rows = assignbook.read(book, "a1")
    shown = io.StringIO()
    people = assigned.Class(coursegrade.read_roster(plan.roster), {}, {})
    assigned.show(rows, plan, plan.item("a1"), Console(file=shown, width=300), people)
    table = shown.getvalue()
    assert "not on the roster (kept out of the LMS files): bob.d" in table


def test_drop_leaves_the_entry_out_everywhere_and_undo_brings_it_back(course, capsys):
    _stranger(course, "dmitri+a1")
    book = str(course / "gb.sqlite")
    common = ["--plan", str(course / "course.toml"), "--gradebook", book]
    with Gradebook(book) as gb:  # as if settled with another version of the plan
        gb.db.execute("UPDATE assignment_grades SET plan_hash = 'old' WHERE student = 'dmitri+a1'")
        gb.db.commit()
    plan = plan_mod.load(course / "course.toml")
    assert assigned._plan_conflict(Path(book), plan, plan.item("a1"))  # the warning that stayed
    assert main(["course", "drop", "dmitri+a1", "a1", *common]) == 2  # no reason
    assert main(["course", "drop", "ann", "a1", "--reason", "x", *common]) == 2  # on the roster
    assert main(["course", "drop", "zed", "a1", "--reason", "x", *common]) == 2  # no such entry
    said = " ".join(capsys.readouterr().out.split())
    assert "--reason must say why" in said and "ann is on the roster" in said
    assert "no entry 'zed' of a1" in said
    reason = "nbgrader misread the ISO time of dmitri's folder"
    assert main(["course", "drop", "dmitri+a1", "a1", "--reason", reason, *common]) == 0
    assert "dmitri+a1, a1: dropped" in " ".join(capsys.readouterr().out.split())
    assert assigned._plan_conflict(Path(book), plan, plan.item("a1")) is None
    code, said = _grades(course, capsys)
    assert "dmitri" not in said
    with Gradebook(book, writable=False) as gb:
        assert assignbook.dropped(gb) == {("dmitri+a1", "a1"): reason}
        assert [g.student for g in assignbook.read(gb, "a1", with_dropped=True)].count(
            "dmitri+a1"
        ) == 1
    assert main(["course", "drop", "dmitri+a1", "a1", "--undo", *common]) == 0
    assert "not on the roster" in _grades(course, capsys)[1]
    assert main(["course", "drop", "dmitri+a1", "a1", "--undo", *common]) == 2  # nothing to undo


def test_the_batch_table_says_excused_and_extension_running_never_missing(tmp_path):
    path = write_plan(tmp_path)
    _roster(tmp_path, "cy,Cy,Doe,cy@example.edu,S1,cy.d\n")
    plan = plan_mod.load(path)
    later = (lateness.local(DUE + timedelta(days=3650), plan.timezone))[:10]
    (tmp_path / "extensions.csv").write_text(
        f"student,assignment,due\nann,a1,excused\nbob,a1,{later}T12:00\n"
    )
    extensions = lateness.read_extensions(plan.extensions, plan)
    shown = io.StringIO()
    people = assigned.Class(coursegrade.read_roster(plan.roster), extensions, {})
    after_due = DUE + timedelta(days=1)
    assigned.show([], plan, plan.item("a1"), Console(file=shown, width=300), people, after_due)
    table = shown.getvalue()
    ann, bob, cy = (
        next(line for line in table.splitlines() if f" {s} " in line) for s in ("ann", "bob", "cy")
    )
    assert "excused" in ann and "missing" not in ann
    assert f"extension running (until {later} 12:00 UTC)" in bob and "missing" not in bob
    assert "missing" in cy


# ------------------------------------------------------------------------------ quiet inputs


def test_nbgraders_unquoted_names_are_read_as_nbgrader_writes_them(tmp_path):
    """nbgrader's export joins its fields with commas and quotes none: ``Walker, Jr.`` adds a
    field. The row is read from both ends; an id the roster could read two ways names the line."""
    export = tmp_path / "grades.csv"
    export.write_text(
        "assignment,duedate,timestamp,student_id,last_name,first_name,email,raw_score,"
        "late_submission_penalty,score,max_score\n"
        "lab1,,2027-01-20 10:00:00,ann,Walker, Jr.,Ann,ann@x.edu,9.0,0.0,9.0,10.0\n"
        "lab1,,2027-01-20 11:00:00,bob,Doe,Bob,,8.0,0.0,8.0,10.0\n"
    )
    rows = coursegrade.read_nbgrader_export(export, {"lab1"}, None, {"ann", "bob"})
    assert {k: (r.raw, r.max_points) for k, r in rows.items()} == {
        ("ann", "lab1"): (9.0, 10.0),
        ("bob", "lab1"): (8.0, 10.0),
    }
    export.write_text(
        export.read_text().replace(
            "lab1,,2027-01-20 11:00:00,bob,Doe,", "lab1,,2027-01-20 11:00:00,bob,x,Doe,"
        )
    )
    with pytest.raises(
        ValueError, match=r"grades.csv, line 3: the student id could be any of 'bob', 'bob,x'"
    ):
        coursegrade.read_nbgrader_export(export, {"lab1"}, None, {"bob", "bob,x"})


@pytest.mark.parametrize("option", ["--gradebook", "--nbgrader-grades"])
def test_a_mistyped_input_file_is_refused_not_read_as_nobody_graded(course, capsys, option):
    argv = ["grades", "--plan", str(course / "course.toml"), option, str(course / "typo.sqlite")]
    out = course / "g.csv"
    assert main([*argv, "--format", "csv", "--out", str(out)]) == 2
    assert f"{option} {course / 'typo.sqlite'}: no such file" in capsys.readouterr().out
    assert not out.exists()


@pytest.mark.parametrize("out", ["newdir/x.csv", "newdir/", "g.csv/"])
def test_an_out_in_a_folder_that_does_not_exist_is_refused(course, capsys, monkeypatch, out):
    monkeypatch.chdir(course)
    argv = ["grades", "--plan", str(course / "course.toml"), "--format", "csv", "--out", out]
    before = snapshot(course)
    assert main(argv) == 2
    assert "cannot write" in capsys.readouterr().out or True
    assert snapshot(course) == before and not (course / "newdir").exists()


@pytest.mark.parametrize("year", ["0001", "9999"])
def test_a_date_outside_the_sane_years_is_refused_by_every_term_command(course, capsys, year):
    gb = str(course / "gb.sqlite")
    plan = str(course / "course.toml")
    before = snapshot(course)
    when = f"{year}-01-08T20:00"
    assert (
        main(
            [
                "course",
                "set-time",
                "ann",
                "a1",
                when,
                "--why",
                "x",
                "--plan",
                plan,
                "--gradebook",
                gb,
            ]
        )
        == 2
    )
    assert main(["grades", "--plan", plan, "--gradebook", gb, "--at", when]) == 2
    (course / "extensions.csv").write_text(f"student,assignment,due\nann,a1,{when}\n")
    assert main(["course", "check", "--plan", plan]) == 2
    (course / "extensions.csv").write_text("student,assignment,due\nann,a1,+1d\n")
    text = (course / "course.toml").read_text()
    (course / "course.toml").write_text(
        text.replace("due = 2027-01-20T23:59:00", f"due = {when}:00")
    )
    for argv in (["course", "check"], ["course", "sync-nbgrader"], ["grades", "--gradebook", gb]):
        with pytest.raises(SystemExit) as info:
            main([*argv, "--plan", plan])
        assert info.value.code == 2
    said = " ".join(capsys.readouterr().out.split())
    assert said.count("outside the years 1970 to 2199") >= 5
    (course / "course.toml").write_text(text)
    assert snapshot(course) == before
