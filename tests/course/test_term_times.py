"""One trusted submission time per submission, from the source the plan names.

Every format nbgrader writes is read (with and without ``%Z``, with and without microseconds),
a zone abbreviation is resolved against the course's time zone and never guessed, a record the
student could have written never stands in for the platform's or the instructor's, a time
that is missing or unreadable is *unknown* (no penalty, flagged) until the instructor sets it,
and a corrected record settles the row again without grading again.
"""

from __future__ import annotations

import json
import os
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from descent.commands import main
from descent.course import assignbook, assigned, lateness, submissions
from descent.course import plan as plan_mod
from descent.course.gradebook import Gradebook

from .test_term import DUE, PLAN, _outcome, write_plan

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    "text, utc",
    [
        # nbgrader's default format, "%Y-%m-%d %H:%M:%S.%f %Z", in a course in Europe/Berlin
        ("2026-09-21 23:30:00.000000 CEST", "2026-09-21 21:30"),
        ("2026-09-21 23:30:00 CEST", "2026-09-21 21:30"),  # no microseconds
        ("2026-09-21 23:30:00.000000", "2026-09-21 21:30"),  # no %Z: the course's zone
        ("2026-09-21 23:30:00", "2026-09-21 21:30"),
        ("2026-09-21 21:30:00.123456 UTC", "2026-09-21 21:30"),  # nbgrader's default zone
        ("2026-12-01 23:30:00.000000 CET", "2026-12-01 22:30"),  # winter time
        ("2026-09-21 23:30:00.000000 +0200", "2026-09-21 21:30"),  # a %z format
        ("2026-09-21T20:30:00-01:00", "2026-09-21 21:30"),  # ISO 8601
        ("2026-09-21T21:30:00Z", "2026-09-21 21:30"),
        ("2026-09-21 17:30:00 America/New_York", "2026-09-21 21:30"),  # an IANA name
        ("2026-09-21 11:30:00.000000 HST", "2026-09-21 21:30"),  # an IANA key
        # the hour that happens twice: the abbreviation says which
        ("2026-10-25 02:30:00.000000 CEST", "2026-10-25 00:30"),
        ("2026-10-25 02:30:00.000000 CET", "2026-10-25 01:30"),
    ],
)
def test_every_time_stamp_nbgrader_writes_is_read(text, utc):
    got = lateness.parse_time(text, BERLIN)
    assert got.astimezone(UTC).strftime("%Y-%m-%d %H:%M") == utc


@pytest.mark.parametrize("text", ["2026-09-21 23:30:00 CST", "yesterday", "2026-13-01 10:00"])
def test_a_zone_or_date_that_cannot_be_resolved_is_refused_with_the_reason(text):
    with pytest.raises(ValueError, match="zone 'CST' is neither|not a date and time"):
        lateness.parse_time(text, BERLIN)


def _folder(root: Path, name: str, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / name / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / name / rel).write_text(text)
    return root / name


def _when(source, subs: Path, student: str, tz=UTC, manifest=None) -> lateness.Submitted:
    entry = next(e for e in submissions.discover(subs).entries if e.student == student)
    root = assigned.entry_root(entry.path, subs)
    return lateness.submitted(source, student, root, entry.path, entry.modified, manifest or {}, tz)


def test_the_issue_case_an_on_time_cest_stamp_is_on_time(tmp_path):
    """nbgrader 0.9.6 in Europe/Berlin wrote ``... CEST``: read as that offset, 30 min early."""
    subs = tmp_path / "subs"
    _folder(subs, "ann", {"basics.py": "", "timestamp.txt": "2026-09-21 23:30:00.000000 CEST"})
    when = _when("nbgrader", subs, "ann", BERLIN)
    due = datetime(2026, 9, 22, 0, 0, tzinfo=BERLIN)
    assert when.source == lateness.TIMESTAMP and when.at == due - timedelta(minutes=30)
    assert lateness.penalty(plan_mod.LatePolicy(penalty=5), due, when.at).percent == 0


def test_a_missing_or_unreadable_stamp_is_unknown_never_the_file_time(tmp_path):
    subs = tmp_path / "subs"
    _folder(subs, "copied", {"basics.py": ""})  # a copied folder without its timestamp.txt
    _folder(subs, "odd", {"basics.py": "", "timestamp.txt": "2026-09-21 23:30:00 CST"})
    os.utime(subs / "copied", (1_900_000_000, 1_900_000_000))  # 60 days after the due date
    copied, odd = _when("nbgrader", subs, "copied", BERLIN), _when("nbgrader", subs, "odd", BERLIN)
    assert not copied.known and "no timestamp.txt" in copied.source
    assert not odd.known and "timestamp.txt unreadable" in odd.source and "'CST'" in odd.source


def test_a_timestamp_the_student_wrote_never_beats_gradescope(tmp_path):
    """With Gradescope as the source only its metadata, beside the upload, is read: a
    timestamp.txt inside the upload is ignored, and a submission_metadata.json among the
    uploaded files is the student's own and is refused."""
    subs = tmp_path / "subs"
    late = {"created_at": "2027-01-10T12:00:00.000000+00:00"}
    forged = "2027-01-01 00:00:00.000000 UTC"
    _folder(
        subs,
        "eve",
        {
            "submission/basics.py": "",
            "submission/timestamp.txt": forged,
            "submission_metadata.json": json.dumps(late),
        },
    )
    _folder(
        subs,
        "mal",
        {
            "basics.py": "",
            "timestamp.txt": forged,
            "submission_metadata.json": json.dumps({"created_at": "2027-01-01T00:00:00Z"}),
        },
    )
    eve, mal = _when("gradescope", subs, "eve"), _when("gradescope", subs, "mal")
    assert eve == lateness.Submitted(datetime(2027, 1, 10, 12, tzinfo=UTC), lateness.GRADESCOPE)
    assert not mal.known and "among the uploaded files" in mal.source


def test_a_timestamp_inside_a_zip_entry_is_read_as_in_a_folder(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, inner in (("ann", "timestamp.txt"), ("bob", "hw1/timestamp.txt"), ("cy", None)):
        with zipfile.ZipFile(subs / f"{name}.zip", "w") as archive:
            archive.writestr("hw1/basics.py" if inner and "/" in inner else "basics.py", "")
            if inner:
                archive.writestr(inner, "2027-01-08 23:10:00.000000 UTC")
    stamp = datetime(2027, 1, 8, 23, 10, tzinfo=UTC)
    assert _when("nbgrader", subs, "ann").at == stamp
    assert _when("nbgrader", subs, "bob").at == stamp
    assert not _when("nbgrader", subs, "cy").known


def test_the_manifest_source_reads_the_manifest_alone(tmp_path):
    subs = tmp_path / "subs"
    _folder(subs, "ann", {"basics.py": "", "timestamp.txt": "2027-01-01 00:00:00 UTC"})
    _folder(subs, "bob", {"basics.py": ""})
    _folder(subs, "cy", {"basics.py": ""})
    (subs / "manifest.csv").write_text(
        "student,submitted_at\nann,2027-01-09T10:00:00Z\ncy,next tuesday\n"
    )
    manifest = lateness.read_manifest(subs)
    assert _when("manifest", subs, "ann", manifest=manifest).at == datetime(
        2027, 1, 9, 10, tzinfo=UTC
    )
    bob, cy = _when("manifest", subs, "bob", manifest=manifest), manifest["cy"]
    assert not bob.known and "not in manifest.csv" in bob.source
    assert not cy.known and "manifest.csv line 3" in cy.source


def _settle(book, plan, subs: Path, overrides=None) -> dict[str, assignbook.Grade]:
    """Record a full-marks grading of each entry of ``subs`` and settle a1, as the batch does."""
    listing = submissions.discover(subs)
    for entry in listing.entries:
        digest = submissions.content_hash(entry.path)
        if book.graded(entry.student, digest, "v-a1") is None:
            book.record(
                _outcome(entry.student, 20.0, 20.0, digest),
                source="x",
                submitted=0,
                superseded=[],
            )
    records = assigned.Records(
        lateness.read_manifest(subs, plan.timezone),
        lateness.read_extensions(plan.extensions, plan),
        assignbook.overrides(book),
    )
    grades = assigned.settle(book, plan, plan.item("a1"), listing, "v-a1", subs, records)
    assignbook.write(book, grades)
    return {g.student: g for g in grades}


def test_an_unknown_time_takes_nothing_off_and_is_flagged(tmp_path):
    plan = plan_mod.load(write_plan(tmp_path))
    subs = tmp_path / "subs"
    _folder(subs, "ann", {"basics.py": "# ann"})
    (subs / "manifest.csv").write_text("student,submitted_at\n")
    with Gradebook(tmp_path / "gb.sqlite") as book:
        ann = _settle(book, plan, subs)["ann"]
    assert ann.submitted_at == "" and ann.time_source.startswith(lateness.UNKNOWN)
    assert ann.penalty == 0 and ann.final == ann.raw == 20
    assert "no late penalty until the time is set" in ann.reason
    (line,) = assigned.attention([ann])
    assert "time unknown" in line and "descent course set-time STUDENT a1" in line


def test_set_time_records_the_reason_and_settles_again_without_grading(tmp_path, capsys):
    path = write_plan(tmp_path)
    plan = plan_mod.load(path)
    subs = tmp_path / "subs"
    _folder(subs, "ann", {"basics.py": "# ann"})
    (subs / "manifest.csv").write_text("student,submitted_at\n")
    book_path = tmp_path / "gb.sqlite"
    with Gradebook(book_path) as book:
        _settle(book, plan, subs)
    late = (DUE + timedelta(days=1, hours=1)).isoformat()  # 2 started days: 20%
    argv = ["course", "set-time", "ann", "a1", late, "--why", "email receipt", "--plan", str(path)]
    assert main(argv + ["--gradebook", str(book_path)]) == 0
    assert "final 20 -> 16/20" in capsys.readouterr().out
    with Gradebook(book_path) as book:
        (row,) = assignbook.read(book, "a1")
        assert row.final == 16 and row.time_source == "set by the instructor: email receipt"
        assert assignbook.overrides(book)[("ann", "a1")].why == "email receipt"
        # the next run keeps the time set by hand, whatever the manifest says
        (subs / "manifest.csv").write_text(f"student,submitted_at\nann,{DUE.isoformat()}\n")
        assert _settle(book, plan, subs)["ann"].final == 16
    assert main(argv[:-4] + ["--why", " ", "--plan", str(path)]) == 2
    assert main(["course", "set-time", "zed", "a1", late, "--why", "x", "--plan", str(path)]) == 2
    assert "no student 'zed' in the roster" in capsys.readouterr().out


def test_the_file_source_keeps_the_first_time_of_the_same_content(tmp_path):
    """Copying files changes their time: a regrade of the same content must not make it late."""
    path = write_plan(tmp_path, PLAN.replace('time_source = "manifest"', 'time_source = "file"'))
    plan = plan_mod.load(path)
    subs = tmp_path / "subs"
    _folder(subs, "ann", {"basics.py": "# ann"})
    early = (DUE - timedelta(hours=1)).timestamp()
    os.utime(subs / "ann" / "basics.py", (early, early))
    os.utime(subs / "ann", (early, early))
    with Gradebook(tmp_path / "gb.sqlite") as book:
        first = _settle(book, plan, subs)["ann"]
        later = (DUE + timedelta(days=3)).timestamp()
        os.utime(subs / "ann" / "basics.py", (later, later))
        again = _settle(book, plan, subs)["ann"]
    assert first.time_source == lateness.FILE and first.penalty == 0
    assert again.submitted_at == first.submitted_at and again.penalty == 0
