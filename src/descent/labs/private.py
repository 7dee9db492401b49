"""The course's secrets and its students' work, private to the instructor before grading.

On a shared server, ``nbgrader collect`` keeps the modes of the exchange's copies, so
``submitted/<student>/<assignment>`` can arrive as 0777 (another account then writes into a
classmate's collected work), and a checkout leaves ``keys/*.json`` at 0644 (any account reads
the quiz keys). :func:`make_private` takes group and other access away from :data:`PRIVATE`
(every file and folder beneath them), and :func:`written_by_others` lists what another account
wrote there after collect. Each entry is opened without following links (a link planted in a
folder another account could write is never followed) and changed through that descriptor.
Only the owner (or root) may change a mode: where that is another account, nothing is graded
and the message names each path with its mode and owner.

:func:`guard` does the same from the course's ``nbgrader_config.py``, which every nbgrader
command run in the course folder executes: the private folders are made private as the command
starts (so ``nbgrader collect`` copies into a ``submitted/`` no other account can enter) and
again as it ends (so what it copied is 0700 and 0600 before anyone looks), from the first
``collect`` on rather than from the first ``descent labs autograde``. ``feedback/`` is left to
``autograde`` alone: ``nbgrader release_feedback`` copies each page's mode into the exchange,
where the student must be able to read it.
"""

from __future__ import annotations

import atexit
import os
import pwd
import stat
import sys
from pathlib import Path

from ..errors import DescentError

# What no student may read or write: the quiz keys and the labs' hidden checks, the grades,
# and the students' collected, autograded and feedback copies. The folders among them are made
# (empty, private) when missing, so that nbgrader writes into private folders from the start.
PRIVATE = ("keys", "graders", "gradebook.db", "submitted", "autograded", "feedback")
FOLDERS = ("submitted", "autograded", "feedback")
GUARDED = ("keys", "graders", "gradebook.db", "submitted", "autograded")  # at every command
# Set while descent itself reads the course's configuration (to learn nbgrader's settings):
# the configuration then changes nothing.
READING = "DESCENT_READING_NBGRADER_CONFIG"
_OPEN = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_OPEN_FOLDER = _OPEN | os.O_DIRECTORY


def guard(course: str | Path) -> None:
    """Make :data:`GUARDED` private now and when this process ends (see the module doc); what
    cannot be changed is said on stderr (``descent labs autograde`` then refuses to grade)."""
    if os.environ.get(READING):
        return
    course = Path(course)
    _quietly(course)
    atexit.register(_quietly, course)


def _quietly(course: Path) -> None:
    if not course.is_dir():  # a course folder removed meanwhile (a test's)
        return
    try:
        make_private(course, GUARDED)
    except DescentError as exc:
        print(f"descent: {exc}", file=sys.stderr)


def make_private(course: Path, names: tuple[str, ...] = PRIVATE) -> list[str]:
    """Take group and other access from everything under ``names`` (default
    :data:`PRIVATE`); returns what changed, one line each. Raises :class:`DescentError` naming
    what cannot be changed."""
    changed: list[str] = []
    stuck: list[str] = []
    for name in FOLDERS:
        if name in names:
            (course / name).mkdir(mode=0o700, exist_ok=True)
    for name in names:
        try:
            fd = os.open(course / name, _OPEN)
        except FileNotFoundError:
            continue
        except OSError as exc:
            stuck.append(f"{name} ({exc.strerror})")
            continue
        _walk(fd, name, changed, stuck)
    if stuck:
        raise DescentError(
            "refusing to grade: other accounts can reach these and their modes cannot be "
            "changed by this account: "
            + "; ".join(stuck[:20])
            + (f"; and {len(stuck) - 20} more" if len(stuck) > 20 else "")
            + f". Make them yours and private (chmod -R go-rwx) in {course}, then run again"
        )
    return changed


def _walk(fd: int, shown: str, changed: list[str], stuck: list[str]) -> None:
    """Make the entry open as ``fd`` private, then (a folder, once closed to others) what it
    holds; closes ``fd``."""
    try:
        info = os.fstat(fd)
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            try:
                os.fchmod(fd, mode & 0o700)
                changed.append(f"{shown}: {mode:04o} -> {mode & 0o700:04o}")
            except OSError as exc:
                stuck.append(
                    f"{shown} (mode {mode:04o}, owner {account_name(info.st_uid)}: {exc.strerror})"
                )
                return
        if not stat.S_ISDIR(info.st_mode):
            return
        for name in sorted(os.listdir(fd)):
            try:
                child = os.open(name, _OPEN, dir_fd=fd)
            except OSError:  # a link (never followed; preflight refuses it) or gone
                continue
            _walk(child, f"{shown}/{name}", changed, stuck)
    finally:
        os.close(fd)


def written_by_others(folder: Path, owner: int) -> list[str]:
    """The entries under ``folder`` that another account than ``owner`` (who collected them)
    owns: written there after ``nbgrader collect``."""
    found = []
    for path in [folder, *sorted(folder.rglob("*"))]:
        try:
            uid = path.lstat().st_uid
        except OSError:
            continue
        if uid != owner:
            shown = path.relative_to(folder.parent.parent)  # from submitted/: bo/quiz1/...
            found.append(f"{shown} (by {account_name(uid)})")
    return found


def account_name(uid: int) -> str:
    """The account's name, or ``uid N`` for a uid without one."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"
