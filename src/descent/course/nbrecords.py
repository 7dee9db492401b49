"""When a lab or quiz was submitted, from what nbgrader recorded at ``submit``.

``nbgrader submit`` takes the time once, in its ``Exchange.timezone``, formats it with
``Exchange.timestamp_format`` (by default ``%Y-%m-%d %H:%M:%S.%f %Z``: ``2026-10-05 10:00:00.000000
AEDT``) and writes that text twice: in the name of the student's copy in the exchange
(``inbound/ana+lab1+<time>+<random>``) and in the copy's ``timestamp.txt``, which ``collect``
brings into ``submitted/ana/lab1/``. ``autograde`` then reads it with nbgrader's ``parse_utc``,
which knows offsets and zone file names but no abbreviation (``AEDT``, ``CEST``, ``EDT``: read
as UTC) and reads ``CET`` in summer as ``CEST``; its gradebook, and ``nbgrader export``, then
hold local clock time as if it were UTC. So the time is read here from the text itself
(:func:`lateness.parse_time`), in the zone nbgrader was configured with (an abbreviation that
zone uses at that date and time, an offset, UTC, or a zone name), and never from the export.

It is *unknown*, with the reason, rather than guessed, when:

* the collected copy has no ``timestamp.txt`` (placed in ``submitted/`` by hand), or a time that
  cannot be resolved (an abbreviation the configured zone does not use then, a clock time that
  does not exist or happens twice there, a year out of range);
* two records disagree: the exchange holds copies of the student's work but none whose name
  carries that time, or that copy's own ``timestamp.txt`` says something else; or
  ``nbgrader export`` holds another time than nbgrader's own reading of the collected text (the
  export is of an earlier collect: its score is not of this copy);
* nothing the student cannot set says when the copy was written: no record of the course's
  collect (:mod:`descent.labs.collected`) for these very files, and no exchange copy of them
  left to read.

The time a copy claims (its name and its ``timestamp.txt``) is the student's to write: a copy
made by hand in the exchange, named before the due date, claims what it likes, and ``touch -d``
sets its files' modification times to match. So the claim is held against when the copy was
last *written*, as the instructor's side saw it: the change time (``st_ctime``) of the exchange
copy's entries, which only the machine's clock sets (``touch`` moves it forward, never back),
read by the course's ``nbgrader collect`` as it took the copy and kept in its record, or, without
a record, read from the exchange copy now (it can only have grown since). A copy written more
than the plan's allowance (``[course] written_allowance_minutes``, default 5: ``submit`` writes
``timestamp.txt`` seconds before the files; raise it on a network file system whose clock runs
ahead of the students' server) after the time it claims counts from when it was written, and is
flagged: the late policy applies to it as to any classmate who handed in then.

Without the collected copy (``submitted/`` moved away), the export's time is used only where
nbgrader's zone is UTC, the one configuration in which nbgrader's own reading is right.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..labs import collected, exchange
from . import lateness
from .submissions import content_hash

ALLOWANCE = timedelta(minutes=5)  # submit writes timestamp.txt, then the files: seconds apart
EXPORT = "nbgrader export (UTC)"


@dataclass(frozen=True)
class Record:
    """One student's submission of one nbgrader item, as the kit reads it."""

    when: lateness.Submitted
    folder: Path | None  # the collected copy, when there is one


class Records:
    """nbgrader's records of the course in ``course`` (its configuration read once)."""

    def __init__(self, course: Path | None, allowance: timedelta = ALLOWANCE):
        self.course = course
        self.allowance = allowance  # how long after the time it claims a copy may be written
        self.settings = exchange.settings(course) if course is not None else exchange.Settings()
        self.zone = exchange.stamp_zone(self.settings) if not self.settings.problem else None
        self.inbound = exchange.inbound(course, self.settings) if course is not None else None

    @property
    def problem(self) -> str:
        """Why no time of nbgrader's can be read ("" when they can)."""
        if self.settings.problem:
            return self.settings.problem
        if self.zone is None:
            return (
                f"nbgrader's Exchange.timezone {self.settings.timezone!r} is not a time zone "
                f"(nbgrader submit itself stops on it)"
            )
        return ""

    def collected(self, student: str, item: str) -> Path | None:
        if self.course is None:
            return None
        folder = self.course / "submitted" / student / item
        return folder if folder.is_dir() and not folder.is_symlink() else None

    def content(self, student: str, item: str, exported: datetime | None) -> str:
        """What identifies the submission a time set by hand is tied to: the collected copy's
        content hash (its ``timestamp.txt`` and secret change with every submit), else the
        export's time."""
        folder = self.collected(student, item)
        return content_hash(folder) if folder is not None else f"export:{exported}"

    def submitted(self, student: str, item: str, exported: datetime | None) -> Record:
        """When ``student`` submitted ``item``; ``exported`` is the export's time (naive UTC,
        as nbgrader writes it), None when the export has none."""
        folder = self.collected(student, item)
        if self.problem:
            return Record(lateness.unknown(self.problem), folder)
        if folder is None:
            return Record(self._exported_only(exported), None)
        text = _read(folder / lateness.STAMP_NAME)
        if text is None:
            return Record(
                lateness.unknown(
                    f"no {lateness.STAMP_NAME} in submitted/{student}/{item} (placed there by "
                    f"hand, not collected from the exchange?)"
                ),
                folder,
            )
        stamp = text.strip()
        try:
            at = self.parse(stamp)
        except ValueError as exc:
            return Record(lateness.unknown(f"{lateness.STAMP_NAME} {stamp[:60]!r}: {exc}"), folder)
        why = self._exchange_disagrees(student, item, stamp) or _export_disagrees(stamp, exported)
        if why:
            return Record(lateness.unknown(why), folder)
        return Record(self._held_to_writing(student, item, stamp, at, folder), folder)

    def _held_to_writing(
        self, student: str, item: str, stamp: str, at: datetime, folder: Path
    ) -> lateness.Submitted:
        """The time the copy claims, held against when it was written (the module's doc)."""
        written, how = self._written(student, item, stamp, folder)
        where = f"submitted/{student}/{item}"
        if written is None:
            return lateness.unknown(
                f"nothing the student cannot set says when {where} was written: no record of "
                f"the course's nbgrader collect for these files (collected with another "
                f"configuration, or changed since), and no exchange copy of them left"
            )
        if lateness.elapsed(written, at) <= self.allowance:
            return lateness.Submitted(at, lateness.TIMESTAMP)
        late = (
            f"{where} claims {lateness.local(at, self.zone)}, but its exchange copy was last "
            f"written {lateness.local(written, self.zone)} ({how})"
        )
        return lateness.Submitted(
            written,
            f"written then ({how}; it claims {lateness.local(at, self.zone)})",
            doubt=f"counted from when it was written: {late}",
        )

    def _written(
        self, student: str, item: str, stamp: str, folder: Path
    ) -> tuple[datetime | None, str]:
        """When the collected copy was last written, by the instructor's records, and which
        record says so; (None, "") when none does."""
        assert self.course is not None  # a collected folder lies in the course
        record = collected.find(self.course, item, student, folder)
        if record is not None:
            return _utc(record.written), "the change time nbgrader collect read"
        if self.inbound is None:
            return None, ""
        mine = collected.hashes(folder)
        for copy in sorted(self.inbound.glob(f"{glob.escape(student)}+{glob.escape(item)}+*")):
            if copy.name.startswith(f"{student}+{item}+{stamp}") and (
                collected.hashes(copy) == mine
            ):
                now = collected.written_now(copy)
                if now is not None:
                    return _utc(now), "the exchange copy's change time"
        return None, ""

    def parse(self, stamp: str) -> datetime:
        """The instant of a time nbgrader wrote (its text, in its configured zone)."""
        try:
            return lateness.parse_time(stamp, self.zone)
        except ValueError as first:
            fmt = self.settings.timestamp_format
            try:
                parsed = datetime.strptime(stamp, fmt)
            except ValueError:
                raise first from None
            if parsed.tzinfo is not None:
                return lateness.sane(parsed, "the date")
            return lateness.in_zone(lateness.sane(parsed, "the date"), self.zone)

    def _exported_only(self, exported: datetime | None) -> lateness.Submitted:
        if exported is None:
            return lateness.unknown("no time in nbgrader's export, and no collected copy")
        probe = datetime(2000, 1, 1, tzinfo=timezone.utc)
        zone_is_utc = all(
            probe.replace(month=m).astimezone(self.zone).utcoffset() == timedelta(0) for m in (1, 7)
        )
        if zone_is_utc:
            return lateness.Submitted(exported.replace(tzinfo=timezone.utc), EXPORT)
        return lateness.unknown(
            f"submitted/ holds no collected copy to read the time from, and nbgrader's export "
            f"is its own reading of a time written in {self.settings.timezone}, which it takes "
            f"for UTC when the zone is an abbreviation"
        )

    def _exchange_disagrees(self, student: str, item: str, stamp: str) -> str:
        if self.inbound is None:
            return ""
        prefix = f"{student}+{item}+"
        try:
            copies = sorted(p.name for p in self.inbound.iterdir() if p.name.startswith(prefix))
        except OSError:
            return ""
        if not copies:
            return ""  # the exchange was cleaned: the collected copy is the one record
        named = f"{prefix}{stamp}"
        same = [n for n in copies if n == named or n.startswith(named + "+")]
        if not same:
            listed = ", ".join(n[len(prefix) :] for n in copies[:3])
            return (
                f"records disagree: submitted/{student}/{item}/{lateness.STAMP_NAME} says "
                f"{stamp!r}, and no copy of {student}'s in the exchange was submitted then "
                f"(its copies: {listed}{' ...' if len(copies) > 3 else ''})"
            )
        for name in same:
            inside = _read(self.inbound / name / lateness.STAMP_NAME)
            if inside is not None and inside.strip() != stamp:
                return (
                    f"records disagree: the exchange copy {name} holds a {lateness.STAMP_NAME} "
                    f"that says {inside.strip()[:60]!r}"
                )
        return ""


def _export_disagrees(stamp: str, exported: datetime | None) -> str:
    """The export's time against nbgrader's own reading of ``stamp`` (which may be wrong the
    same way every time: only a different submission makes them differ)."""
    if exported is None:
        return ""
    try:
        # optional: nbgrader comes with the labs extra, and wrote the export being read
        from nbgrader.utils import parse_utc
    except ImportError:
        return ""
    try:
        theirs = parse_utc(stamp)
    except Exception:  # noqa: BLE001 - whatever nbgrader's parser raises: it could not read it
        return ""
    if theirs is None or abs(theirs - exported) <= timedelta(seconds=1):
        return ""
    return (
        f"records disagree: nbgrader's export has {exported} (UTC) for this submission, not "
        f"what nbgrader reads in the collected {lateness.STAMP_NAME} ({theirs}): the export is "
        f"of an earlier collect; run nbgrader autograde and export again"
    )


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def _read(path: Path) -> str | None:
    try:
        if not path.is_file() or path.is_symlink():
            return None
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(4096)
    except OSError:
        return None
