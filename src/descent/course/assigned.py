"""``descent batch SUBMISSIONS --assignment ID``: grade one assignment of the plan, late work
included.

The batch itself is the ordinary one (:mod:`.batch`) restricted to the assignment's exercises
(a ``-k`` selection, so its grader version, and so its gradings, are its own). Afterwards each
student's grading is settled: points scaled to the assignment's total, the submission time
(:mod:`.lateness`), the late policy and any extension applied, and the row stored in the
gradebook's ``assignment_grades`` (:mod:`.assignbook`). Then the table (raw, penalty and why,
final) and one HTML report per student under ``OUT/reports/<assignment>/``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import assignbook, batch, lateness, submissions
from .assignbook import Grade
from .coursegrade import read_roster
from .gradebook import Gradebook, GradebookError
from .html_report import notes, page
from .plan import Item, Plan
from .version import grader_version


def selection(item: Item, extra: str = "") -> str:
    return f"({item.selection}) and ({extra})" if extra else item.selection


def scaled(points: float, most: float, item: Item) -> float:
    """Exercise points scaled to the assignment's total."""
    return round(points / most * item.points, 4) if most else 0.0


def run(opts, plan: Plan, item: Item, kit: Path, console: Console) -> int:

    manifest = lateness.read_manifest(opts.submissions, plan.timezone)  # fail before grading
    extensions = lateness.read_extensions(plan.extensions, plan)
    reports = opts.reports  # the assignment's own reports (below) replace the batch's
    opts = replace(opts, selection=selection(item, opts.selection), reports=False)
    console.print(
        f"assignment {escape(item.id)}: {escape(item.title)} ({len(item.exercises)} "
        f"exercises, {item.points:g} points, due {_local(item.due, plan)})"
    )
    code = batch.run(opts, kit, console)
    if code in (2, 130):
        return code
    listing = submissions.discover(opts.submissions)
    version = grader_version(kit, selection=opts.selection, device=opts.device)
    try:
        with Gradebook(opts.book_path) as book:
            grades = settle(
                book, plan, item, listing, version, opts.submissions, manifest, extensions
            )
            assignbook.write(book, grades)
            show(grades, plan, item, console, roster_ids(plan))
            if reports:
                folder = write_reports(book, grades, item, opts.out / "reports" / item.id)
                console.print(f"HTML reports: {folder}")
    except GradebookError as exc:
        console.print(f"[red]descent batch: {escape(str(exc))}[/red]")
        return 2
    return code


def settle(
    book: Gradebook,
    plan: Plan,
    item: Item,
    listing,
    version: str,
    folder: Path,
    manifest: dict,
    extensions: dict,
) -> list[Grade]:
    """One :class:`Grade` per student of ``listing`` graded with ``version``."""
    assignbook.ensure(book)
    out = []
    for entry in listing.entries:
        digest = submissions.content_hash(entry.path)
        row = book.db.execute(
            "SELECT id, status, points, max_points FROM submissions WHERE student = ? AND "
            "content_hash = ? AND grader_version = ?",
            (entry.student, digest, version),
        ).fetchone()
        if row is None:  # not graded this run (interrupted): nothing to settle
            continue
        sid, status, points, most = row
        kept = assignbook.recorded_time(book, entry.student, item.id, digest)
        if kept:
            when = lateness.Submitted(datetime.fromisoformat(kept[0]), kept[1])
        else:
            when = lateness.submitted(
                entry.student, entry.path, folder, entry.modified, manifest, plan.timezone
            )
        out.append(
            grade(
                item,
                entry.student,
                sid,
                digest,
                status,
                points,
                most,
                when,
                extensions.get((entry.student, item.id)),
            )
        )
    return out


def grade(
    item: Item,
    student: str,
    sid,
    digest: str,
    status: str,
    points: float,
    most: float,
    when: lateness.Submitted,
    extension: lateness.Extension | None,
) -> Grade:
    raw = scaled(points, most, item) if status == "graded" else 0.0
    late = lateness.penalty(item.late, item.due, when.at, extension)
    taken = round(raw * late.percent / 100, 4)
    reason = late.reason
    if extension and not reason:
        reason = f"on time (extension to {extension.due.isoformat()})"
    ext = (
        f"{extension.due.isoformat()}{': ' + extension.reason if extension.reason else ''}"
        if extension
        else ""
    )
    return Grade(
        student,
        item.id,
        sid,
        digest,
        when.at.isoformat(),
        when.source,
        status,
        raw,
        item.points,
        late.percent,
        taken,
        reason,
        round(raw - taken, 4),
        ext,
    )


def roster_ids(plan: Plan) -> list[str]:

    return list(read_roster(plan.roster))


def _local(moment: datetime | None, plan: Plan) -> str:
    return moment.astimezone(plan.timezone).strftime("%Y-%m-%d %H:%M %Z") if moment else "-"


def _num(x: float) -> str:
    return f"{round(x, 2):g}"


def show(
    grades: list[Grade], plan: Plan, item: Item, console: Console, roster: list[str] = ()
) -> None:
    table = Table(
        title=f"{item.id}: {item.title} (due {_local(item.due, plan)})", title_justify="left"
    )
    for column in ("student", "submitted", "raw", "penalty", "why", "final"):
        table.add_column(
            column,
            overflow="fold",
            justify="right" if column in ("raw", "penalty", "final") else "left",
        )
    by_student = {g.student: g for g in grades}
    for g in grades:
        when = _local(datetime.fromisoformat(g.submitted_at), plan)
        style = "yellow" if g.time_source.startswith(lateness.MTIME) else "dim"
        when += f" [{style}]({escape(g.time_source)})[/{style}]"
        penalty = f"-{_num(g.penalty)} ({g.penalty_percent:g}%)" if g.penalty_percent else "0"
        why = g.reason if g.status == "graded" else f"{g.status}; {g.reason}".strip("; ")
        table.add_row(
            escape(g.student),
            when,
            f"{_num(g.raw)}/{_num(g.max_points)}",
            penalty,
            escape(why),
            f"{_num(g.final)}/{_num(g.max_points)}",
        )
    for student in roster:
        if student not in by_student:
            table.add_row(escape(student), "[red]missing[/red]", "-", "-", "no submission", "-")
    console.print(table)


def notes_for(g: Grade) -> list[str]:
    """The lines a student's report shows about the assignment's score and lateness."""
    lines = [
        f"Assignment {g.assignment}: raw score {_num(g.raw)}/{_num(g.max_points)}; "
        f"late penalty {_num(g.penalty)} ({g.penalty_percent:g}%)"
        f"{': ' + g.reason if g.reason else ''}; final {_num(g.final)}/"
        f"{_num(g.max_points)}.",
        f"Submitted {g.submitted_at} ({g.time_source}).",
    ]
    if g.extension:
        lines.append(f"Extension: {g.extension}.")
    return lines


def write_reports(book: Gradebook, grades: list[Grade], item: Item, folder: Path) -> Path:

    folder.mkdir(parents=True, exist_ok=True)
    for g in grades:
        row = book.db.execute(
            "SELECT status, message, graded_at, superseded, source FROM submissions WHERE id = ?",
            (g.submission,),
        ).fetchone()
        if row is None:
            continue
        doc = book.results(g.submission)
        info = dict(status=row[0], message=row[1], superseded=json.loads(row[3]), source=row[4])
        text = page(
            g.student,
            doc,
            images=book.images(g.submission),
            status=row[0],
            message=row[1],
            notes=notes_for(g) + notes(info, doc),
            graded_at=row[2],
        )
        path = folder / f"{submissions.file_stem(g.student)}.html"
        path.write_text(text, encoding="utf-8")
    return folder
