"""What nbgrader recorded at submit, read in the zone nbgrader was configured with; two records
that disagree, a zone that cannot be resolved, and an export of an earlier collect each make the
time unknown, with the reason; a copy written after the time it claims counts from when it was
written, by the change time the course's collect recorded (or the exchange copy's own).

The course folders here are written by hand in nbgrader's layout (the texts are those nbgrader
0.9 writes), with the record the course's collect keeps written as it would have written it had
the copy been collected at the moment named (a file's change time cannot be set);
``tests/labs/test_collect.py`` and ``test_term_nbgrader.py`` drive nbgrader's real exchange.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from descent.course import lateness, nbrecords
from descent.labs import collected

pytest.importorskip("nbgrader")
pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

UTC = timezone.utc
LAB = "lab1"


def _course(tmp_path: Path, zone: str | None, fmt: str | None = None) -> Path:
    course = tmp_path / "course"
    (course / "exchange" / "c" / "inbound").mkdir(parents=True)
    lines = ["c = get_config()  # noqa", "c.CourseDirectory.course_id = 'c'"]
    lines.append(f"c.Exchange.root = {str(course / 'exchange')!r}")
    if zone is not None:
        lines.append(f"c.Exchange.timezone = {zone!r}")
    if fmt is not None:
        lines.append(f"c.Exchange.timestamp_format = {fmt!r}")
    (course / "nbgrader_config.py").write_text("\n".join(lines) + "\n")
    return course


def _submitted(course: Path, student: str, stamp: str | None, at: datetime, exchange=True):
    """A copy as submit and collect leave it: in the exchange under its time, and collected
    into submitted/ with the files' times of the moment it was made, and the collect's record
    saying it was last written at ``at``."""
    made = []
    folder = course / "submitted" / student / LAB
    made.append(folder)
    if exchange and stamp is not None:
        made.append(course / "exchange" / "c" / "inbound" / f"{student}+{LAB}+{stamp}+abc")
    for copy in made:
        copy.mkdir(parents=True)
        (copy / f"{LAB}.ipynb").write_text("{}")
        if stamp is not None:
            (copy / "timestamp.txt").write_text(stamp)
        for path in copy.iterdir():
            os.utime(path, (at.timestamp(), at.timestamp()))
    if exchange and stamp is not None:
        _record(course, student, made[1].name, at, folder)
    return made


def _record(course: Path, student: str, copy: str, written: datetime, folder: Path) -> None:
    """The record the course's collect keeps of the copy it took into ``folder``."""
    record = collected.Record(
        student, copy, written.timestamp() + 60, written.timestamp(), collected.hashes(folder)
    )
    collected.append(course, LAB, record)


def _read(course: Path, student: str, exported=None):
    return nbrecords.Records(course).submitted(student, LAB, exported).when


@pytest.mark.parametrize(
    "zone, stamp, utc",
    [
        (None, "2026-10-03 23:30:00.000000 UTC", "2026-10-03 23:30"),  # nbgrader's default
        ("Australia/Sydney", "2026-10-04 10:30:00.000000 AEDT", "2026-10-03 23:30"),
        ("Australia/Sydney", "2026-10-04 01:30:00.000000 AEST", "2026-10-03 15:30"),
        ("Australia/Sydney", "2026-10-04 10:30:00.000000 UTC", "2026-10-04 10:30"),
        ("AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-10-04 10:30:00.000000 AEDT", "2026-10-03 23:30"),
        ("Europe/Berlin", "2026-10-25 02:30:00.000000 CEST", "2026-10-25 00:30"),  # twice: 1st
        ("Europe/Berlin", "2026-10-25 02:30:00.000000 CET", "2026-10-25 01:30"),  # twice: 2nd
    ],
)
def test_the_time_is_read_in_nbgraders_zone(tmp_path, zone, stamp, utc):
    course = _course(tmp_path, zone)
    at = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    _submitted(course, "ann", stamp, at)
    when = _read(course, "ann")
    assert when.known and when.at == at, when


@pytest.mark.parametrize(
    "zone, stamp, why",
    [
        (None, "2026-10-04 10:30:00.000000 AEDT", "'AEDT' is neither an offset, UTC, an abbreviation UTC uses"),
        ("Australia/Sydney", "2026-12-04 10:30:00.000000 AEST", "'AEST' is neither"),
        ("Europe/Berlin", "2026-10-25 02:30:00.000000", "happens twice in Europe/Berlin"),
        ("Mars/Olympus", "2026-10-25 02:30:00.000000 UTC", "Exchange.timezone 'Mars/Olympus' is not a time zone"),
        ("UTC", "1000-10-25 02:30:00.000000 UTC", "outside the years 1970 to 2199"),
    ],
)  # fmt: skip
def test_a_zone_or_time_that_cannot_be_resolved_is_unknown_with_the_reason(
    tmp_path, zone, stamp, why
):
    course = _course(tmp_path, zone)
    _submitted(course, "ann", stamp, datetime(1990, 1, 1, tzinfo=UTC))
    when = _read(course, "ann")
    assert not when.known and why in when.source, when.source


def test_records_that_disagree_are_not_guessed_between(tmp_path):
    course = _course(tmp_path, "Australia/Sydney")
    at = datetime(2026, 10, 4, 20, tzinfo=UTC)
    # ann's timestamp.txt was edited in the exchange after submit: the name keeps the real time
    collected, copy = _submitted(course, "ann", "2026-10-05 07:00:00.000000 AEDT", at)
    for folder in (collected, copy):
        (folder / "timestamp.txt").write_text("2026-10-04 10:00:00.000000 AEDT")
        os.utime(folder / "timestamp.txt", (at.timestamp(), at.timestamp()))
    os.rename(copy, copy.with_name(f"ann+{LAB}+2026-10-05 07:00:00.000000 AEDT+abc"))
    when = _read(course, "ann")
    assert not when.known and "records disagree" in when.source
    assert "no copy of ann's in the exchange was submitted then" in when.source
    # bob's exchange copy carries his time in its name, but another one in its timestamp.txt
    collected, copy = _submitted(course, "bob", "2026-10-04 10:00:00.000000 AEDT", at)
    (copy / "timestamp.txt").write_text("2026-10-05 07:00:00.000000 AEDT")
    when = _read(course, "bob")
    assert not when.known and "holds a timestamp.txt that says '2026-10-05 07:00" in when.source
    # cy's export is of an earlier collect: it holds another time than nbgrader's reading
    _submitted(course, "cy", "2026-10-04 10:00:00.000000 AEDT", datetime(2026, 10, 3, tzinfo=UTC))
    assert _read(course, "cy", datetime(2026, 10, 4, 10)).known  # nbgrader's (wrong) reading
    stale = _read(course, "cy", datetime(2026, 10, 2, 9))
    assert not stale.known and "the export is of an earlier collect" in stale.source


def test_a_copy_written_after_the_time_it_claims_counts_from_when_it_was_written(tmp_path):
    """A copy made by hand in the exchange, named an hour before the due date, written 19
    hours after it, its files' modification times set back with ``touch -d``: it used to be
    read from those times (on time, unflagged); the change time collect recorded says when it
    was written, and the time counts from there, flagged."""
    course = _course(tmp_path, "Australia/Sydney")
    claimed, written = datetime(2026, 10, 4, 0, tzinfo=UTC), datetime(2026, 10, 4, 20, tzinfo=UTC)
    folder, copy = _submitted(course, "hana", "2026-10-04 11:00:00.000000 AEDT", claimed)
    (collected_log := course / collected.LOG / f"{LAB}.jsonl").unlink()
    _record(course, "hana", copy.name, written, folder)
    when = _read(course, "hana")
    assert when.at == written, when
    assert when.doubt.startswith(
        f"counted from when it was written: submitted/hana/{LAB} claims 2026-10-04 11:00 AEDT, "
        f"but its exchange copy was last written 2026-10-05 07:00 AEDT (the change time "
        f"nbgrader collect read)"
    ), when.doubt
    # within 5 minutes (submit writes timestamp.txt, then the work) it is on time and unflagged
    _submitted(
        course, "ivo", "2026-10-04 11:00:00.000000 AEDT", datetime(2026, 10, 4, 0, 4, tzinfo=UTC)
    )
    assert _read(course, "ivo") == lateness.Submitted(claimed, lateness.TIMESTAMP)
    # the plan's allowance: a network file system whose clock runs 20 hours ahead
    records = nbrecords.Records(course, allowance=timedelta(hours=21))
    assert records.submitted("hana", LAB, None).when.at == claimed
    assert collected_log.is_file()


def test_without_the_collect_record_the_exchange_copys_change_time_counts(tmp_path):
    """Collected before the course's collect kept records: the exchange copy of the very
    files collected is read as it is now (its change time can only have grown since). With
    neither, nothing the student cannot set says when the copy was written: time unknown."""
    course = _course(tmp_path, "Australia/Sydney")
    stamp = "2026-10-04 11:00:00.000000 AEDT"
    folder, copy = _submitted(course, "jo", stamp, datetime(2026, 10, 4, 0, tzinfo=UTC))
    (course / collected.LOG / f"{LAB}.jsonl").unlink()
    now = datetime.fromtimestamp(max(p.stat().st_ctime for p in [copy, *copy.iterdir()]), UTC)
    when = _read(course, "jo")
    assert when.at == now and "the exchange copy's change time" in when.source, when
    (folder / f"{LAB}.ipynb").write_text('{"changed": 1}')  # not the files in the exchange
    when = _read(course, "jo")
    assert not when.known and "nothing the student cannot set says when" in when.source, when


def test_without_a_timestamp_or_a_collected_copy(tmp_path):
    course = _course(tmp_path, "Australia/Sydney")
    _submitted(course, "fay", None, datetime(2026, 10, 4, tzinfo=UTC), exchange=False)
    when = _read(course, "fay")
    assert not when.known and f"no timestamp.txt in submitted/fay/{LAB}" in when.source
    # no collected copy: the export's time is nbgrader's reading, trusted only at UTC
    gone = _read(course, "gus", datetime(2026, 10, 4, 10))
    assert not gone.known and "which it takes for UTC" in gone.source
    utc = _course(tmp_path / "utc", None)
    assert _read(utc, "gus", datetime(2026, 10, 4, 10)).at == datetime(2026, 10, 4, 10, tzinfo=UTC)


def test_another_timestamp_format_of_nbgraders_is_read_with_it(tmp_path):
    course = _course(tmp_path, "Europe/Paris", "%d.%m.%Y %H:%M")
    _submitted(course, "ann", "21.09.2026 23:30", datetime(2026, 9, 21, 21, 30, tzinfo=UTC))
    assert _read(course, "ann").at == datetime(2026, 9, 21, 21, 30, tzinfo=UTC)
