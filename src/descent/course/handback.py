"""Exports from the class gradebook (``descent export --gradebook GRADEBOOK``).

* ``--format csv``: one row per student, the columns of :func:`descent.reports.export.to_csv`; a student
  whose grading did not complete gets 0 points out of the class maximum.
* ``--format results --out DIR``: ``DIR/<student>.json``, each student's ``descent.results/1``
  document: the folder ``descent gradebook merge --code DIR`` joins with nbgrader's grades.
* ``--format feedback --out DIR``: ``DIR/<student>/report.html`` and ``results.json``, ready to
  hand back. The JSON is the student's view, what the report shows: of the hidden tests only the
  checks that lost points (first line of each message); the grader machine's details
  (confinement probe, paths, worker statistics) are left out.

Without ``assignment`` each student's newest grading is exported, whichever assignment it was;
with ``assignment`` (an assignment of the course plan) the gradings its rows came from, each
with its settled score (raw, late penalty, final) in the CSV, the JSON and the report's
headline.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..reports import export
from . import assignbook, html_report
from .gradebook import Gradebook, out_of
from .html_report import first_line, lost_checks, notes, shown_check
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
    (never the full list of test ids with their parameters; a write-the-tests check without
    the id and weight of the hidden version it names: :func:`html_report.shown_check`)."""

    doc = json.loads(json.dumps(doc))
    doc["tests"] = [
        {**{k: t.get(k) for k in _SHOWN_TEST}, "message": first_line(t)}
        for t in map(shown_check, lost_checks(doc.get("tests", [])))
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


def _rows(book, assignment: str | None) -> list[dict]:
    if assignment is None:
        return book.current()
    rows = assignbook.gradings(book, assignment)
    if not rows:
        raise ValueError(f"no grade of assignment {assignment!r} in this gradebook")
    return rows


def _documents(book, rows: list[dict]) -> list[tuple[dict, dict]]:
    """(row, results document) per student; a placeholder document where grading did not
    complete. Each block carries the grading's ``status`` and its ``note`` (the notes of the
    summary and the HTML report), and an assignment's settled score, so every export keeps
    them."""

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
        grade = row.get("grade")
        if grade is not None:
            found.insert(0, _settled(grade))
            doc["implementations"][0].update(
                raw=grade.raw, penalty=grade.penalty, final=grade.final
            )
        doc["implementations"][0].update(status=row["status"], note="; ".join(found))
        out.append((row, doc))
    return out


def _settled(grade) -> str:
    text = f"{grade.assignment}: final {grade.final:g}/{grade.max_points:g}"
    return text + (f" ({grade.reason})" if grade.reason else "")


def _score(row: dict) -> html_report.Score | None:
    g = row.get("grade")
    if g is None:
        return None
    return html_report.Score(
        g.assignment, g.raw, g.penalty, g.penalty_percent, g.final, g.max_points
    )


def to_csv(book, rows: list[dict] | None = None) -> str:
    return export.to_csv(doc for _, doc in _documents(book, _or_current(book, rows)))


def _or_current(book, rows: list[dict] | None) -> list[dict]:
    return book.current() if rows is None else rows


def write_results(book, folder: Path, rows: list[dict] | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for row, doc in _documents(book, _or_current(book, rows)):
        path = folder / f"{row['student']}.json"
        path.write_text(json.dumps(doc, indent=1))
        written.append(path)
    return written


def write_feedback(book, folder: Path, rows: list[dict] | None = None) -> list[Path]:

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for row, doc in _documents(book, _or_current(book, rows)):
        mine = folder / file_stem(row["student"])
        mine.mkdir(exist_ok=True)
        page = html_report.write_student(book, row, mine, score=_score(row))
        page.replace(mine / "report.html")
        (mine / "results.json").write_text(json.dumps(student_view(doc), indent=1))
        written.append(mine)
    return written


def run(book_path: str, fmt: str, out: str | None, assignment: str | None = None) -> str:
    """Export (of one assignment of the plan, or each student's newest grading); returns what
    to print (the CSV when there is no ``out``, else a summary)."""

    with Gradebook(book_path, writable=False) as book:
        rows = _rows(book, assignment)
        if fmt == "csv":
            text = to_csv(book, rows)
            if out is None:
                return text
            export.write_csv(text, out)
            return f"wrote {out}"
        if out is None:
            raise ValueError(f"--format {fmt} needs --out DIR")
        writer = write_results if fmt == "results" else write_feedback
        written = writer(book, Path(out), rows)
        return f"wrote {len(written)} student(s) to {out}"
