"""When a submission came in and how late it was (``descent.course.lateness``): one trusted
submission time per submission, from the source the plan names.

Every format nbgrader writes is read (with and without ``%Z``, with and without microseconds),
a zone abbreviation is resolved against the course's time zone and never guessed, a record the
student could have written never stands in for the platform's or the instructor's, a time
that is missing or unreadable is *unknown* (no penalty, flagged) until the instructor sets it,
and a corrected record settles the row again without grading again.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from descent.commands import main
from descent.course import assignbook, assigned, coursegrade, lateness, submissions
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


def test_a_manifest_row_in_another_case_is_the_same_student_and_refused(tmp_path):
    """The roster ignores case (``ANA`` is ``ana``): a second row of one student in another case
    would settle nobody, or win unseen, as a second row in the same case would."""
    subs = tmp_path / "subs"
    _folder(subs, "ana", {"basics.py": ""})
    (subs / "manifest.csv").write_text(
        "student,submitted_at\nana,2027-01-09T10:00:00Z\nANA,2027-01-12T10:00:00Z\n"
    )
    with pytest.raises(
        lateness.LatenessError, match="line 3: 'ANA' again .first on line 2, as 'ana'"
    ):
        lateness.read_manifest(subs)


def test_the_manifest_rows_that_name_no_submission_are_listed(tmp_path):
    subs = tmp_path / "subs"
    (subs / "manifest.csv").parent.mkdir()
    (subs / "manifest.csv").write_text(
        "student,submitted_at\nana,2027-01-09T10:00:00Z\nBob,2027-01-09T10:00:00Z\n"
        "zed,2027-01-09T10:00:00Z\n"
    )
    manifest = lateness.read_manifest(subs)
    assert lateness.strays(manifest, ["ana", "bob"]) == ["'Bob' (the entry is 'bob')", "'zed'"]
    assert lateness.strays(manifest, ["ana", "Bob", "zed"]) == []


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


# ------------------------------------------------------------------------------ elapsed time

# Both changes of each zone in 2027: (zone, the clock time the day before, the clock time the
# morning after, the elapsed time between them). Southern zones change in April and
# September/October; northern ones in March and October/November.
CHANGES = [
    ("Europe/Paris", "2027-03-27 23:59", "2027-03-28 09:00", timedelta(hours=8, minutes=1)),
    ("Europe/Paris", "2027-10-30 23:59", "2027-10-31 09:00", timedelta(hours=10, minutes=1)),
    ("America/New_York", "2027-03-13 23:59", "2027-03-14 09:00", timedelta(hours=8, minutes=1)),
    ("America/New_York", "2027-11-06 23:59", "2027-11-07 09:00", timedelta(hours=10, minutes=1)),
    ("Australia/Sydney", "2027-04-03 23:59", "2027-04-04 09:00", timedelta(hours=10, minutes=1)),
    ("Australia/Sydney", "2027-10-02 23:59", "2027-10-03 09:00", timedelta(hours=8, minutes=1)),
    ("Pacific/Auckland", "2027-04-03 23:59", "2027-04-04 09:00", timedelta(hours=10, minutes=1)),
    ("Pacific/Auckland", "2027-09-25 23:59", "2027-09-26 09:00", timedelta(hours=8, minutes=1)),
]
HOURLY = plan_mod.LatePolicy(penalty=5, per="hour", cap=100)


@pytest.mark.parametrize(
    "zone, due, handed, late", CHANGES, ids=[f"{c[0]}-{c[1][:7]}" for c in CHANGES]
)
def test_lateness_is_elapsed_time_across_a_change_of_the_clocks(tmp_path, zone, due, handed, late):
    """The issue's case, in four zones and both directions: due 23:59 the night the clocks
    change, handed in at 09:00 written without an offset. Python subtracts two datetimes of
    one zone as clock times (9 h 1 min); the penalty counts what passed. The batch's row, the
    report's lines and ``descent grades`` (which recomputes from the stored offset time) agree."""
    tz = ZoneInfo(zone)
    due_at = lateness.parse_time(due, tz)
    at = lateness.parse_time(handed, tz)
    assert at - due_at == timedelta(hours=9, minutes=1)  # what Python's subtraction says
    assert lateness.elapsed(at, due_at) == late
    charged = lateness.penalty(HOURLY, due_at, at)
    hours = math.ceil(late / timedelta(hours=1))
    assert (charged.late_by, charged.percent) == (late, 5 * hours)
    # the batch (a manifest row without an offset), descent grades, and the report
    path = write_plan(tmp_path)
    path.write_text(
        path.read_text()
        .replace('timezone = "UTC"', f'timezone = "{zone}"')
        .replace("due = 2027-01-08T23:59:00", f"due = {due.replace(' ', 'T')}:00")
        .replace('penalty = 10\nper = "day"\ncap = 50', 'penalty = 5\nper = "hour"\ncap = 100')
    )
    plan = plan_mod.load(path)
    subs = tmp_path / "subs"
    _folder(subs, "ann", {"basics.py": "# ann"})
    (subs / "manifest.csv").write_text(f"student,submitted_at\nann,{handed.replace(' ', 'T')}:00\n")
    with Gradebook(tmp_path / "gb.sqlite") as book:
        row = _settle(book, plan, subs)["ann"]
        reports = assigned.write_reports(book, [row], plan, tmp_path / "reports")
    assert row.penalty_percent == 5 * hours, row.reason
    assert row.reason.startswith(lateness._span(late) + " after the due date")
    inputs = coursegrade.Inputs(code={("ann", "a1"): row}, roster={})
    cell = coursegrade.compute(plan, inputs, ["ann"], at + timedelta(days=30))[0].cells["a1"]
    assert cell.penalty == row.penalty and cell.points == row.final
    page = (reports / "ann.html").read_text()
    assert f"Late policy: {row.reason}." in page


@pytest.mark.parametrize(
    "zone, text, why",
    [
        ("Europe/Paris", "2027-03-28 02:30", "does not exist in Europe/Paris"),
        ("Europe/Paris", "2027-10-31 02:30", "happens twice in Europe/Paris"),
        ("Australia/Sydney", "2027-10-03 02:30", "does not exist in Australia/Sydney"),
        ("Australia/Sydney", "2027-04-04 02:30", "happens twice in Australia/Sydney"),
    ],
)
def test_a_clock_time_the_zone_skips_or_repeats_is_never_guessed(zone, text, why):
    with pytest.raises(ValueError, match=why):
        lateness.parse_time(text, ZoneInfo(zone))
    # with its abbreviation (as nbgrader writes it) or an offset, the repeated hour is one
    if "twice" in why:
        first = lateness.parse_time(text + " +0200", ZoneInfo(zone))
        assert first.utcoffset() == timedelta(hours=2)


def test_nbgraders_abbreviations_are_read_in_its_own_zone_and_a_foreign_one_is_not_guessed():
    """nbgrader writes %Z of Exchange.timezone; its own parser reads AEDT as UTC, CET in summer
    as CEST and '+04' as four seconds. Here: the abbreviation the zone uses at that date."""
    from dateutil.tz import gettz

    sydney = gettz("Australia/Sydney")  # as nbgrader resolves Exchange.timezone
    assert lateness.parse_time("2026-10-05 10:30:00.000000 AEDT", sydney) == datetime(
        2026, 10, 4, 23, 30, tzinfo=UTC
    )
    assert lateness.parse_time("2026-10-03 10:30:00.000000 AEST", sydney) == datetime(
        2026, 10, 3, 0, 30, tzinfo=UTC
    )
    posix = gettz("AEST-10AEDT,M10.1.0,M4.1.0/3")  # a POSIX TZ string, which nbgrader accepts
    assert lateness.parse_time("2026-10-05 10:30:00.000000 AEDT", posix).astimezone(UTC) == (
        datetime(2026, 10, 4, 23, 30, tzinfo=UTC)
    )
    assert lateness.parse_time("2026-10-05 10:30:00.000000 +04", sydney).utcoffset() == (
        timedelta(hours=4)
    )
    with pytest.raises(ValueError, match="'AEST' is neither"):  # AEST in summer: not that zone's
        lateness.parse_time("2026-12-05 10:30:00.000000 AEST", sydney)
    with pytest.raises(ValueError, match="'CET' is neither"):  # the CET zone in July is CEST
        lateness.parse_time("2026-07-05 10:30:00.000000 CET", sydney)


@pytest.mark.parametrize("text", ["0001-01-01 00:00:00", "9999-12-31 23:59:00 UTC"])
def test_the_years_1_and_9999_are_refused(text):
    with pytest.raises(ValueError, match="outside the years 1970 to 2199"):
        lateness.parse_time(text, UTC)


def test_an_extension_in_hours_is_elapsed_time_in_days_the_calendar(tmp_path):
    """Due 2027-03-27 23:59 in Paris, the night the clocks jump: +36h is 36 hours later (13:59
    CEST on the 29th); +2d is the same clock time two days later (23:59 CEST on the 29th, 47
    hours later)."""
    path = write_plan(tmp_path)
    path.write_text(
        path.read_text()
        .replace('timezone = "UTC"', 'timezone = "Europe/Paris"')
        .replace("due = 2027-01-08T23:59:00", "due = 2027-03-27T23:59:00")
        .replace("due = 2027-01-15T23:59:00", "due = 2027-03-30T23:59:00")
        .replace("due = 2027-01-22T23:59:00", "due = 2027-04-06T23:59:00")
        .replace("due = 2027-01-20T23:59:00", "due = 2027-04-06T23:59:00")
    )
    (tmp_path / "extensions.csv").write_text("student,assignment,due\nann,a1,+36h\nbob,a1,+2d\n")
    plan = plan_mod.load(path)
    found = lateness.read_extensions(plan.extensions, plan)
    due = plan.item("a1").due
    assert lateness.elapsed(found[("ann", "a1")].due, due) == timedelta(hours=36)
    assert found[("bob", "a1")].due.strftime("%Y-%m-%d %H:%M %Z") == "2027-03-29 23:59 CEST"
    assert lateness.elapsed(found[("bob", "a1")].due, due) == timedelta(hours=47)
