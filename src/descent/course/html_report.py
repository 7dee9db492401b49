"""The per-student HTML report: one self-contained page (styles inline, the capstone's loss
curves as a ``data:`` image), readable offline and safe to hand back.

It shows what the terminal table shows (:mod:`descent.reports.terminal_report`), laid out for reading: the total,
each exercise's points, status and first problem, the named misconceptions with the likely
mistake and hint, and every check that lost points with the first line of its message. Nothing
else of a test's message, no test source, no reference values beyond those lines, no catalogue.
Everything from the submission or the graders is escaped.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from .. import registry, results
from ..reports.terminal_report import _shorten, advice
from ..testwriting import declared as written_tests
from .runner import GRADED
from .submissions import file_stem

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d2430;
background:#f5f6f8}
header{background:#24405f;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:22px} header p{margin:2px 0;opacity:.9}
main{padding:12px 28px 40px;max-width:1100px}
.total{font-size:34px;font-weight:700;margin:8px 0}
table{border-collapse:collapse;width:100%;background:#fff;margin:10px 0 24px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #dde1e6;vertical-align:top;
font-size:14px}
th{background:#e9edf2} td.pts{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.passed{color:#1a7f37;font-weight:600} .partial{color:#9a6700;font-weight:600}
.failed,.error{color:#c62828;font-weight:600} .not_implemented{color:#6b7280}
.tip{color:#7a4d00;font-size:13px} .check{font-family:ui-monospace,monospace;font-size:12px;
color:#374151} .note{background:#fff7e6;border-left:4px solid #d89614;padding:8px 12px;margin:8px 0}
img.curves{max-width:100%;border:1px solid #dde1e6;background:#fff}
figure{margin:12px 0} figcaption{font-size:13px;color:#374151}
"""


@dataclass(frozen=True)
class Score:
    """An assignment's score in the course plan, the report's headline: the final score, with
    the raw score and the late penalty beside it."""

    assignment: str
    raw: float
    penalty: float
    penalty_percent: float
    final: float
    max_points: float


_IMPORT_HANG = re.compile(r"^`import (\w+\.py)` did not return")  # see isolation.connection
_IMPORT_STOPPED = re.compile(r"(\w+\.py) could not be imported: the import did not finish within")
_LABEL = {"not_implemented": "not implemented", "timed_out": "timed out"}
MAX_PICTURES = 12  # a page draws at most this many (each costs matplotlib a tenth of a second)


def page(
    student: str,
    doc: dict[str, Any] | None,
    *,
    images: dict[str, bytes] | None = None,
    status: str = "graded",
    message: str = "",
    notes: list[str] | None = None,
    graded_at: str = "",
    score: Score | None = None,
) -> str:
    """The whole HTML page for one student. With ``score`` (an assignment of the course plan)
    the headline is its final score, raw score and penalty beside it, and the exercise points
    are shown as what the raw score was scaled from."""
    block = (doc or {}).get("implementations", [{}])[0] if doc else {}
    points, most = block.get("points", 0.0), block.get("max_points", 0.0)
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>Descent report: {escape(student)}</title><style>{_CSS}</style></head>"
        f"<body><header><h1>Descent report: {escape(student)}</h1>"
        f"<p>{escape(_when(doc, graded_at))}</p></header><main>"
    ]
    if score is not None:
        parts.append(_headline(score))
    if status != "graded":
        parts.append(
            f"<p class='note'>Grading {escape(_LABEL.get(status, status))}: {escape(message)}</p>"
        )
    for note in notes or []:  # the line above already gives the status and its reason
        if status == "graded" or not message or message not in note:
            parts.append(f"<p class='note'>{escape(note)}</p>")
    if block and score is not None:
        parts.append(
            f"<p>Exercise points: {_num(points)} / {_num(most)}, scaled to the raw score "
            f"{_num(score.raw)} / {_num(score.max_points)}.</p>"
        )
    elif block:
        share = 100 * points / most if most else 0.0
        parts.append(f"<p class='total'>{_num(points)} / {_num(most)} points ({share:.0f}%)</p>")
    if block:
        tests = [t for t in doc.get("tests", []) if t["implementation"] == block["name"]]
        parts.append(_exercises(block, tests))
        parts.append(_lost_checks(block, tests))
        parts.append(_pictures(tests, images or {}))
    if images and "capstone.png" in images:
        data = base64.b64encode(images["capstone.png"]).decode()
        parts.append(
            "<h2>Capstone: your training run</h2><p>Loss per epoch of the classifier "
            "your <code>train_classifier</code> trained during grading.</p>"
            f"<img class='curves' alt='capstone loss curves' "
            f"src='data:image/png;base64,{data}'>"
        )
    parts.append("</main></body></html>")
    return "".join(parts)


def _headline(score: Score) -> str:
    share = 100 * score.final / score.max_points if score.max_points else 0.0
    penalty = (
        f"late penalty &minus;{_num(score.penalty)} ({score.penalty_percent:g}%)"
        if score.penalty_percent
        else "no late penalty"
    )
    return (
        f"<p class='total'>{escape(score.assignment)}: {_num(score.final)} / "
        f"{_num(score.max_points)} points ({share:.0f}%)</p>"
        f"<p>raw score {_num(score.raw)} / {_num(score.max_points)}; {penalty}; final "
        f"{_num(score.final)} / {_num(score.max_points)}</p>"
    )


def _when(doc, graded_at: str) -> str:
    if not doc:
        return f"graded {graded_at}" if graded_at else ""
    env = doc.get("environment", {})
    return (
        f"graded {graded_at or doc.get('started_at', '')}; devices "
        f"{', '.join(doc.get('devices', []))}; torch {env.get('torch', '?')}"
    )


def _num(x: float) -> str:
    return f"{round(x, 2):g}"


def _exercises(block: dict, tests: list[dict]) -> str:
    rows = [
        "<h2>Exercises</h2><table><tr><th>exercise</th><th>points</th><th>status</th>"
        "<th>first problem</th></tr>"
    ]
    for ex in block["exercises"]:
        status = ex["status"]
        problem = escape(_shorten(ex["first_failure"], ex["id"]))
        if ex["misconceptions"]:
            problem += (
                f"<br><span class='tip'>likely: {escape(', '.join(ex['misconceptions']))}</span>"
            )
        if ex["points"] < ex["max_points"]:
            tip = advice([t for t in tests if t["exercise"] == ex["id"]])
            if tip:
                problem += f"<br><span class='tip'>{escape(tip)}</span>"
        rows.append(
            f"<tr><td>{escape(ex['id'])}<br><small>{escape(ex['title'])}</small></td>"
            f"<td class='pts'>{_num(ex['points'])}/{_num(ex['max_points'])}</td>"
            f"<td class='{escape(status)}'>{escape(_LABEL.get(status, status))}</td>"
            f"<td>{problem}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def lost_checks(tests: list[dict]) -> list[dict]:
    """The checks the report lists: those that counted and lost points."""
    return [t for t in tests if t["counted"] and t["points"] < t["max_points"]]


def first_line(test: dict) -> str:
    """What the report shows of a check's message."""
    return test["message"].splitlines()[0] if test["message"] else test["outcome"]


def shown_check(test: dict) -> dict:
    """A check as a student's report shows it. A write-the-tests check's id names a version of
    the course's hidden set and its weight tells how much that mistake counts: both are left
    out (the name says which kind of check, the message which mistake, in words)."""
    if not results.written_check(test["name"]):
        return test
    return {**test, "name": results.shown_name(test["name"]), "points": None, "max_points": None}


def _lost_checks(block: dict, tests: list[dict]) -> str:
    lost = [shown_check(t) for t in lost_checks(tests)]
    if not lost:
        return "<p class='passed'>Every check passed.</p>"
    rows = [
        "<h2>Checks that lost points</h2><table><tr><th>exercise</th><th>check</th>"
        "<th>points</th><th>what was found</th></tr>"
    ]
    for t in lost:
        first = first_line(t)
        points = "" if t["points"] is None else f"{_num(t['points'])}/{_num(t['max_points'])}"
        rows.append(
            f"<tr><td>{escape(t['exercise'])}</td><td class='check'>{escape(t['name'])}"
            f"</td><td class='pts'>{points}</td><td>{escape(first)}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _pictures(tests: list[dict], images: dict[str, bytes]) -> str:
    """The pictures of the lost checks that carry one (:mod:`descent.grading.pictures` decides
    what a hidden check's may show), as ``data:`` images: those the grading drew (``images``,
    by :func:`descent.reports.pictures.stored_name`), the others drawn now; empty without
    them and without matplotlib."""
    from ..reports import pictures  # start-up: only a page with pictures draws

    lost = {id(t) for t in lost_checks(tests)}
    shown = [(n, t) for n, t in enumerate(pictures.pictured(tests), 1) if id(t) in lost]
    figures = []
    for n, test in shown[:MAX_PICTURES]:
        data = images.get(pictures.stored_name(n)) or pictures.png(
            test["picture"], pictures.title(test)
        )
        if data is None:
            return ""
        figures.append(
            f"<figure><img class='curves picture' alt='{escape(pictures.title(test))}' "
            f"src='data:image/png;base64,{base64.b64encode(data).decode()}'>"
            f"<figcaption>{escape(first_line(test))}</figcaption></figure>"
        )
    if not figures:
        return ""
    more = len(shown) - len(figures)
    return (
        "<h2>Pictures of the checks that lost points</h2><p>Your values in orange, the expected "
        "ones in blue, the positions that differ shaded. A hidden check shows the expected "
        "value only where its message names it. A loss curve that a public check hands to "
        "your code is drawn as it is, its NaN or infinite epochs marked.</p>"
        + "".join(figures)
        + (f"<p>{more} more in the results folder.</p>" if more > 0 else "")
    )


def notes(row: dict, doc: dict | None, *, status: bool = True) -> list[str]:
    """What an instructor should know about one student's current submission (``status``:
    with the reason a grading did not complete, as the first note)."""
    out = []
    if status and row["status"] != GRADED:
        out.append(f"{row['status'].replace('_', ' ')}: {row['message']}")
    if row["superseded"]:
        out.append(
            f"newest of {len(row['superseded']) + 1} submissions graded "
            f"({Path(row['source']).name}); not graded: {', '.join(row['superseded'])}"
        )
    if not row.get("present", True):
        out.append(
            "not in the submissions folder of the last batch (removed after it was "
            "graded, or graded from another folder): this is its last grading"
        )
    intake = ((doc or {}).get("implementations") or [{}])[0].get("intake") or {}
    taken = [name.rsplit(":", 1)[-1] for name in intake.get("taken", [])]
    # a write-the-tests file is read by its own grader (intake leaves it out of the modules)
    tests = bool(intake.get("tests")) or any(
        isinstance(i, dict) and written_tests.by_file(Path(str(i.get("path", ""))).name)
        for i in intake.get("ignored", [])
    )
    if (
        doc
        and not tests
        and not any(name.removesuffix(".py") in registry.MODULES for name in taken)
    ):
        misnamed = (
            f" ({', '.join(taken[:3])}: not named after one, e.g. losses.py)" if taken else ""
        )
        out.append(f"no exercise modules found in the submission{misnamed}")
    for item in intake.get("refused", [])[:3]:
        out.append(f"refused {item['path']}: {item['reason']}")
    events: dict[str, int] = {}
    hung = set()
    for event in ((doc or {}).get("implementations") or [{}])[0].get("worker_events", []):
        events[event.get("kind", "event")] = events.get(event.get("kind", "event"), 0) + 1
        match = _IMPORT_HANG.match(str(event.get("message", "")))
        if match and event.get("kind") == "timeout":
            hung.add(match.group(1))
    for exercise in ((doc or {}).get("implementations") or [{}])[0].get("exercises", []):
        # an import the worker stopped itself (at the call limit, its line named)
        match = _IMPORT_STOPPED.search(str(exercise.get("first_failure") or ""))
        if match:
            hung.add(match.group(1))
    if hung:
        out.append(
            f"the import of {', '.join(sorted(hung))} never finished (an endless loop at "
            f"import time?): its exercises score 0, the other modules were graded"
        )
    if events:
        counted = ", ".join(f"{kind} x{n}" for kind, n in sorted(events.items()))
        out.append(f"worker events: {counted}")
    return out


def write_student(book, row: dict, folder: Path, *, score: Score | None = None) -> Path:
    """Write one student's report as ``folder/<file stem>.html``; returns its path."""
    doc = book.results(row["id"])
    text = page(
        row["student"],
        doc,
        images=book.images(row["id"]),
        status=row["status"],
        message=row["message"],
        notes=notes(row, doc),
        graded_at=row["graded_at"],
        score=score,
    )
    path = folder / f"{file_stem(row['student'])}.html"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def write_all(book, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [write_student(book, row, folder) for row in book.current()]


def write_for_grade(doc: dict, results_dir: Path, target: Path) -> list[Path]:
    """``descent grade --html FILE``: one page per graded implementation (``FILE`` itself when
    there is one, else ``FILE``'s stem plus the implementation's name), with the capstone's
    loss curves that the graders wrote next to the results and the pictures drawn there."""
    from ..reports.pictures import read_beside  # start-up: only for --html

    blocks = doc["implementations"]
    written = []
    for block in blocks:
        single = {
            **doc,
            "implementations": [block],
            "tests": [t for t in doc["tests"] if t["implementation"] == block["name"]],
        }
        png = results_dir / f"capstone_{re.sub(r'[^A-Za-z0-9_.-]+', '_', block['name'])}.png"
        images = {"capstone.png": png.read_bytes()} if png.is_file() else {}
        images.update(read_beside(results_dir, block["name"]))  # drawn already, not again
        path = (
            target
            if len(blocks) == 1
            else target.with_name(
                f"{target.stem}-{file_stem(block['name'])}{target.suffix or '.html'}"
            )
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page(block["name"], single, images=images), encoding="utf-8")
        written.append(path)
    return written
