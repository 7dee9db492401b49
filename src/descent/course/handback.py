"""Exports from the class gradebook (``descent export --gradebook GRADEBOOK``).

* ``--format csv``: one row per student, the columns of :func:`descent.export.to_csv`; a student
  whose grading did not complete gets 0 points out of the class maximum.
* ``--format results --out DIR``: ``DIR/<student>.json``, each student's ``descent.results/1``
  document: the folder ``descent gradebook merge --code DIR`` joins with nbgrader's grades.
* ``--format feedback --out DIR``: ``DIR/<student>/report.html`` and ``results.json``, ready to
  hand back. The JSON is the student's view, what the report shows: of the hidden tests only the
  checks that lost points (first line of each message); the grader machine's details
  (confinement probe, paths, worker statistics) are left out.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import export
from . import html_report
from .gradebook import Gradebook, out_of
from .html_report import first_line, lost_checks, notes
from .submissions import file_stem

# Instructor-side fields of a results document that a student does not need.
_PRIVATE_ENVIRONMENT = ("isolation_details", "platform")
_PRIVATE_BLOCK = ("worker_requests", "worker_pipelined", "worker_requests_top", "worker_events")


_SHOWN_TEST = (
    "implementation",
    "exercise",
    "name",
    "outcome",
    "points",
    "max_points",
    "misconception",
)


def student_view(doc: dict) -> dict:
    """What the student's HTML report shows, as JSON: the totals and exercises, and of the
    hidden tests only the checks that lost points, each with the first line of its message
    (never the full list of test ids with their parameters)."""

    doc = json.loads(json.dumps(doc))
    doc["tests"] = [
        {**{k: t.get(k) for k in _SHOWN_TEST}, "message": first_line(t)}
        for t in lost_checks(doc.get("tests", []))
    ]
    for key in _PRIVATE_ENVIRONMENT:
        doc.get("environment", {}).pop(key, None)
    for block in doc.get("implementations", []):
        for key in _PRIVATE_BLOCK:
            block.pop(key, None)
        intake = block.get("intake")
        if intake:
            intake.pop("folder", None)
            intake["source"] = Path(intake.get("source", "")).name
    return doc


def _documents(book) -> list[tuple[dict, dict]]:
    """(row, results document) per student; a placeholder document where grading did not
    complete. Each block carries the grading's ``status`` and its ``note`` (the notes of the
    summary and the HTML report), so every export keeps them."""

    rows = book.current()
    top = out_of(rows)
    out = []
    for row in rows:
        doc = book.results(row["id"]) if row["status"] == "graded" else None
        found = notes(row, doc, status=False)
        if row["status"] != "graded":  # the reason first: what Gradescope's text starts with
            found.insert(0, row["message"])
        if doc is None:
            doc = {
                "schema": "descent.results/1",
                "duration_s": row["duration_s"],
                "devices": [],
                "environment": {},
                "tests": [],
                "implementations": [
                    {
                        "name": row["student"],
                        "kind": "folder",
                        "points": 0.0,
                        "max_points": top,
                        "exercises": [],
                    }
                ],
            }
        doc["implementations"][0].update(status=row["status"], note="; ".join(found))
        out.append((row, doc))
    return out


def to_csv(book) -> str:
    return export.to_csv(doc for _, doc in _documents(book))


def write_results(book, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for row, doc in _documents(book):
        path = folder / f"{row['student']}.json"
        path.write_text(json.dumps(doc, indent=1))
        written.append(path)
    return written


def write_feedback(book, folder: Path) -> list[Path]:

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for row, doc in _documents(book):
        mine = folder / file_stem(row["student"])
        mine.mkdir(exist_ok=True)
        page = html_report.write_student(book, row, mine)
        page.replace(mine / "report.html")
        (mine / "results.json").write_text(json.dumps(student_view(doc), indent=1))
        written.append(mine)
    return written


def run(book_path: str, fmt: str, out: str | None) -> str:
    """Export; returns what to print (the CSV when there is no ``out``, else a summary)."""

    with Gradebook(book_path, writable=False) as book:
        if fmt == "csv":
            text = to_csv(book)
            if out is None:
                return text
            export.write_csv(text, out)
            return f"wrote {out}"
        if out is None:
            raise ValueError(f"--format {fmt} needs --out DIR")
        writer = write_results if fmt == "results" else write_feedback
        written = writer(book, Path(out))
        return f"wrote {len(written)} student(s) to {out}"
