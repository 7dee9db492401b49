"""When a submission came in, how late it was, and what the late policy takes off.

One trusted time per submission, from the source the plan names for the assignment
(``time_source``, course-wide or per assignment; ``docs/reference/submission-times.md``):

* ``nbgrader``: the ``timestamp.txt`` that nbgrader's ``submit`` writes (over any file of that
  name the student had) and ``collect`` copies: at the top of the student's entry, or of its one
  top-level folder; for a ``.zip`` entry, at the top of the archive or of its one top folder;
* ``gradescope``: ``created_at`` of ``submission_metadata.json``, which Gradescope keeps beside
  the student's upload, never in it: it is read at the top of the student's folder only when the
  graded files are in a sub-folder (``alice/submission_metadata.json`` next to
  ``alice/submission/``); one among the uploaded files is the student's and is never read;
* ``manifest``: the ``submitted_at`` column of ``manifest.csv`` in the submissions folder (the
  instructor's record: ``student,submitted_at``);
* ``file``: the entry's modification time (the newest of the entry and the files at its top),
  which copying and unzipping change.

A record the student could have written never stands in for the platform's or the
instructor's: only the named source is read. When it has no time for a student, or one that
cannot be read, the time is *unknown* (:data:`UNKNOWN`): no penalty is applied and the row says
so until the instructor sets the time (``descent course set-time``), which beats every source.

Time stamps (:func:`parse_time`) are read in every form nbgrader writes (its default
``%Y-%m-%d %H:%M:%S.%f %Z``, with or without microseconds, with or without the zone) and ISO
8601, in a zone given by the caller: nbgrader's own ``Exchange.timezone`` for nbgrader's
records (:mod:`.nbrecords`; its own parser reads ``AEDT`` as UTC), the course's otherwise. A
zone given as an offset (``+0200``, ``-01:00``, ``+04``, ``Z``) is that offset; ``UTC`` and
``GMT`` are UTC; an abbreviation is the offset the given zone has, at that date and time, under
that name (``CEST`` in ``Europe/Berlin``; in the hour that happens twice, the name says which);
otherwise an IANA name (``America/New_York``, or ``HST``, whose name is its abbreviation) is
that zone. Any other abbreviation (``CST`` is used on three continents, ``CET`` for a July
time) is not guessed: the time is unknown. A time without a zone is read in the given zone,
unless the clocks skip it or show it twice there (:func:`.clock.in_zone`). Every date lies in
the years of :data:`.clock.FIRST_YEAR` to :data:`.clock.LAST_YEAR`. Lateness is elapsed time
(:func:`.clock.elapsed`), never a difference of clock times.

Extensions come from a CSV the instructor keeps (``student,assignment,due[,reason]``): ``due``
is a date-time (without an offset: the course's time zone), ``+36h`` (elapsed hours after the
assignment's due date), ``+2d`` (the same clock time, days later on the course's calendar), or
``excused`` (the item is left out of that student's grade). One row per student and item, and
one per student in a manifest: a second would win unseen, so it is refused. Two ids are one
student when the roster would take them for one (:func:`.roster.key`: ``ANA`` is ``ana``).
"""

from __future__ import annotations

import csv
import json
import math
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import DescentError
from .clock import elapsed, exists, in_zone, sane, zone_name
from .plan import UNITS, Item, LatePolicy
from .roster import key

TIMESTAMP, GRADESCOPE, MANIFEST, FILE = (
    "nbgrader timestamp.txt",
    "Gradescope metadata",
    "manifest",
    "file time (less reliable)",
)
SET_BY_HAND = "set by the instructor"
UNKNOWN = "time unknown"
MANIFEST_NAME = "manifest.csv"
STAMP_NAME, METADATA_NAME = "timestamp.txt", "submission_metadata.json"
EXCUSED = "excused"
_READ_CAP = 4096  # a time stamp is a line; a bigger file is not one
_STAMP = re.compile(r"\s*(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)\s*(.*?)\s*")
_OFFSET = re.compile(r"([+-])(\d{2})(?::?(\d{2}))?")


class LatenessError(DescentError, ValueError):
    """A record of the instructor's (extensions, manifest) cannot be used as it is."""


@dataclass(frozen=True)
class Submitted:
    at: datetime | None  # None: unknown
    source: str  # one of TIMESTAMP, GRADESCOPE, MANIFEST, FILE, SET_BY_HAND...; UNKNOWN: ...
    doubt: str = ""  # a known time the instructor should still look at, and why

    @property
    def known(self) -> bool:
        return self.at is not None

    @property
    def reliable(self) -> bool:
        return self.known and not self.source.startswith(FILE)


def unknown(why: str) -> Submitted:
    return Submitted(None, f"{UNKNOWN}: {why}")


@dataclass(frozen=True)
class Penalty:
    percent: float  # of the earned score
    late_by: timedelta  # past the effective due date (0 when on time)
    reason: str  # "" when nothing was taken off


# ------------------------------------------------------------------------------ time stamps


def parse_time(text: str, tz) -> datetime:
    """The instant ``text`` names (the forms and zone rules are in the module doc); raises
    ``ValueError`` saying what is wrong. ``tz`` is the zone a clock time without an offset is
    read in, and the zone whose abbreviations (``CEST``, ``AEDT``) are understood: the course's,
    or for nbgrader's records nbgrader's own (``Exchange.timezone``, a ``zoneinfo`` or
    ``dateutil`` zone)."""
    found = _STAMP.fullmatch(text)
    if not found:
        raise ValueError(f"{text.strip()[:60]!r} is not a date and time")
    day, clock, zone = found.groups()
    try:
        naive = datetime.fromisoformat(f"{day}T{clock}")
    except ValueError:
        raise ValueError(f"{text.strip()[:60]!r} is not a date and time") from None
    sane(naive, f"{text.strip()[:60]!r}: the date")
    return _zoned(naive, zone, tz)


def _zoned(naive: datetime, zone: str, tz) -> datetime:
    if not zone:
        return in_zone(naive, tz)
    if zone == "Z" or zone in ("UTC", "GMT"):
        return naive.replace(tzinfo=timezone.utc)
    offset = _OFFSET.fullmatch(zone)
    if offset:
        sign, hours, minutes = offset.groups()
        span = timedelta(hours=int(hours), minutes=int(minutes or 0))
        return naive.replace(tzinfo=timezone(span if sign == "+" else -span))
    # an abbreviation of the zone (CEST, AEDT): in the hour that happens twice, it says which
    named = [
        local
        for fold in (0, 1)
        if (local := naive.replace(tzinfo=tz, fold=fold)).tzname() == zone and exists(local)
    ]
    if named:
        # as that offset: an instant of the hour that happens twice would otherwise compare
        # unequal to the same instant in any other zone (Python's rule for folds)
        return named[0].astimezone(timezone(named[0].utcoffset() or timedelta(0)))
    try:
        # an IANA key (America/New_York), or a zone whose key is its own abbreviation (HST)
        local = in_zone(naive, ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        local = None
    if local is not None and ("/" in zone or local.tzname() == zone):
        return local
    raise ValueError(
        f"the zone {zone!r} is neither an offset, UTC, an abbreviation {zone_name(tz)} uses at "
        f"that date and time, nor a time zone name"
    )


# ------------------------------------------------------------------------------ the sources


def read_manifest(folder: Path, tz=timezone.utc) -> dict[str, Submitted]:
    """``{student: Submitted}`` from ``folder/manifest.csv`` (empty when there is none); a row
    whose time cannot be read is that student's unknown time, with the line and the reason."""
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        return {}
    out = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not {"student", "submitted_at"} <= set(reader.fieldnames or []):
            raise LatenessError(f"{path} needs the columns student,submitted_at")
        lines: dict[str, tuple[int, str]] = {}  # key(student) -> its first line, as written
        for line, row in enumerate(reader, start=2):
            student = (row["student"] or "").strip()
            first = lines.setdefault(key(student), (line, student))
            if first[0] != line:
                raise LatenessError(
                    f"{path}, line {line}: {student!r} again (first on line {first[0]}"
                    f"{_as_written(first[1], student)}): one row per student, or the last row "
                    f"would win unseen"
                )
            try:
                out[student] = Submitted(parse_time(row["submitted_at"] or "", tz), MANIFEST)
            except ValueError as exc:
                out[student] = unknown(f"{MANIFEST_NAME} line {line}: {exc}")
    return out


def _as_written(first: str, again: str) -> str:
    """How the first row wrote a student id that a later row writes in another case or form."""
    return "" if first == again else f", as {first!r}: ids are compared as the roster compares them"


def strays(manifest: dict[str, Submitted], students) -> list[str]:
    """The students the manifest names that ``students`` (the submissions folder's) lack, each
    with the entry it differs from only in case or accents, when there is one."""
    names = set(students)
    known = {key(s): s for s in names}
    return [
        f"{name!r} (the entry is {known[key(name)]!r})" if key(name) in known else repr(name)
        for name in manifest
        if name not in names
    ]


def submitted(
    source: str,
    student: str,
    root: Path,
    graded: Path,
    modified: float,
    manifest: dict[str, Submitted],
    tz=timezone.utc,
    *,
    stamps=None,
) -> Submitted:
    """When ``student`` submitted, by the plan's ``source`` alone. ``root`` is the student's
    entry in the submissions folder (a folder or a file), ``graded`` what is graded in it;
    ``tz`` is the course's zone, ``stamps`` the one nbgrader writes its times in (default
    ``tz``)."""
    if source == "manifest":
        return manifest.get(student) or unknown(f"not in {MANIFEST_NAME}")
    if source == "file":
        return Submitted(datetime.fromtimestamp(modified, timezone.utc), FILE)
    if source == "gradescope":
        return _gradescope(Path(root), Path(graded), tz)
    return _nbgrader(Path(root), stamps if stamps is not None else tz)


def _nbgrader(root: Path, tz) -> Submitted:
    if root.is_dir():
        text = _first_file(root, STAMP_NAME)
    elif root.suffix.lower() == ".zip":
        text = _in_zip(root, STAMP_NAME)
    else:
        return unknown(f"a single file carries no {STAMP_NAME}")
    if text is None:
        return unknown(f"no {STAMP_NAME} (placed by hand, or copied without it?)")
    try:
        return Submitted(parse_time(text, tz), TIMESTAMP)
    except ValueError as exc:
        return unknown(f"{STAMP_NAME} unreadable: {exc}")


def _gradescope(root: Path, graded: Path, tz) -> Submitted:
    meta = root / METADATA_NAME
    if not root.is_dir():
        return unknown(f"Gradescope's {METADATA_NAME} lies beside a folder, never a single file")
    if not meta.is_file():
        return unknown(f"no {METADATA_NAME} beside the upload")
    if graded.resolve() == root.resolve():
        return unknown(
            f"{METADATA_NAME} lies among the uploaded files, where the student could have "
            f"written it: put the upload in a sub-folder (alice/submission/) beside it"
        )
    try:
        raw = json.loads(meta.read_text(encoding="utf-8")[:65536])["created_at"]
        return Submitted(parse_time(str(raw), tz), GRADESCOPE)
    except (ValueError, KeyError, TypeError, OSError) as exc:
        return unknown(f"{METADATA_NAME} unreadable: {exc}")


def _first_file(root: Path, name: str) -> str | None:
    """``root/name``, else ``root/<its only folder>/name``: the text, or None."""
    candidates = [root / name]
    try:
        folders = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))]
    except OSError:
        folders = []
    if len(folders) == 1:
        candidates.append(folders[0] / name)
    for path in candidates:
        if path.is_file() and not path.is_symlink():
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    return handle.read(_READ_CAP)
            except OSError:
                return None
    return None


def _in_zip(path: Path, name: str) -> str | None:
    """``name`` at the archive's top, else in its one top folder: the text, or None."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.startswith("__MACOSX/")]
            tops = {n.split("/", 1)[0] for n in names if "/" in n}
            wanted = [name] + ([f"{tops.pop()}/{name}"] if len(tops) == 1 else [])
            for candidate in wanted:
                if candidate in names:
                    with archive.open(candidate) as handle:
                        return handle.read(_READ_CAP).decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError):
        return None
    return None


# ------------------------------------------------------------------------------ extensions


@dataclass(frozen=True)
class Extension:
    due: datetime | None  # None when excused
    reason: str
    excused: bool = False


def read_extensions(
    path: Path | None, plan, roster: set[str] | None = None
) -> dict[tuple[str, str], Extension]:
    """``{(student, item id): Extension}``; a missing file means none. With ``roster``, a
    student it does not list is refused: a typo would silently deny the real student's
    extension. A path that is there but is no file (a folder), and two rows for one student
    and item, are refused: either would drop extensions unseen."""
    if path is None or not (Path(path).exists() or Path(path).is_symlink()):
        return {}
    if not Path(path).is_file():
        raise LatenessError(
            f"the extensions file {path} is not a file: give [course] extensions the CSV "
            f"(student,assignment,due[,reason])"
        )
    out: dict[tuple[str, str], Extension] = {}
    first: dict[tuple[str, str], tuple[int, str]] = {}  # (key(student), item) -> line, as written
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not {"student", "assignment", "due"} <= set(reader.fieldnames or []):
            raise LatenessError(f"{path} needs the columns student,assignment,due[,reason]")
        for line, row in enumerate(reader, start=2):
            where = f"{path}, line {line}"
            try:
                item = plan.item(row["assignment"])
            except ValueError as exc:  # PlanError: an assignment the plan does not have
                raise LatenessError(f"{where}: {exc.problems[0]}") from None
            student = (row["student"] or "").strip()
            if roster and student not in roster:
                raise LatenessError(
                    f"{where}: student {student!r} is not in the roster ({plan.roster}): a "
                    f"typo would deny the real student's extension"
                )
            seen = first.setdefault((key(student), item.id), (line, student))
            if seen[0] != line:
                raise LatenessError(
                    f"{where}: {student}, {item.id} again (first on line "
                    f"{seen[0]}{_as_written(seen[1], student)}): one row per student and assignment"
                )
            reason = (row.get("reason") or "").strip()
            text = (row["due"] or "").strip()
            if text.lower() == EXCUSED:
                out[(student, item.id)] = Extension(None, reason, excused=True)
                continue
            try:
                due = _extended(text, item.due, plan.timezone)
            except ValueError as exc:
                raise LatenessError(f"{where}: due {row['due']!r}: {exc}") from None
            if due is None:
                raise LatenessError(
                    f"{where}: due {row['due']!r} is neither a date-time, +Nd / +Nh nor excused"
                )
            out[(student, item.id)] = Extension(due, reason)
    return out


def _extended(text: str, due: datetime | None, tz: ZoneInfo) -> datetime | None:
    """The extended due date: ``+Nh`` is N hours of elapsed time after the due date, ``+Nd``
    N days on the course's calendar (the due date's clock time, N days later, whether or not
    the clocks change in between); else a date-time. None when ``text`` is none of these."""
    if text.startswith("+") and text[-1:] in ("d", "h") and due is not None:
        try:
            amount = float(text[1:-1])
        except ValueError:
            return None
        if not math.isfinite(amount) or not 0 <= amount <= 3650:
            return None
        if text[-1] == "h":
            return (due.astimezone(timezone.utc) + amount * UNITS["hour"]).astimezone(tz)
        clock = due.astimezone(tz).replace(tzinfo=None) + amount * UNITS["day"]
        return in_zone(clock, tz, f"{text} after the due date ({clock.isoformat(sep=' ')})")
    try:
        return parse_time(text, tz)
    except ValueError:
        if _STAMP.fullmatch(text):
            raise  # a date-time, but not one to use: say why
        return None


def due_for(item: Item, extension: Extension | None) -> datetime | None:
    """The student's due date for ``item``: the extension's when there is one."""
    return extension.due if extension and extension.due else item.due


# ------------------------------------------------------------------------------ the penalty


def penalty(
    policy: LatePolicy, due: datetime | None, at: datetime, extension: Extension | None = None
) -> Penalty:
    """What ``policy`` takes off a submission made ``at`` for work due ``due`` (or by the
    extension's date): nothing within the grace period; else ``penalty`` percent per started
    unit counted from the due date, at most ``cap``; 100 percent past ``no_credit_after``."""
    if due is None:
        return Penalty(0.0, timedelta(0), "")
    deadline = extension.due if extension and extension.due else due
    label = "extended due date" if extension and extension.due else "due date"
    late = elapsed(at, deadline)
    if late <= timedelta(0):
        return Penalty(0.0, timedelta(0), "")
    if late <= policy.grace:
        return Penalty(0.0, late, f"{_span(late)} late, within the grace period")
    if policy.no_credit_after is not None and late > policy.no_credit_after:
        return Penalty(
            100.0,
            late,
            f"{_span(late)} after the {label}: no credit after {_span(policy.no_credit_after)}",
        )
    units = math.ceil(late / UNITS[policy.per])
    percent = min(policy.penalty * units, policy.cap)
    capped = " (the cap)" if percent == policy.cap and policy.penalty * units > policy.cap else ""
    return Penalty(
        percent,
        late,
        f"{_span(late)} after the {label}: {units} {policy.per}(s) x "
        f"{policy.penalty:g}% = {percent:g}%{capped}",
    )


@dataclass(frozen=True)
class Settled:
    """A raw score with the late policy applied."""

    penalty_percent: float
    penalty: float  # points taken off
    final: float
    reason: str


def settle(item: Item, raw: float, when: Submitted, extension: Extension | None, tz) -> Settled:
    """``raw`` (points of ``item``) after its late policy, for work submitted ``when``; an
    unknown time takes nothing off and says so."""
    if not when.known:
        return Settled(
            0.0,
            0.0,
            raw,
            f"{when.source}; no late penalty until the time is set "
            f"(descent course set-time STUDENT {item.id} TIME --why ...)",
        )
    assert when.at is not None  # known
    late = penalty(item.late, item.due, when.at, extension)
    taken = round(raw * late.percent / 100, 4)
    reason = late.reason
    if extension and extension.due and not reason:
        reason = f"on time (extension to {local(extension.due, tz)})"
    return Settled(late.percent, taken, round(raw - taken, 4), reason)


def local(moment: datetime | None, tz) -> str:
    """``moment`` in the course's time zone, as the tables and reports show it."""
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if moment else "-"


def _span(delta: timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{days} d" if days else "",
        f"{hours} h" if hours else "",
        f"{minutes} min" if minutes and not days else "",
    ]
    return " ".join(p for p in parts if p) or "under a minute"
