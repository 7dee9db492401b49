"""Where a student's test file is, and reading it safely on the trusted side.

A test file is handed in beside the modules: ``test_mse.py`` at the top of the submission
folder, or of a ``.zip`` (at its top or in one folder). It is read as text only (never imported
here), refused when it is a link, not a regular file, larger than :data:`MAX_BYTES` or not
UTF-8. A notebook or a single ``.py`` submission holds no test file.
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..calls.impl import Implementation

MAX_BYTES = 256 << 10


class Missing(Exception):
    """No usable test file; the message says why, for the student."""


class NotHandedIn(Missing):
    """No test file of that name in the submission at all (rather than one refused)."""


@dataclass(frozen=True)
class TestFile:
    text: str
    label: str  # shown to the student: the file's name, never a path of the grader's


def origin(impl: Implementation) -> Path | None:
    """The folder (or ``.zip``, ``.py``, ``.ipynb``) an implementation was handed in as: a
    submission graded in a worker records it in its intake; a folder graded in this process is
    its own root; a catalogued variant is the reference's folder it patches."""
    intake = getattr(impl, "intake", None)
    if isinstance(intake, dict) and intake.get("source"):
        return Path(intake["source"])
    base = getattr(impl, "base", None)
    if base is not None:
        return origin(base)
    root = getattr(impl, "folder", None)
    return Path(root) if root is not None else None


def handed_in(impl: Implementation, names: list[str]) -> bool:
    """Whether ``impl``'s submission is a folder with one of the test files ``names`` in it (a
    quick look at start-up: nothing is read, and a ``.zip`` is not opened)."""
    where = origin(impl)
    return where is not None and where.is_dir() and any((where / n).is_file() for n in names)


def read(impl: Implementation, name: str) -> TestFile:
    """The test file ``name`` of ``impl``'s submission; :class:`Missing` when there is none."""
    return read_from(origin(impl), name)


def read_from(where: Path | None, name: str) -> TestFile:
    """The test file ``name`` of the submission handed in as ``where`` (a folder, ``.zip``,
    ``.py`` or ``.ipynb``); :class:`Missing` when there is none."""
    if where is None:
        raise NotHandedIn(f"{name} was not handed in")
    if where.is_dir():
        return TestFile(_from_folder(where / name), name)
    if where.suffix.lower() == ".zip" and where.is_file():
        return TestFile(_from_zip(where, name), name)
    raise NotHandedIn(
        f"{name} was not handed in (a {where.suffix or 'single'} file holds no tests: "
        f"hand in {name} beside your modules)"
    )


def _from_folder(path: Path) -> str:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise NotHandedIn(f"{path.name} was not handed in") from None
    except OSError as exc:
        raise Missing(f"{path.name} cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise Missing(f"{path.name} is not a regular file (a link or a folder): refused")
    if st.st_size > MAX_BYTES:
        raise Missing(f"{path.name} is larger than {MAX_BYTES >> 10} KiB: refused")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as fh:
            return _decoded(fh.read(MAX_BYTES + 1), path.name)
    except OSError as exc:
        raise Missing(f"{path.name} cannot be read ({exc.strerror})") from None


def _from_zip(archive: Path, name: str) -> str:
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                parts = PurePosixPath(info.filename.replace("\\", "/")).parts
                if not parts or parts[-1] != name or len(parts) > 2 or ".." in parts:
                    continue
                if parts[0].startswith((".", "__MACOSX")) and len(parts) == 2:
                    continue
                if stat.S_ISLNK(info.external_attr >> 16) or info.file_size > MAX_BYTES:
                    raise Missing(f"{name} in the archive is a link or too large: refused")
                with zf.open(info) as fh:
                    return _decoded(fh.read(MAX_BYTES + 1), name)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Missing(f"{archive.name} is not a readable zip archive ({exc})") from None
    raise NotHandedIn(f"{name} was not handed in")


def _decoded(data: bytes, name: str) -> str:
    if len(data) > MAX_BYTES:
        raise Missing(f"{name} is larger than {MAX_BYTES >> 10} KiB: refused")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Missing(f"{name} is not UTF-8 text: refused") from None
