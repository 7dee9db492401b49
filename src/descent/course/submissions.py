"""The entries of a submissions folder: which student each is, what is graded, its content hash.

Every entry of the folder is one student's submission, exactly what ``descent grade`` takes: a
folder (the exercise modules at its top level, under ``starter/`` or under its only sub-folder,
:func:`graded_folder`), a ``.zip``, a single
``.py`` or a notebook (``.ipynb``) with tagged cells. The student is the entry's name without
that suffix (``alice.zip``, ``alice/`` and ``alice.ipynb`` are all ``alice``). Hidden entries
(``.git``, ``.DS_Store``) and ``__MACOSX`` are not submissions. Anything else is listed as
unrecognised and not graded.

When one student has several entries, the newest (latest modification time of the entry or of
a file at its top level) is graded and the others are reported as superseded.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .. import registry
from ..errors import DescentError

SUFFIXES = (".zip", ".ipynb", ".py")
HASH_CAP = 64 << 20  # larger files are hashed by size and time: intake refuses them anyway
_NOT_SUBMISSIONS = {"__MACOSX", "manifest.csv"}  # manifest: submission times (lateness)


class SubmissionsError(DescentError, ValueError):
    """The submissions folder cannot be graded at all (missing, not a folder, empty)."""


@dataclass
class Entry:
    """One submission: ``path`` is what is graded (for a folder, possibly its ``starter/``)."""

    student: str
    path: Path
    kind: str  # folder, zip, py, ipynb
    modified: float  # seconds since the epoch
    superseded: list[Path] = field(default_factory=list)  # older entries of the same student

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class Listing:
    entries: list[Entry]
    unrecognised: list[str]  # entry names that are not a folder, .zip, .py or .ipynb


def student_of(name: str) -> str:
    """The student id of an entry name: the name without its suffix, in Unicode NFC form (the
    same name typed on macOS and on Linux is the same student)."""
    for suffix in SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return unicodedata.normalize("NFC", name)


def file_stem(student: str) -> str:
    """A file name for a student's report: letters, digits, ``._-`` kept (any script), the rest
    replaced, plus a short hash whenever something was replaced, so two ids never collide."""
    stem = re.sub(r"[^\w.-]+", "_", student).strip("._") or "student"
    if stem != student:
        stem += "-" + hashlib.sha256(student.encode()).hexdigest()[:6]
    return stem[:120]


def discover(folder: str | Path) -> Listing:
    """The submissions in ``folder``, newest per student; raises :class:`SubmissionsError` when
    there is nothing to grade."""
    folder = Path(folder)
    if not folder.exists():
        raise SubmissionsError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise SubmissionsError(
            f"{folder}: not a folder (give the folder holding one entry per student)"
        )
    by_student: dict[str, list[Entry]] = {}
    unrecognised = []
    for name in sorted(os.listdir(folder)):
        if name.startswith(".") or name in _NOT_SUBMISSIONS:
            continue
        entry = _entry(folder / name)
        if entry is None:
            unrecognised.append(name)
        else:
            by_student.setdefault(entry.student, []).append(entry)
    if not by_student:
        what = f" (only: {', '.join(unrecognised[:5])})" if unrecognised else ""
        raise SubmissionsError(
            f"{folder}: no submissions to grade{what}; each student needs a "
            f"folder, .zip, .py or .ipynb entry"
        )
    entries = []
    for student in sorted(by_student):
        mine = sorted(by_student[student], key=lambda e: (e.modified, e.name), reverse=True)
        newest = mine[0]
        newest.superseded = [e.path for e in mine[1:]]
        entries.append(newest)
    return Listing(entries, unrecognised)


def _entry(path: Path) -> Entry | None:
    st = os.lstat(path)
    name = path.name
    if stat.S_ISDIR(st.st_mode):
        graded = graded_folder(path)
        return Entry(student_of(name), graded, "folder", _folder_mtime(path, graded, st))
    if stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
        # A link is passed on as it is: intake refuses it, and the report says why.
        for suffix in SUFFIXES:
            if name.lower().endswith(suffix):
                return Entry(student_of(name), path, suffix[1:], st.st_mtime)
    return None


def graded_folder(path: Path, depth: int = 2) -> Path:
    """The folder itself when the exercise modules are at its top; else its ``starter/``, or its
    only sub-folder (how Gradescope and unzip tools unpack a zipped folder), looked into the
    same way, ``depth`` levels down at most; the folder itself when none holds modules."""
    if depth == 0 or _has_modules(path):
        return path
    subs = _subfolders(path)
    starter = path / "starter"
    for sub in [starter] if starter in subs else subs[:1] if len(subs) == 1 else []:
        found = graded_folder(sub, depth - 1)
        if _has_modules(found):
            return found
    return path


def _subfolders(folder: Path) -> list[Path]:
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [
        folder / n
        for n in names
        if not n.startswith((".", "__")) and (folder / n).is_dir() and not (folder / n).is_symlink()
    ]


def _has_modules(folder: Path) -> bool:
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    return any(
        n.endswith(".ipynb") or (n.endswith(".py") and n[:-3] in registry.MODULES) for n in names
    )


def _folder_mtime(path: Path, graded: Path, st) -> float:
    newest = st.st_mtime
    for folder in {path, graded}:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            try:
                newest = max(newest, os.lstat(folder / name).st_mtime)
            except OSError:
                pass
    return newest


def content_hash(path: str | Path) -> str:
    """SHA-256 of what grading reads: a file's bytes, or a folder's top-level names and the bytes
    of its regular files (links and sub-folders by name only: intake never reads through them)."""
    path = Path(path)
    digest = hashlib.sha256()
    try:
        st = os.lstat(path)
    except OSError as exc:
        return f"unreadable:{exc.errno}"
    if stat.S_ISDIR(st.st_mode):
        digest.update(b"folder\0")
        for name in sorted(os.listdir(path)):
            sub = os.lstat(path / name)
            digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
            if stat.S_ISREG(sub.st_mode):
                _hash_file(path / name, sub, digest)
            else:
                digest.update(b"dir\0" if stat.S_ISDIR(sub.st_mode) else b"other\0")
    elif stat.S_ISREG(st.st_mode):
        _hash_file(path, st, digest)
    else:
        digest.update(b"other\0")
    return digest.hexdigest()


def _hash_file(path: Path, st, digest) -> None:
    if st.st_size > HASH_CAP:
        digest.update(f"oversize:{st.st_size}:{st.st_mtime_ns}\0".encode())
        return
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        digest.update(f"unreadable:{exc.errno}\0".encode())
    digest.update(b"\0")
