"""The entries of a submissions folder: which student each is, what is graded, its content hash.

Every entry of the folder is one student's submission, exactly what ``descent grade`` takes: a
folder (the exercise modules at its top level, under ``starter/`` or under its only sub-folder,
:func:`graded_folder`), a ``.zip``, a single ``.py`` or a notebook (``.ipynb``) with tagged
cells. The student is the entry's name without that suffix (``alice.zip``, ``alice/`` and
``alice.ipynb`` are all ``alice``), in Unicode NFC form, so a name typed on macOS and on Linux is
one student. Hidden entries (``.git``, ``.DS_Store``) and ``__MACOSX`` are not submissions.
Anything else is listed as unrecognised and not graded.

**One entry per student.** Two or more entries that map to one student (``alice.zip`` beside
``alice/``, ``carl.ipynb`` beside ``carl/``, "José" written in NFC beside "José" in NFD, and
``Carl.zip`` beside ``carl/`` where the file system folds case) are all reported and none is
graded: the student is *held* until the instructor keeps one of them. No rule (newest, largest,
first) picks for them, since any such rule lets one entry stand in for another. A student is
also held, with the reason, when their entry is a symbolic link (refused, as intake refuses
links: it could name any file of the grader's), when their entry, or a file of it that
grading reads, cannot be read, or when its name is not valid UTF-8 (``Jos\xe9``, bytes
written in Latin-1: the student id is the name shown escaped, :func:`printable`, and the
entry is graded once renamed).
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
from ..testwriting import declared as written_tests

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
    kind: str  # folder, zip, py, ipynb, or link (refused)
    modified: float  # seconds since the epoch
    problem: str = ""  # why it cannot be graded (a link, unreadable), "" when it can
    listed: str = ""  # its name in the submissions folder (``path`` may be below it)

    @property
    def name(self) -> str:
        return self.listed or self.path.name


@dataclass
class Listing:
    entries: list[Entry]  # one per student who is graded
    unrecognised: list[str]  # entry names that are not a folder, .zip, .py or .ipynb
    # students who are not graded, with why (two entries for one student, a link, unreadable);
    # every student id of a group of twins is held, so no earlier grading of one stays current
    held: dict[str, list[str]] = field(default_factory=dict)
    held_entries: dict[str, list[Path]] = field(default_factory=dict)  # their entries

    @property
    def students(self) -> list[str]:
        """Every student the folder names, graded or held."""
        return sorted({e.student for e in self.entries} | set(self.held))


def printable(name: str) -> str:
    """A name read from the file system as text that can be stored and shown: the bytes that
    are not UTF-8 (which Python keeps as lone surrogates) written as ``\\xNN`` escapes."""
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that no undecodable byte stands for
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


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
    """The submissions in ``folder``: one graded entry per student, and the students held
    (see the module's docstring); raises :class:`SubmissionsError` when there is nothing to
    grade."""
    folder = Path(folder)
    if not folder.exists():
        raise SubmissionsError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise SubmissionsError(
            f"{folder}: not a folder (give the folder holding one entry per student)"
        )
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        raise SubmissionsError(f"{folder}: cannot be read ({exc.strerror})") from None
    folds = folds_case(folder, names)
    groups: dict[str, list[Entry]] = {}
    unrecognised = []
    for name in names:
        if name.startswith(".") or name in _NOT_SUBMISSIONS:
            continue
        entry = _entry(folder / name)
        if entry is None:
            unrecognised.append(printable(name))
        else:
            key = entry.student.casefold() if folds else entry.student
            groups.setdefault(key, []).append(entry)
    if not groups:
        what = f" (only: {', '.join(unrecognised[:5])})" if unrecognised else ""
        raise SubmissionsError(
            f"{folder}: no submissions to grade{what}; each student needs a "
            f"folder, .zip, .py or .ipynb entry"
        )
    listing = Listing([], unrecognised)
    for key in sorted(groups):
        _sort(groups[key], listing, folds)
    return listing


def _sort(group: list[Entry], listing: Listing, folds: bool) -> None:
    """One student's entries: graded when there is one and nothing is wrong with it, else
    every student id of the group held, with the reasons."""
    if len(group) == 1 and not group[0].problem:
        listing.entries.append(group[0])
        return
    reasons = [f"{_shown(e)}: {e.problem}" for e in group if e.problem]
    if len(group) > 1:
        alike = "once written in one Unicode form" + (" and case" if folds else "")
        reasons.insert(
            0,
            f"{len(group)} entries map to this student ({', '.join(_shown(e) for e in group)}; "
            f"one name {alike}): none is graded until only one is left",
        )
    for entry in group:
        listing.held.setdefault(entry.student, []).extend(
            r for r in reasons if r not in listing.held.get(entry.student, [])
        )
        listing.held_entries.setdefault(entry.student, []).append(entry.path)


def _shown(entry: Entry) -> str:
    """An entry's name as a reader can tell it from its twin."""
    name = entry.name + ("/" if entry.kind == "folder" else "")
    if not unicodedata.is_normalized("NFC", name):
        name += " (decomposed accents, NFD)"
    return name


def folds_case(folder: Path, names: list[str]) -> bool:
    """Whether the file system of ``folder`` treats names that differ only in case as one
    (macOS and Windows by default, a case-folding ext4 or tmpfs folder): an entry found again
    under its name with the case swapped."""
    for name in names:
        other = name.swapcase()
        if other != name and other not in names:
            try:
                return os.path.samefile(folder / name, folder / other)
            except OSError:
                return False
    return False


def _entry(path: Path) -> Entry | None:
    entry = _kind(path)
    if entry is not None:
        entry.listed = printable(path.name)
        if entry.listed != path.name:
            entry.student = student_of(entry.listed)
            entry.problem = (
                f"its name is not valid UTF-8 ({entry.listed}, the bytes that are not shown "
                f"escaped): rename it in UTF-8 to have it graded"
            )
    return entry


def _kind(path: Path) -> Entry | None:
    st = os.lstat(path)
    name = path.name
    if stat.S_ISDIR(st.st_mode):
        graded = graded_folder(path)
        entry = Entry(student_of(name), graded, "folder", _folder_mtime(path, graded, st))
        entry.problem = _unreadable(path, graded)
        return entry
    suffix = next((x for x in SUFFIXES if name.lower().endswith(x)), None)
    if stat.S_ISLNK(st.st_mode):
        target = os.readlink(path)
        return Entry(
            student_of(name),
            path,
            "link",
            st.st_mtime,
            f"a symbolic link (to {target}): refused, as intake refuses links (it could name "
            f"any file the grader can read); put the submission itself in the folder",
        )
    if stat.S_ISREG(st.st_mode) and suffix:
        return Entry(student_of(name), path, suffix[1:], st.st_mtime, _unreadable(path))
    return None


def _unreadable(path: Path, graded: Path | None = None) -> str:
    """Why the entry, or a file of it that grading reads, cannot be read; "" when all can."""
    try:
        if graded is None:
            with open(path, "rb"):
                return ""
        for folder in dict.fromkeys([path, graded]):
            for name in os.listdir(folder):
                if _read_by_grading(name) and stat.S_ISREG(os.lstat(folder / name).st_mode):
                    with open(folder / name, "rb"):
                        pass
    except OSError as exc:
        where = Path(exc.filename).name if exc.filename else path.name
        return f"{where} cannot be read ({exc.strerror}) by the account that grades"
    return ""


def _read_by_grading(name: str) -> bool:
    """An exercise module, a notebook, or the test file of a write-the-tests exercise."""
    return (
        name.endswith(".ipynb")
        or (name.endswith(".py") and name[:-3] in registry.MODULES)
        or written_tests.by_file(name) is not None
    )


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
    return any(_read_by_grading(n) for n in names)


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
    of its regular files, and of the ``.py`` files one folder down (a helper package, which
    intake takes when a module imports it); links and other sub-folders by name only: intake
    never reads through them."""
    path = Path(path)
    digest = hashlib.sha256()
    try:
        st = os.lstat(path)
    except OSError as exc:
        return f"unreadable:{exc.errno}"
    if stat.S_ISDIR(st.st_mode):
        digest.update(b"folder\0")
        try:
            names = sorted(os.listdir(path))
        except OSError as exc:
            return f"unreadable:{exc.errno}"
        for name in names:
            sub = os.lstat(path / name)
            digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
            if stat.S_ISREG(sub.st_mode):
                _hash_file(path / name, sub, digest)
            elif stat.S_ISDIR(sub.st_mode):
                digest.update(b"dir\0")
                _hash_helpers(path / name, digest)
            else:
                digest.update(b"other\0")
    elif stat.S_ISREG(st.st_mode):
        _hash_file(path, st, digest)
    else:
        digest.update(b"other\0")
    return digest.hexdigest()


def _hash_helpers(folder: Path, digest) -> None:
    """The names and bytes of the ``.py`` files of a sub-folder (not a hidden one)."""
    if folder.name.startswith("."):
        return
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".py"))
    except OSError as exc:
        digest.update(f"unreadable:{exc.errno}\0".encode())
        return
    for name in names:
        st = os.lstat(folder / name)
        if stat.S_ISREG(st.st_mode):
            digest.update(f"{folder.name}/".encode("utf-8", "surrogateescape"))
            digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
            _hash_file(folder / name, st, digest)


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
