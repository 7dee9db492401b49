"""The course's nbgrader exchange as ``nbgrader collect`` sees it.

``collect`` lists the inbound folder with ``glob`` (``*+ASSIGNMENT+*``), reads each folder's
name as ``student+assignment+time[+random]`` (split from the right, so a student id may hold a
``+``), parses the time with nbgrader's own ``parse_utc`` (a zone name such as ``HST`` is
looked up in the time-zone database, an unknown one is taken as UTC), and takes for each
student the copy with the latest parsed time; copies with the same time keep the listing's
order. Ordering the names instead picks another copy: a planted folder whose name sorts early
but whose time is later (``... 23:00:00.000000 HST``) is what collect takes, and a preflight
that looked at the decoy beside it saw nothing. :func:`candidates` ranks them the same way,
with the same listing and the same parser (nbgrader's own function, read from the installed
nbgrader, so a later nbgrader's parsing is followed too).

:func:`problems` then looks at every copy a student has in the exchange, not only the one
collected: a symbolic link (the copy itself or anything in it) or a hard link to a file
outside it refuses the student, since ``collect`` copies what the link names as the student's
work. Where the copies say who wrote them (their owner), the copy ``collect`` takes must have
been written by the student's own account (where student ids are accounts of the machine), or
by the instructor's, and by no other account that also wrote another student's copies;
otherwise it is refused, and any other copy in that state is listed. A copy the instructor's
account wrote for a student who has an account is listed, not refused.
"""

from __future__ import annotations

import glob
import os
import pwd
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .private import READING, account_name
from .submissions import REFUSED, links


@dataclass
class Copy:
    """One folder of the inbound exchange, as ``collect`` reads its name."""

    path: Path
    student: str
    time: datetime | None  # nbgrader's parse of the name's time; None when it cannot
    owner: int  # the uid that made the folder
    problem: str = ""  # why collect cannot read the name ("" when it can)


DEFAULT_ROOT = "/usr/local/share/nbgrader/exchange"
DEFAULT_ZONE, DEFAULT_FORMAT = "UTC", "%Y-%m-%d %H:%M:%S.%f %Z"  # nbgrader's Exchange defaults


@dataclass(frozen=True)
class Settings:
    """What nbgrader is configured with for the course, as its commands run there see it."""

    root: str = DEFAULT_ROOT  # Exchange.root
    course_id: str = ""  # CourseDirectory.course_id
    timezone: str = DEFAULT_ZONE  # Exchange.timezone: the zone of the times submit writes
    timestamp_format: str = DEFAULT_FORMAT  # Exchange.timestamp_format
    problem: str = ""  # why the configuration could not be read ("" when it could)


def settings(course: Path) -> Settings:
    """nbgrader's configuration for ``course``, merged as nbgrader merges it: the
    ``nbgrader_config.py`` of each Jupyter configuration folder (the system's, then the
    user's), then the course folder's, each overriding the ones before."""
    try:
        # optional: traitlets and jupyter_core come with nbgrader (the labs extra)
        from jupyter_core.paths import jupyter_config_path
        from traitlets.config import Config
        from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader
    except ImportError:
        return Settings(problem="nbgrader is not installed (pip install 'descent[labs]')")

    merged = Config()
    os.environ[READING] = "1"  # the course's configuration then changes nothing
    try:
        for folder in [*reversed(jupyter_config_path()), str(course)]:
            try:
                merged.merge(PyFileConfigLoader("nbgrader_config.py", path=folder).load_config())
            except ConfigFileNotFound:
                continue
            except Exception as exc:  # noqa: BLE001 - the instructor's Python: any error is theirs
                where = Path(folder) / "nbgrader_config.py"
                return Settings(problem=f"{where} cannot be read: {type(exc).__name__}: {exc}")
    finally:
        os.environ.pop(READING, None)
    exchange, directory = merged.Exchange, merged.CourseDirectory
    return Settings(
        str(exchange.get("root") or DEFAULT_ROOT),
        str(directory.get("course_id") or ""),
        str(exchange.get("timezone") or DEFAULT_ZONE),
        str(exchange.get("timestamp_format") or DEFAULT_FORMAT),
    )


def stamp_zone(found: Settings):
    """The zone nbgrader writes its times in: ``Exchange.timezone`` resolved as nbgrader
    resolves it (``dateutil``'s ``gettz``: IANA names and POSIX TZ strings); None when nbgrader
    itself could not use it (its ``submit`` then fails: "Invalid timezone")."""
    try:
        # optional: dateutil comes with nbgrader (the labs extra)
        from dateutil.tz import gettz  # type: ignore[import-untyped]
    except ImportError:
        return None
    return gettz(found.timezone)


def inbound(course: Path, found: Settings | None = None) -> Path | None:
    """The inbound folder of the course's nbgrader exchange, from its configuration."""
    found = found or settings(course)
    folder = Path(found.root) / found.course_id / "inbound"
    return folder if found.course_id and not found.problem and folder.is_dir() else None


def candidates(folder: Path, assignment: str) -> dict[str, list[Copy]]:
    """``{student: [copy, ...]}``: every copy ``collect`` considers, the one it collects first."""
    # optional: nbgrader comes with the labs extra; its own parser, so the times agree
    from nbgrader.utils import parse_utc

    found: dict[str, list[Copy]] = {}
    for path in glob.glob(os.path.join(folder, f"*+{assignment}+*")):  # collect's listing
        parts = os.path.basename(path).rsplit("+", 3)
        owner = os.lstat(path).st_uid
        copy = Copy(Path(path), parts[0], None, owner)
        try:
            copy.time = parse_utc(parts[2]) if len(parts) >= 3 else None
        except Exception as exc:  # noqa: BLE001 - whatever nbgrader's parser raises
            copy.problem = f"{type(exc).__name__}: {exc}"
        if copy.time is None and not copy.problem:
            copy.problem = "no time in the name"
        found.setdefault(copy.student, []).append(copy)
    for copies in found.values():
        timed = sorted(
            (c for c in copies if c.time), key=lambda c: c.time or datetime.min, reverse=True
        )
        copies[:] = timed + [c for c in copies if not c.time]  # collect's order (stable)
    return found


def problems(course: Path, assignment: str, folder: Path | None = None) -> dict[str, list[str]]:
    """What the exchange copies of each student show (see the module's docstring); ``folder``
    is the inbound folder (default: the one the course's configuration names)."""
    folder = folder if folder is not None else inbound(course)
    found: dict[str, list[str]] = {}
    if folder is None:
        return found
    copies = candidates(folder, assignment)
    writers = Writers({os.geteuid(), course.stat().st_uid}, {})
    for student, mine in copies.items():
        for copy in mine:
            writers.students.setdefault(copy.owner, set()).add(student)
    for student, mine in copies.items():
        lines = []
        for rank, copy in enumerate(mine):
            lines += _copy_problems(copy, student, rank == 0, writers, mine)
        if lines:
            found[student] = lines
    return found


@dataclass
class Writers:
    """Who wrote the exchange's copies: ``instructor`` (this account and the course folder's
    owner, who may submit for anyone) and, per other uid, the students it wrote copies for."""

    instructor: set[int]
    students: dict[int, set[str]]


def _copy_problems(
    copy: Copy, student: str, collected: bool, writers: Writers, mine: list
) -> list[str]:
    """The problems of one copy; a link anywhere refuses, and so does a foreign writer of the
    copy that collect takes."""
    label = f"exchange copy {copy.path.name}" + (" (the one collect takes)" if collected else "")
    if copy.problem:
        return [
            f"{label}: nbgrader collect cannot read the time in its name ({copy.problem}) "
            f"and stops there for the whole class: remove it"
        ]
    if copy.path.is_symlink():
        return [f"{REFUSED}{label} is a symbolic link (to {os.readlink(copy.path)})"]
    lines = [f"{REFUSED}{label}: {line.removeprefix(REFUSED)}" for line in links(copy.path)]
    if collected and len(mine) > 1 and mine[1].time == copy.time:
        lines.append(
            f"{label} has the same time as {mine[1].path.name}: collect takes the one the "
            f"folder lists first"
        )
    why, foreign = _foreign(copy, student, writers)
    if why:
        lines.append((REFUSED if collected and foreign else "") + f"{label} {why}")
    return lines


def _foreign(copy: Copy, student: str, writers: Writers) -> tuple[str, bool]:
    """Why the copy looks written by someone other than ``student`` ("" when it does not), and
    whether that someone is another account than the instructor's."""
    wrote = {_owner(p) for p in [copy.path, *copy.path.rglob("*")]}
    account = _uid(student)
    if account is not None and wrote - {account}:
        names = ", ".join(sorted(account_name(uid) for uid in wrote - {account}))
        why = f"claims to be {student}'s but was written by {names} (nbgrader submit --student?)"
        return why, bool(wrote - {account} - writers.instructor)
    others = sorted(writers.students.get(copy.owner, set()) - {student})
    if others and copy.owner not in writers.instructor:
        # Refused only where the student has copies by another account too: that one is
        # theirs. A student whose copies all come from one account that also wrote another
        # student's is listed, since either of the two may be the impostor.
        theirs = {uid for uid, names in writers.students.items() if student in names}
        return (
            f"claims to be {student}'s but its writer ({account_name(copy.owner)}) also wrote "
            f"the copies of {', '.join(others)}: one account submitting for another?"
        ), len(theirs) > 1
    return "", False


def _owner(path: Path) -> int:
    try:
        return path.lstat().st_uid
    except OSError:
        return -1


def _uid(name: str) -> int | None:
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None
