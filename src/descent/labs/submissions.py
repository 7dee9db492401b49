"""Checks of a student's submission folder before nbgrader grades it.

Each check returns report lines. A line that starts with :data:`REFUSED` means the submission
must not be graded at all (``descent labs autograde`` leaves that student out of
``nbgrader autograde`` and the report gives the reason):

- an entry that is a symbolic link, or a hard link to a file outside the submission (a link to
  the instructor's source notebook would otherwise be graded as the student's work), or that is
  neither a file nor a folder (a FIFO, a device);
- a notebook whose solution cells are the source notebook's, markers and all (a copy of the
  source reached some other way, such as a link that ``nbgrader collect`` followed);
- a notebook whose nbgrader metadata has the wrong shape (a ``grade_id`` that is a list).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from . import cellmeta

REFUSED = "refused before grading: "


def links(folder: Path) -> list[str]:
    """Symbolic links anywhere in ``folder``, files hard-linked from outside it, and anything
    that is neither a file nor a folder (a FIFO, which would stall a copy; a device)."""
    out, inodes = [], {}
    for top, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            path = Path(top, name)
            info = path.lstat()
            shown = path.relative_to(folder)
            if stat.S_ISLNK(info.st_mode):
                out.append(f"{REFUSED}{shown} is a symbolic link (to {os.readlink(path)})")
            elif not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
                out.append(f"{REFUSED}{shown} is neither a file nor a folder (a FIFO or a device)")
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
