"""When a submission came in, how late it was, and what the late policy takes off.

The submission time is taken from the first of these sources that has it (``docs/course.md``,
"Deadlines and late work"):

1. ``timestamp.txt`` in the student's entry (nbgrader's ``collect`` writes it);
2. ``submission_metadata.json`` in the entry (Gradescope), its ``created_at``;
3. the ``submitted_at`` column of ``manifest.csv`` in the submissions folder (any other system:
   columns ``student,submitted_at``);
4. otherwise the entry's modification time, flagged as less reliable (copying files changes it).

Extensions come from a CSV the instructor keeps (``student,assignment,due[,reason]``): ``due``
is a date-time (without an offset: the course's time zone) or ``+2d`` / ``+36h`` from the
assignment's due date.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from .plan import UNITS, LatePolicy

TIMESTAMP, GRADESCOPE, MANIFEST, MTIME = (
    "nbgrader timestamp.txt",
    "Gradescope metadata",
    "manifest",
    "file time (less reliable)",
)
MANIFEST_NAME = "manifest.csv"


@dataclass(frozen=True)
class Submitted:
    at: datetime
    source: str  # one of TIMESTAMP, GRADESCOPE, MANIFEST, MTIME

    @property
    def reliable(self) -> bool:
        return not self.source.startswith(MTIME)


@dataclass(frozen=True)
class Penalty:
    percent: float  # of the earned score
    late_by: timedelta  # past the effective due date (0 when on time)
    reason: str  # "" when nothing was taken off


def _parse_time(text: str, tz) -> datetime | None:
    """An ISO 8601 date-time; a trailing zone name (nbgrader writes ``... UTC``, or the
    course's ``%Z``) is honoured; without any zone, ``tz``."""
    text = text.strip().replace("Z", "+00:00") if text.strip().endswith("Z") else text.strip()
    head, _, name = text.rpartition(" ")
    if head and name.replace("_", "").replace("/", "").isalpha():
        try:
            tz, text = (timezone.utc if name == "UTC" else ZoneInfo(name)), head
        except (ValueError, KeyError, OSError):  # not a zone name: the parse below decides
            pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def read_manifest(folder: Path, tz=timezone.utc) -> dict[str, datetime]:
    """``{student: submitted_at}`` from ``folder/manifest.csv`` (empty when there is none)."""
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        return {}
    out = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not {"student", "submitted_at"} <= set(reader.fieldnames or []):
            raise ValueError(f"{path} needs the columns student,submitted_at")
        for row in reader:
            moment = _parse_time(row["submitted_at"] or "", tz)
            if moment is None:
                raise ValueError(
                    f"{path}: {row['student']}: submitted_at "
                    f"{row['submitted_at']!r} is not an ISO date-time"
                )
            out[row["student"]] = moment
    return out


def _entry_root(graded: Path, submissions: Path) -> Path:
    """The student's entry in the submissions folder (a graded ``starter/`` is one level down)."""
    graded = Path(graded)
    return graded.parent if graded.parent.resolve() != Path(submissions).resolve() else graded


def submitted(
    student: str,
    graded: Path,
    submissions: Path,
    modified: float,
    manifest: dict[str, datetime],
    tz=timezone.utc,
) -> Submitted:
    """When ``student`` submitted, from the first source that says (see the module doc)."""
    root = _entry_root(graded, submissions)
    unreadable = []
    stamp, meta = root / "timestamp.txt", root / "submission_metadata.json"
    if stamp.is_file():
        moment = _parse_time(stamp.read_text(errors="replace")[:200], tz)
        if moment:
            return Submitted(moment, TIMESTAMP)
        unreadable.append(stamp.name)
    if meta.is_file():
        try:
            moment = _parse_time(str(json.loads(meta.read_text())["created_at"]), tz)
        except (ValueError, KeyError, TypeError, OSError):
            moment = None
        if moment:
            return Submitted(moment, GRADESCOPE)
        unreadable.append(meta.name)
    if student in manifest:
        return Submitted(manifest[student], MANIFEST)
    note = f"; {', '.join(unreadable)} unreadable" if unreadable else ""
    return Submitted(datetime.fromtimestamp(modified, timezone.utc), MTIME + note)


# ------------------------------------------------------------------------------ extensions


@dataclass(frozen=True)
class Extension:
    due: datetime
    reason: str


def read_extensions(path: Path | None, plan) -> dict[tuple[str, str], Extension]:
    """``{(student, assignment): Extension}``; a missing file means no extensions."""
    if path is None or not Path(path).is_file():
        return {}
    out = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not {"student", "assignment", "due"} <= set(reader.fieldnames or []):
            raise ValueError(f"{path} needs the columns student,assignment,due[,reason]")
        for line, row in enumerate(reader, start=2):
            try:
                item = plan.item(row["assignment"])
            except ValueError as exc:  # PlanError: an assignment the plan does not have
                raise ValueError(f"{path}, line {line}: {exc.problems[0]}") from None
            due = _extended(row["due"].strip(), item.due, plan.timezone)
            if due is None:
                raise ValueError(
                    f"{path}, line {line}: due {row['due']!r} is neither a date-time nor +Nd / +Nh"
                )
            out[(row["student"], item.id)] = Extension(due, (row.get("reason") or "").strip())
    return out


def _extended(text: str, due: datetime | None, tz: ZoneInfo) -> datetime | None:
    if text.startswith("+") and text[-1:] in ("d", "h") and due is not None:
        try:
            amount = float(text[1:-1])
        except ValueError:
            return None
        return due + amount * UNITS["day" if text[-1] == "d" else "hour"]
    return _parse_time(text, tz)


# ------------------------------------------------------------------------------ the penalty


def penalty(
    policy: LatePolicy, due: datetime | None, at: datetime, extension: Extension | None = None
) -> Penalty:
    """What ``policy`` takes off a submission made ``at`` for work due ``due`` (or by the
    extension's date): nothing within the grace period; else ``penalty`` percent per started
    unit counted from the due date, at most ``cap``; 100 percent past ``no_credit_after``."""
    if due is None:
        return Penalty(0.0, timedelta(0), "")
    deadline = extension.due if extension else due
    label = "extended due date" if extension else "due date"
    late = at - deadline
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
