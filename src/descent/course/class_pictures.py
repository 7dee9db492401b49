"""Pictures of the mistakes a class makes most, for ``descent report --class`` and the class
summary of ``descent batch``.

A mistake is common when the failed checks of at least :data:`COMMON` students name it (their
``misconception``) and carry a picture (:mod:`descent.grading.pictures`: a schedule, norms,
batches, draws). Each common mistake is drawn once, from the first such check of the first
student in the gradebook's order, as ``mistake_<exercise>_<name>.png``; the title names the
mistake and how many students made it, never the student drawn. The record is the one that
student's report shows, so a hidden check's picture holds what its message holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..reports import pictures

COMMON = 2  # students
MOST = 6  # pictures per class report


@dataclass
class Common:
    exercise: str
    mistake: str
    students: int
    test: dict  # one student's failed check with its picture


def common(book, rows: list[dict]) -> list[Common]:
    """The common pictured mistakes of ``rows`` (gradebook rows), most students first."""
    found: dict[tuple[str, str], Common] = {}
    for row in rows:
        doc = book.results(row["id"]) or {}
        seen = set()
        for test in pictures.pictured(doc.get("tests", [])):
            mistake = test.get("misconception")
            key = (str(test["exercise"]), str(mistake))
            if mistake is None or key in seen:
                continue
            seen.add(key)
            entry = found.setdefault(key, Common(*key, 0, test))
            entry.students += 1
    ranked = sorted(found.values(), key=lambda c: (-c.students, c.exercise, c.mistake))
    return [c for c in ranked if c.students >= COMMON][:MOST]


def write(found: list[Common], folder: Path) -> list[Path]:
    """One PNG per common mistake in ``folder``; none without matplotlib."""
    written = []
    for entry in found:
        heading = (
            f"{entry.exercise}: {entry.mistake} ({entry.students} students; one of them shown)"
        )
        data = pictures.png(entry.test["picture"], heading)
        if data is None:
            break
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"mistake_{entry.exercise}_{entry.mistake}")
        path = Path(folder) / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written
