"""What the course's ``nbgrader collect`` found in the exchange, kept by the instructor: each
copy it took, copied without following a link, and when that copy was last written.

:func:`copy_checked` is the copy itself. It opens every entry of the student's exchange copy
relative to its folder, never following a link (``O_NOFOLLOW``), and copies only folders and
plain files that have one name each; a symbolic link, a hard link, a FIFO, a device or a socket
anywhere refuses the whole copy (:class:`Refused`, with what it was), and what was checked is
what is copied (the file opened is the file read: no link can be swapped in between). It reads
each entry's *change time* (``st_ctime``) from the open file: the kernel sets it whenever the
file or folder changes (its contents, its name, its mode, its times), and nobody but the
machine's clock sets it, so ``touch -d`` moves a file's modification time back but its change
time forward, to the moment of the ``touch``.

:func:`append` keeps one :class:`Record` per student and collect in
``.descent/collect/ASSIGNMENT.jsonl`` of the course folder (private to the instructor): the copy
collect took, when it was last written (the newest change time of its entries), when collect
found it, and the SHA-256 of each file copied; or why it was refused. :func:`find` gives the
record of a collected folder (its files must be the ones that collect copied), which
:mod:`descent.course.nbrecords` reads for the time a lab or quiz was submitted.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

LOG = Path(".descent") / "collect"
_OPEN = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_KINDS = {
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


class Refused(Exception):
    """A copy that collect must not take; the message says which entry and why."""


@dataclass
class Record:
    """One student's copy as one collect found it (``refused``: why it was not taken)."""

    student: str
    copy: str  # the exchange folder's name (student+assignment+time+random)
    collected: float  # when collect found it (seconds since the epoch, the instructor's clock)
    written: float = 0.0  # the newest change time of its entries, as collect read them
    files: dict[str, str] = field(default_factory=dict)  # path in the copy -> SHA-256
    refused: str = ""


@dataclass
class Found:
    """What :func:`copy_checked` read while it copied."""

    written: float = 0.0
    files: dict[str, str] = field(default_factory=dict)
    size: int = 0


def copy_checked(
    source: Path,
    dest: Path,
    ignore: Callable[[str, list[str]], set[str]] | None = None,
    max_bytes: int | None = None,
) -> Found:
    """Copy the exchange folder ``source`` to ``dest`` (which must not exist), refusing
    anything but folders and plain files of one name (:class:`Refused`; ``dest`` is left
    partly written: remove it). ``ignore`` is nbgrader's (folder, names) -> names to leave out;
    past ``max_bytes`` of files the copy is refused. Keeps each file's mode bits and times, as
    nbgrader's ``shutil.copytree`` does."""
    try:
        fd = os.open(source, _OPEN | os.O_DIRECTORY)
    except OSError as exc:
        raise Refused(
            f"the copy cannot be opened without following a link ({exc.strerror})"
        ) from None
    found = Found()
    _copy_folder(fd, source, dest, "", found, ignore, max_bytes)
    return found


def _copy_folder(fd, source, dest, shown, found, ignore, max_bytes) -> None:
    """Copy the folder open as ``fd`` (closed here) to ``dest``; ``shown`` is its path in the
    copy."""
    try:
        info = os.fstat(fd)
        found.written = max(found.written, info.st_ctime)
        dest.mkdir()
        names = sorted(os.listdir(fd))
        left_out = ignore(str(source / shown), names) if ignore else set()
        for name in names:
            if name in left_out:
                continue
            inner = f"{shown}/{name}" if shown else name
            entry = os.stat(name, dir_fd=fd, follow_symlinks=False)
            kind = _KINDS.get(stat.S_IFMT(entry.st_mode))
            if kind:
                raise Refused(f"{inner} is {kind}")
            child = os.open(name, _OPEN, dir_fd=fd)
            if stat.S_ISDIR(entry.st_mode):
                _copy_folder(child, source, dest / name, inner, found, ignore, max_bytes)
            else:
                _copy_file(child, dest / name, inner, found, max_bytes)
        os.chmod(dest, stat.S_IMODE(info.st_mode))
        os.utime(dest, ns=(info.st_atime_ns, info.st_mtime_ns))
    finally:
        os.close(fd)


def _copy_file(fd, dest: Path, shown: str, found: Found, max_bytes) -> None:
    """Copy the file open as ``fd`` (closed here), hashing it; refuse what is not a plain file
    of one name."""
    digest = hashlib.sha256()
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"{shown} is {_KINDS.get(stat.S_IFMT(info.st_mode), 'not a file')}")
        if info.st_nlink > 1:
            raise Refused(f"{shown} is a hard link ({info.st_nlink} names on the file system)")
        found.written = max(found.written, info.st_ctime)
        out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            while chunk := os.read(fd, 1 << 20):
                found.size += len(chunk)
                if max_bytes is not None and found.size > max_bytes:
                    raise Refused(f"the copy is over {max_bytes:,} bytes")
                digest.update(chunk)
                os.write(out, chunk)
            os.fchmod(out, stat.S_IMODE(info.st_mode))
            os.utime(out, ns=(info.st_atime_ns, info.st_mtime_ns))
        finally:
            os.close(out)
    finally:
        os.close(fd)
    found.files[shown] = digest.hexdigest()


def hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of each plain file under ``folder`` (links are not followed, nor hashed), by its
    path there: what :func:`find` compares with what collect copied."""
    out = {}
    for top, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = Path(top, name)
            if not path.is_symlink() and path.is_file():
                out[path.relative_to(folder).as_posix()] = hashlib.sha256(
                    path.read_bytes()
                ).hexdigest()
    return out


def written_now(copy: Path) -> float | None:
    """The newest change time of ``copy``'s entries as they are now (links not followed);
    None when it cannot be read."""
    try:
        newest = copy.lstat().st_ctime
        for path in copy.rglob("*"):
            newest = max(newest, path.lstat().st_ctime)
    except OSError:
        return None
    return newest


def append(course: Path, assignment: str, record: Record) -> None:
    """Add ``record`` to the assignment's log in ``course`` (made private to this account)."""
    folder = course / LOG
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(course / LOG.parent, 0o700)
    os.chmod(folder, 0o700)
    line = json.dumps(asdict(record), sort_keys=True) + "\n"
    fd = os.open(
        folder / f"{assignment}.jsonl",
        os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC,
        0o600,
    )
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def records(course: Path, assignment: str) -> list[Record]:
    """The assignment's records, oldest first (a line that cannot be read is skipped)."""
    path = course / LOG / f"{assignment}.jsonl"
    out: list[Record] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return out
    for line in lines:
        try:
            out.append(Record(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return out


def latest(course: Path, assignment: str, student: str) -> Record | None:
    """The student's last record for the assignment, taken or refused."""
    return next((r for r in reversed(records(course, assignment)) if r.student == student), None)


def find(course: Path, assignment: str, student: str, folder: Path) -> Record | None:
    """The last record of a copy collect took for ``student`` (by the name collect gave the
    student, or by the copy's name: a copy collect named ``dev+lab1`` after a misread time
    and the instructor moved to ``dev``) whose files are those of the collected ``folder``
    now; None when there is none (collected without the course's configuration, placed by
    hand, or changed after collect)."""
    prefix = f"{student}+{assignment}+"
    mine = [
        r
        for r in records(course, assignment)
        if (r.student == student or r.copy.startswith(prefix)) and not r.refused and r.files
    ]
    if not mine:
        return None
    now = hashes(folder)
    return next((r for r in reversed(mine) if r.files == now), None)
