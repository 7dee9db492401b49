"""Intake: which files of a submission are graded, copied where the worker can read them.

The exercise modules (``losses.py``, ``activations.py``, ...) are taken, from the top of the
submission folder, or the same code from a notebook's code cells tagged ``descent:<module>``,
and with them the student's own helper files that they import (``_util.py``, a package
``helpers/`` one folder deep: :mod:`descent.calls.helpers` decides which, as the student's own
run does). Everything else is ignored and reported: pytest and packaging files that would run
inside a grader (``conftest.py``, ``pytest.ini``, ``pyproject.toml``...), interpreter start-up
hooks (``sitecustomize.py``, ``*.pth``), extra tests, helpers no exercise module imports. A file
named like a library it would shadow (``torch.py``, ``numpy/``, any standard-library module),
links, hard links, device files, ``..`` or absolute archive members, oversized files and
archives are refused. The accepted files are copied (never linked) into a fresh directory that
the worker may read.
"""

from __future__ import annotations

import json
import operator
import os
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from itertools import accumulate
from pathlib import Path, PurePosixPath

from .. import registry
from ..calls import helpers

MAX_FILE = 1 << 20  # one module: 1 MiB of source
MAX_TOTAL = 16 << 20  # all taken files
MAX_NOTEBOOK = 8 << 20
MAX_NOTEBOOK_DEPTH = 100  # JSON nesting: a notebook's own is under 10, rich outputs add a few
MAX_ARCHIVE_MEMBERS = 2000
MAX_ARCHIVE_UNPACKED = 64 << 20
HARNESS_FILES = {
    "conftest.py",
    "pytest.ini",
    "pyproject.toml",
    "setup.cfg",
    "tox.ini",
    "setup.py",
    "sitecustomize.py",
    "usercustomize.py",
    "__init__.py",
    ".pytest_cache",
    ".hypothesis",
    "__pycache__",
}
_MAGIC_LINE = re.compile(r"^\s*(!|%|\?)")
# Folders and files that macOS archivers add beside the real ones (resource forks, AppleDouble
# metadata): never a submission's code, whatever their names say.
RESOURCE_FORK_FOLDERS = {"__MACOSX", ".AppleDouble"}
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_WEIGHT = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")


@dataclass
class Intake:
    """What was taken from a submission and what was not."""

    source: str
    folder: str | None = None  # the private copy the worker reads
    taken: list[str] = field(default_factory=list)
    ignored: list[dict] = field(default_factory=list)  # {"path", "reason"}
    refused: list[dict] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # module -> source text

    def ignore(self, path: str, reason: str) -> None:
        self.ignored.append({"path": _safe(path), "reason": _safe(reason)})

    def refuse(self, path: str, reason: str) -> None:
        self.refused.append({"path": _safe(path), "reason": _safe(reason)})

    def summary(self) -> dict:
        d = asdict(self)
        d.pop("sources")
        return d

    def cleanup(self) -> None:
        if self.folder:
            shutil.rmtree(Path(self.folder).parent, ignore_errors=True)


def _safe(text: str) -> str:
    """A name from the submission, shown in reports: printable characters only, capped."""
    text = str(text)[:300]
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _reason_for(name: str) -> str | None:
    """Why a top-level name that is not an exercise module is ignored."""
    lower = name.lower()
    if lower in HARNESS_FILES:
        return "a pytest or interpreter start-up file: graders never load submission copies of it"
    if lower.endswith(".pth"):
        return "a .pth file runs code at interpreter start-up: never used"
    if re.match(r"^test_.*\.py$|^.*_test\.py$", lower):
        # a write-the-tests exercise reads its file on the trusted side, as text (testwriting)
        return "a test file: never run as a module (a write-the-tests exercise reads its own)"
    return None


def take(path: str | Path, dest_root: str | Path | None = None) -> Intake:
    """Intake a submission folder, a single ``.py`` or ``.ipynb`` file, or a ``.zip``."""
    path = Path(path)
    result = Intake(source=str(path))
    try:
        st = os.lstat(path)
    except OSError as exc:
        result.refuse(str(path), f"cannot read the submission ({exc.strerror})")
        return result
    files: dict[str, bytes] = {}
    candidates: dict[str, bytes] = {}  # helper files, by relative path (calls.helpers)
    if stat.S_ISLNK(st.st_mode):
        result.refuse(path.name, "the submission itself is a symbolic link")
    elif stat.S_ISDIR(st.st_mode):
        _from_folder(path, result, files, candidates)
    elif path.suffix == ".zip":
        _from_zip(path, result, files, candidates)
    elif path.suffix == ".ipynb":
        _from_notebook(path.name, _read_file(path, st, result, MAX_NOTEBOOK), result, files)
    elif path.suffix == ".py":
        data = _read_file(path, st, result, MAX_FILE)
        if data is not None:
            _accept(path.name, data, result, files)
    else:
        result.refuse(path.name, "not a folder, .py, .ipynb or .zip")
    _take_helpers(candidates, result, files)
    _write(files, result, dest_root)
    return result


def _take_helpers(candidates: dict[str, bytes], result: Intake, files: dict) -> None:
    """Of the candidate helper files, take those the exercise modules import; list the others
    with the reason (:func:`descent.calls.helpers.select`)."""
    texts = {}
    for path, data in candidates.items():
        if path.endswith("/"):
            texts[path] = ""  # a folder nested too deep, to be reported
        elif b"\x00" in data:
            result.refuse(path, "contains NUL bytes: not a Python source file")
        else:
            try:
                texts[path] = data.decode("utf-8")
            except UnicodeDecodeError:
                result.refuse(path, "not UTF-8 text")
    chosen = helpers.select(result.sources, texts)
    for path, reason in chosen.refused.items():
        result.refuse(path, reason)
    for path, reason in chosen.ignored.items():
        result.ignore(path, reason)
    for path in chosen.taken:
        if sum(len(v) for v in files.values()) + len(candidates[path]) > MAX_TOTAL:
            result.refuse(path, "the submission is too large")
            continue
        files[path] = candidates[path]
        result.taken.append(_safe(path))
        # the one list of the code that runs: the inputs' key, the library-use scan and the
        # similarity corpus read the helpers with the modules (``helpers.ops``, ``_util``)
        result.sources[helpers.module_name(path)] = texts[path]


def _read_file(path: Path, st, result: Intake, limit: int, name: str | None = None) -> bytes | None:
    name = name or path.name
    if stat.S_ISLNK(st.st_mode):
        result.refuse(name, "symbolic link: refused (it could point at anything on the grader)")
        return None
    if not stat.S_ISREG(st.st_mode):
        result.refuse(name, "not a regular file (device, pipe or socket): refused")
        return None
    if st.st_nlink > 1:
        result.refuse(name, "hard link: refused")
        return None
    if st.st_size > limit:
        result.refuse(name, f"file of {st.st_size} bytes exceeds the {limit}-byte limit")
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        result.refuse(name, f"cannot be read ({exc.strerror})")
        return None
    try:
        st2 = os.fstat(fd)
        if (st2.st_ino, st2.st_dev) != (st.st_ino, st.st_dev) or not stat.S_ISREG(st2.st_mode):
            result.refuse(name, "file changed while it was read: refused")
            return None
        data = os.read(fd, limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        result.refuse(name, f"file exceeds the {limit}-byte limit")
        return None
    return data


def _from_folder(folder: Path, result: Intake, files: dict, candidates: dict) -> None:
    entries = _entries(folder, str(folder), result)
    for name in entries:
        full = folder / name
        if _resource_fork((name,)) or name in RESOURCE_FORK_FOLDERS:
            result.ignore(name, "macOS resource fork or metadata, not the file itself")
            continue
        st = os.lstat(full)
        if stat.S_ISLNK(st.st_mode):
            result.refuse(name, "symbolic link: refused (it could point at anything on the grader)")
            continue
        reason = _reason_for(name)
        if stat.S_ISDIR(st.st_mode):
            if reason or name.startswith("."):
                result.ignore(name + "/", reason or "hidden folder: not graded")
            else:
                _helper_folder(full, name, result, candidates)
            continue
        if name.endswith(".ipynb"):
            data = _read_file(full, st, result, MAX_NOTEBOOK)
            if data is not None:
                _from_notebook(name, data, result, files)
            continue
        if name.endswith(".py") and not reason:
            if name[:-3] not in registry.MODULES and not _room(candidates, st.st_size):
                result.refuse(name, "the submission is too large")
                continue
            data = _read_file(full, st, result, MAX_FILE)
            if data is not None and name[:-3] in registry.MODULES:
                _accept(name, data, result, files)
            elif data is not None:
                candidates[name] = data
            continue
        result.ignore(name, reason or "not an exercise module")


def _entries(folder: Path, label: str, result: Intake) -> list[str]:
    """The names in ``folder``, sorted; none (refused, with the reason) when it cannot be read
    or holds more than :data:`MAX_ARCHIVE_MEMBERS`."""
    try:
        entries = sorted(os.listdir(folder))
    except OSError as exc:
        result.refuse(label, f"cannot be read ({exc.strerror})")
        return []
    if len(entries) > MAX_ARCHIVE_MEMBERS:
        result.refuse(label, f"more than {MAX_ARCHIVE_MEMBERS} entries")
        return []
    return entries


def _helper_folder(path: Path, name: str, result: Intake, candidates: dict) -> None:
    """A folder of the submission: its ``.py`` files are candidate helpers (a package one level
    deep); a folder inside it is listed as too deep; a folder without Python files is ignored."""
    found = 0
    for entry in _entries(path, name + "/", result):
        rel, full = f"{name}/{entry}", path / entry
        if entry.startswith(".") or entry == "__pycache__":
            continue
        st = os.lstat(full)
        if not _room(candidates, st.st_size):
            result.refuse(rel, "the submission is too large")
            return
        if stat.S_ISDIR(st.st_mode):
            candidates[rel + "/"], found = b"", found + 1
        elif entry.endswith(".py") and (entry == "__init__.py" or not _reason_for(entry)):
            data = _read_file(full, st, result, MAX_FILE, rel)
            if data is not None:
                candidates[rel], found = data, found + 1
    if not found:
        result.ignore(name + "/", "folder without Python files: not graded")


def _room(candidates: dict, size: int) -> bool:
    """Whether one more candidate helper of ``size`` bytes fits: at most
    :data:`MAX_ARCHIVE_MEMBERS` of them and :data:`MAX_TOTAL` bytes in all, however many folders
    a submission holds."""
    total = sum(len(v) for v in candidates.values())
    return len(candidates) < MAX_ARCHIVE_MEMBERS and total + size <= MAX_TOTAL


def _from_zip(path: Path, result: Intake, files: dict, candidates: dict) -> None:
    if path.stat().st_size > MAX_ARCHIVE_UNPACKED:
        result.refuse(path.name, "archive too large")
        return
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        result.refuse(path.name, f"not a readable zip archive ({exc})")
        return
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ARCHIVE_MEMBERS:
            result.refuse(path.name, f"more than {MAX_ARCHIVE_MEMBERS} members")
            return
        root = _zip_root(infos)
        unpacked = 0
        for info in infos:
            name = info.filename
            pure = PurePosixPath(name.replace("\\", "/"))
            if pure.is_absolute() or ".." in pure.parts or name.startswith("/"):
                result.refuse(name, "archive member with an absolute or `..` path: refused")
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                result.refuse(name, "symbolic link in the archive: refused")
                continue
            if info.is_dir():
                continue
            if _resource_fork(pure.parts):
                result.ignore(name, "macOS resource fork or metadata, not the file itself")
                continue
            unpacked += _zip_member(
                zf, info, pure.parts, root, unpacked, result, (files, candidates)
            )


def _zip_root(infos: list) -> tuple[str, ...]:
    """Where an archive's exercise modules are: at its top (``()``), or in its one folder
    (``("alice",)``, a zipped folder); the helper files are looked for there."""
    tops = set()
    for info in infos:
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if parts and _graded_name(parts[-1]):
            if len(parts) == 1:
                return ()
            tops.add(parts[:-1])
    return tops.pop() if len(tops) == 1 and len(next(iter(tops))) == 1 else ()


def _helper_name(rel: tuple[str, ...]) -> bool:
    """A file that may be a helper: any ``.py`` but the harness's and test files, and a
    package's own ``__init__.py``."""
    return not _reason_for(rel[-1]) or (len(rel) == 2 and rel[-1] == "__init__.py")


def _graded_name(base: str) -> bool:
    return base.endswith(".ipynb") or (base.endswith(".py") and base[:-3] in registry.MODULES)


def _zip_member(zf, info, parts, root, unpacked: int, result: Intake, into: tuple) -> int:
    """Read one member: an exercise module or notebook (at the top or in a folder), or a
    candidate helper (beside the exercise modules, or one folder below them); returns the bytes
    read."""
    name, base = info.filename, parts[-1]
    files, candidates = into
    rel = parts[len(root) :] if parts[: len(root)] == root else ()
    hidden = any(p.startswith(".") for p in parts[:-1])
    if _graded_name(base) and len(parts) <= 2 and not hidden:
        limit, kind = (
            (MAX_NOTEBOOK, "notebook") if base.endswith(".ipynb") else (MAX_FILE, "module")
        )
    elif base.endswith(".py") and 1 <= len(rel) <= 2 and not hidden and _helper_name(rel):
        limit, kind = MAX_FILE, "helper"
    else:
        if base.endswith(".py") and len(rel) == 3 and not hidden:
            candidates["/".join(rel[:2]) + "/"] = b""  # a folder too deep, reported as such
        elif len(parts) > 2 or hidden:
            result.ignore(name, "nested too deep: only top-level exercise modules are graded")
        else:
            result.ignore(name, _reason_for(base) or "not an exercise module")
        return 0
    if info.file_size > limit or unpacked + info.file_size > MAX_ARCHIVE_UNPACKED:
        result.refuse(name, "member too large (or the archive is a zip bomb)")
        return 0
    with zf.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        result.refuse(name, "member larger than declared: refused")
        return 0
    if kind == "notebook":
        _from_notebook(name, data, result, files)
    elif kind == "module":
        _accept(base, data, result, files)
    else:
        candidates["/".join(rel)] = data
    return len(data)


def _resource_fork(parts: tuple[str, ...]) -> bool:
    """A member under ``__MACOSX/`` (or ``.AppleDouble/``), or an AppleDouble file (``._name``):
    what macOS archivers store beside a file, never the file."""
    return any(p in RESOURCE_FORK_FOLDERS for p in parts[:-1]) or parts[-1].startswith("._")


def _from_notebook(name: str, data: bytes | None, result: Intake, files: dict) -> None:
    """Code cells tagged ``descent:<module>`` become ``<module>.py``; outputs are ignored;
    IPython magics and shell escapes are dropped (they would not run in a plain module)."""
    if data is None:
        return
    cells = _cells(name, data, result)
    if cells is None:
        return
    code: dict[str, list[str]] = {}
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        tags = (cell.get("metadata") or {}).get("tags") or []
        modules = [
            t.split(":", 1)[1] for t in tags if isinstance(t, str) and t.startswith("descent:")
        ]
        if not modules:
            continue
        module = modules[0]
        if module not in registry.MODULES:
            result.ignore(f"{name} cell {i}", f"tag descent:{module} names no exercise module")
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        kept = []
        for line in source.splitlines():
            if _MAGIC_LINE.match(line) or "get_ipython" in line:
                result.ignore(
                    f"{name} cell {i}",
                    f"IPython magic or shell escape dropped: {line.strip()[:60]!r}",
                )
                kept.append("")
                continue
            kept.append(line)
        code.setdefault(module, []).append("\n".join(kept))
    if not code:
        result.ignore(name, "notebook without code cells tagged descent:<module>")
    for module, chunks in code.items():
        _accept(f"{module}.py", "\n\n".join(chunks).encode(), result, files, origin=name)


def _cells(name: str, data: bytes, result: Intake) -> list | None:
    """A notebook's list of cells, or None when it is refused (with the reason): not UTF-8, not
    JSON, no list of cells, or nested deeper than :data:`MAX_NOTEBOOK_DEPTH`. The depth is
    measured before the JSON is parsed (the parser recurses once per level)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        result.refuse(name, "not a readable notebook (not UTF-8 text)")
        return None
    depth = json_depth(text)
    if depth > MAX_NOTEBOOK_DEPTH:
        result.refuse(
            name,
            f"not a readable notebook: its JSON is nested {depth} levels deep "
            f"(more than {MAX_NOTEBOOK_DEPTH})",
        )
        return None
    try:
        cells = json.loads(text)["cells"]
    except (ValueError, KeyError, TypeError, RecursionError, MemoryError):
        cells = None
    if not isinstance(cells, list):
        result.refuse(name, "not a readable notebook (not JSON with a list of cells)")
        return None
    return cells


def json_depth(text: str) -> int:
    """How deep ``text`` nests JSON arrays and objects, in linear time and without recursion:
    strings taken out, each bracket weighed (an opening one 2, a closing one 0), the depth after
    bracket ``i`` is the running sum minus ``i + 1``."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    weights = brackets.encode("ascii").translate(_BRACKET_WEIGHT)
    return max(map(operator.sub, accumulate(weights), range(1, len(weights) + 1)), default=0)


def _accept(name: str, data: bytes, result: Intake, files: dict, origin: str | None = None):
    label = f"{origin}:{name}" if origin else name
    if name in files:
        result.ignore(label, f"{name} was already taken from another source")
        return
    if b"\x00" in data:
        result.refuse(label, "contains NUL bytes: not a Python source file")
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        result.refuse(label, "not UTF-8 text")
        return
    if sum(len(v) for v in files.values()) + len(data) > MAX_TOTAL:
        result.refuse(label, "the submission is too large")
        return
    files[name] = data
    result.taken.append(_safe(label))
    result.sources[name[:-3]] = text


def _write(files: dict, result: Intake, dest_root) -> None:
    root = Path(tempfile.mkdtemp(prefix="descent-sub-", dir=dest_root))
    os.chmod(root, 0o711)
    folder = root / "submission"
    folder.mkdir(mode=0o755)
    for name, data in files.items():
        target = folder / name
        if not target.parent.is_dir():
            target.parent.mkdir(mode=0o755)  # a helper package, one level deep
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    result.folder = str(folder)
