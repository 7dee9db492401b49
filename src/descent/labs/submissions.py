"""Checks of a student's submission folder before nbgrader grades it.

Each check returns report lines. A line that starts with :data:`REFUSED` means the submission
must not be graded at all (``descent labs autograde`` leaves that student out of
``nbgrader autograde`` and the report gives the reason):

- an entry that is a symbolic link, or a hard link to a file outside the submission (a link to
  the instructor's source notebook would otherwise be graded as the student's work);
- a notebook whose solution cells are the source notebook's, markers and all (a copy of the
  source reached some other way, such as a link that ``nbgrader collect`` followed);
- a notebook whose nbgrader metadata has the wrong shape (a ``grade_id`` that is a list).
"""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

from . import cellmeta

REFUSED = "refused before grading: "


def links(folder: Path) -> list[str]:
    """Symbolic links anywhere in ``folder``, and files hard-linked from outside it."""
    out, inodes = [], {}
    for top, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            path = Path(top, name)
            info = path.lstat()
            shown = path.relative_to(folder)
            if stat.S_ISLNK(info.st_mode):
                out.append(f"{REFUSED}{shown} is a symbolic link (to {os.readlink(path)})")
            elif stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
                inodes.setdefault((info.st_dev, info.st_ino), [info.st_nlink, []])[1].append(shown)
    for nlink, names in inodes.values():
        if nlink > len(names):  # some of the file's names lie outside the submission
            out += [
                f"{REFUSED}{name} is a hard link to a file outside the submission" for name in names
            ]
    return out


def solution_cells(nb) -> dict[str, str]:
    """``{grade_id: source}`` of the notebook's solution cells."""
    return {
        gid: cellmeta.source(c)
        for c in nb.get("cells", [])
        if isinstance(c, dict)
        and (gid := cellmeta.grade_id(c))
        and cellmeta.nbgrader(c).get("solution") is True
    }


def copies_source(nb, source_nb) -> bool:
    """Whether every solution cell of ``nb`` is the source notebook's, with the lines only the
    source has (``### BEGIN SOLUTION``): the submission is the instructor's notebook."""
    mine, theirs = solution_cells(nb), solution_cells(source_nb)
    marked = [
        gid
        for gid, text in theirs.items()
        if any(marker in text for marker in cellmeta.SOURCE_ONLY)
    ]
    return bool(marked) and all(mine.get(gid) == text for gid, text in theirs.items())


def notebook_problems(name: str, nb, source_nb) -> list[str]:
    """Refusals for one readable notebook: malformed metadata, a copy of the source."""
    bad = cellmeta.malformed(nb)
    if bad:
        return [
            f"{REFUSED}{name}: malformed nbgrader metadata ({'; '.join(bad[:5])}"
            f"{'; ...' if len(bad) > 5 else ''})"
        ]
    if source_nb is not None and copies_source(nb, source_nb):
        return [
            f"{REFUSED}{name}: its solution cells are the instructor's source notebook's, "
            f"solution markers included (a copy of, or a link to, the source)"
        ]
    return []


def refused(lines: list[str]) -> bool:
    return any(line.startswith(REFUSED) for line in lines)


def exchange_inbound(course: Path) -> Path | None:
    """The inbound folder of the course's nbgrader exchange, from its nbgrader_config.py."""
    # optional: traitlets comes with nbgrader (the labs extra)
    from traitlets.config.loader import PyFileConfigLoader

    try:
        config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    except Exception:  # noqa: BLE001 - no readable config: no exchange to look at
        return None
    root = config.Exchange.get("root") or "/usr/local/share/nbgrader/exchange"
    course_id = config.CourseDirectory.get("course_id") or ""
    inbound = Path(root) / course_id / "inbound"
    return inbound if course_id and inbound.is_dir() else None


def _account(uid: int) -> str:

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _is_account(name: str) -> bool:

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def exchange_problems(course: Path, assignment: str) -> dict[str, list[str]]:
    """What the latest copy of each student's submission in the exchange shows (the one
    ``nbgrader collect`` takes): links planted after ``nbgrader submit`` (refused; collect
    follows them), and, where the student id is an account of this machine, files written by
    another account (``nbgrader submit --student=OTHER``)."""
    inbound = exchange_inbound(course)
    latest: dict[str, Path] = {}
    for folder in sorted(inbound.glob(f"*+{assignment}+*")) if inbound else ():
        student, _, rest = folder.name.partition("+")
        if rest.split("+")[0] == assignment:
            latest[student] = folder  # sorted: the timestamp after the assignment orders them
    found: dict[str, list[str]] = {}
    for student, folder in latest.items():
        lines = [
            f"exchange copy {folder.name}: {line}"
            if not line.startswith(REFUSED)
            else f"{REFUSED}exchange copy {folder.name}: {line[len(REFUSED) :]}"
            for line in links(folder)
        ]
        if _is_account(student):
            owners = sorted(
                {_account(p.lstat().st_uid) for p in [folder, *folder.rglob("*")]} - {student}
            )
            if owners:
                lines.append(
                    f"exchange copy {folder.name} claims to be {student}'s but was "
                    f"written by {', '.join(owners)} (nbgrader submit --student?)"
                )
        if lines:
            found[student] = lines
    return found
