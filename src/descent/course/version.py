"""The grader version: what decides whether a stored grade is still the grade.

A hash of every file under ``graders/`` and ``solutions/`` (names and bytes; caches left out),
the kit's version and the grading options that change points (the ``-k`` selection, the
device). A result recorded under another version is graded again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .. import __version__

_SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".hypothesis", ".descent"}


def grader_version(kit: str | Path, *, selection: str = "", device: str = "cpu") -> str:
    kit = Path(kit)
    digest = hashlib.sha256(f"descent {__version__}\0k={selection}\0device={device}\0".encode())
    for folder in ("graders", "solutions"):
        base = kit / folder
        if not base.is_dir():
            raise FileNotFoundError(f"{base}: the kit's {folder}/ folder is missing")
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(kit)
            if not path.is_file() or _SKIPPED_PARTS & set(rel.parts) or path.suffix == ".pyc":
                continue
            digest.update(str(rel.as_posix()).encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{__version__}+{digest.hexdigest()[:16]}"
