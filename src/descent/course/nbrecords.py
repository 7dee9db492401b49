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
* the copy's files were written after the time it claims (beyond :data:`SLACK`): ``collect``
  keeps each file's modification time, and a copy made by hand in the exchange under an earlier
  name carries the time it was really written (a student can only set that back by hand too; a
  careful forger is caught by the names and texts above no better than nbgrader catches them).

Without the collected copy (``submitted/`` moved away), the export's time is used only where
nbgrader's zone is UTC, the one configuration in which nbgrader's own reading is right.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..labs import exchange
from . import lateness
from .submissions import content_hash

SLACK = timedelta(minutes=5)  # submit writes timestamp.txt after copying: seconds, not minutes
EXPORT = "nbgrader export (UTC)"


@dataclass(frozen=True)
class Record:
    """One student's submission of one nbgrader item, as the kit reads it."""

    when: lateness.Submitted
    folder: Path | None  # the collected copy, when there is one


class Records:
    """nbgrader's records of the course in ``course`` (its configuration read once)."""

    def __init__(self, course: Path | None):
        self.course = course
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
        why = (
            self._exchange_disagrees(student, item, stamp)
            or _export_disagrees(stamp, exported)
            or _written_later(folder, at, self.zone, student, item)
        )
        if why:
            return Record(lateness.unknown(why), folder)
        return Record(lateness.Submitted(at, lateness.TIMESTAMP), folder)

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


def _written_later(folder: Path, at: datetime, zone, student: str, item: str) -> str:
    newest: tuple[float, str] | None = None
    for top, _dirs, files in os.walk(folder, followlinks=False):
        for name in files:
            try:
                info = os.lstat(os.path.join(top, name))
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode) and (newest is None or info.st_mtime > newest[0]):
                newest = (info.st_mtime, os.path.relpath(os.path.join(top, name), folder))
    if newest is None:
        return ""
    written = datetime.fromtimestamp(newest[0], timezone.utc)
    if lateness.elapsed(written, at) <= SLACK:
        return ""
    return (
        f"submitted/{student}/{item}/{newest[1]} was written {lateness.local(written, zone)}, "
        f"after the time the copy claims ({lateness.local(at, zone)}): a copy made by hand in "
        f"the exchange under an earlier time?"
    )


def _read(path: Path) -> str | None:
    try:
        if not path.is_file() or path.is_symlink():
            return None
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(4096)
    except OSError:
        return None
