"""``descent batch SUBMISSIONS --assignment ID``: grade one assignment of the plan, late work
included.

The batch itself is the ordinary one (:mod:`.batch`) restricted to the assignment's exercises
(a ``-k`` selection, so its grader version, and so its gradings, are its own). Afterwards each
student's grading is settled: points scaled to the assignment's total, the submission time from
the plan's source (:mod:`.lateness`; a time set by hand beats it), the late policy and any
extension applied, and the row stored in the gradebook's ``assignment_grades``
(:mod:`.assignbook`) with the hash of the plan. Then the table (raw, penalty and why, final) and
one HTML report per student under ``OUT/reports/<assignment>/``.

Every run settles every student of the folder again from the records as they are now (the
manifest, the extensions, the times set by hand), without grading again what was graded; only
a time read from the files themselves (``time_source = "file"``) keeps the first one recorded
for the same content, since copying files changes it and new graders must never make work late.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .. import registry
from . import assignbook, batch, lateness, nbrecords, submissions
from .assignbook import Grade
from .coursegrade import running
from .gradebook import Gradebook, GradebookError
from .html_report import Score, notes, page
from .plan import Item, Plan
from .roster import not_on_roster, read_roster
from .version import grader_version


def selection(item: Item, extra: str = "") -> str:
    return f"({item.selection}) and ({extra})" if extra else item.selection


def scaled(points: float, most: float, item: Item) -> float:
    """Exercise points scaled to the assignment's total."""
    return round(points / most * item.points, 4) if most else 0.0


def run(
    opts, plan: Plan, item: Item, kit: Path, console: Console, *, replace_plan: bool = False
) -> int:
    """Grade ``item`` for the class of ``opts.submissions`` and settle every student. Refuses
    (exit 2, before grading) when the gradebook holds rows of ``item`` settled with another
    plan, unless ``replace_plan``."""
    roster = read_roster(plan.roster)  # before grading: a roster naming anyone twice stops it
    manifest = (  # read before grading: a manifest without its columns stops the batch
        lateness.read_manifest(opts.submissions, plan.timezone)
        if item.time_source == "manifest"
        else {}
    )
    extensions = lateness.read_extensions(plan.extensions, plan, set(roster))
    stamps = stamp_zone(plan) if item.time_source == "nbgrader" else None
    conflict = None if replace_plan else _plan_conflict(opts.book_path, plan, item)
    if conflict:
        console.print(f"[red]descent batch: {escape(conflict)}[/red]")
        return 2
    if item.time_source == "manifest" and not manifest:
        console.print(
            f"[yellow]the plan reads {item.id}'s submission times from "
            f"{lateness.MANIFEST_NAME}, and {escape(str(opts.submissions))} has none: every "
            f"time will be unknown (no penalty) until set[/yellow]"
        )
    reports = opts.reports  # the assignment's own reports (below) replace the batch's
    opts = replace(opts, selection=selection(item, opts.selection), reports=False)
    console.print(
        f"assignment {escape(item.id)}: {escape(item.title)} ({len(item.exercises)} "
        f"exercises, {item.points:g} points, due {lateness.local(item.due, plan.timezone)}; "
        f"submission times from {item.time_source})"
    )
    code = batch.run(opts, kit, console)
    if code in (2, 130):
        return code
    listing = submissions.discover(opts.submissions)
    version = grader_version(kit, selection=opts.selection, device=opts.device)
    try:
        with Gradebook(opts.book_path) as book:
            records = Records(manifest, extensions, assignbook.overrides(book), stamps)
            grades = settle(book, plan, item, listing, version, opts.submissions, records)
            assignbook.write(book, grades)
            people = Class(roster, extensions, assignbook.dropped(book))
            show(grades, plan, item, console, people)
            for line in _manifest_strays(manifest, listing, opts.submissions):
                console.print(f"[yellow]{escape(line)}[/yellow]")
            if reports:
                folder = write_reports(book, grades, plan, opts.out / "reports" / item.id)
                console.print(f"HTML reports: {folder}")
    except GradebookError as exc:
        console.print(f"[red]descent batch: {escape(str(exc))}[/red]")
        return 2
    return code


def _manifest_strays(manifest: dict, listing, folder: Path) -> list[str]:
    """A line naming the manifest's rows that name no submission of ``folder`` (a typo, or work
    that never came in): their time settles nobody."""
    strays = lateness.strays(manifest, listing.students)
    if not strays:
        return []
    return [
        f"{lateness.MANIFEST_NAME} names {len(strays)} student(s) with no submission in "
        f"{folder}: {', '.join(strays)}; their rows settle nobody (a typo in the manifest or the "
        f"entry's name?)"
    ]


def _plan_conflict(book_path: Path, plan: Plan, item: Item) -> str | None:
    if not Path(book_path).is_file():
        return None
    try:
        with Gradebook(book_path, writable=False) as book:
            others = assignbook.other_plans(book, item.id, plan.digest)
    except GradebookError:
        return None  # the batch itself reports a gradebook it cannot use
    if not others:
        return None
    return (
        f"the {item.id} rows of {book_path} were settled with another course plan (SHA-256 "
        f"{', '.join(h[:12] for h in others)}); this run uses {plan.path} ({plan.short_digest}). "
        f"Pass that plan with --plan, or --replace-plan to settle them again with this one"
    )


def stamp_zone(plan: Plan):
    """The zone nbgrader's ``timestamp.txt`` of a code assignment is read in: nbgrader's own
    ``Exchange.timezone`` where the plan names an nbgrader course whose configuration sets a
    zone nbgrader can use, else the course's."""
    if plan.nbgrader_course is None or not (plan.nbgrader_course / "nbgrader_config.py").is_file():
        return plan.timezone
    records = nbrecords.Records(plan.nbgrader_course)
    return records.zone if not records.problem else plan.timezone


class Records:
    """What settles a submission besides its grading: the manifest, the extensions, the times
    set by hand, and the zone nbgrader's time stamps are read in."""

    def __init__(self, manifest: dict, extensions: dict, overrides: dict, stamps=None):
        self.manifest, self.extensions, self.overrides = manifest, extensions, overrides
        self.stamps = stamps


class Class:
    """Who the table lists besides the graded entries: the roster, with each student's
    extension, and the entries the instructor dropped."""

    def __init__(self, roster: dict, extensions: dict, dropped: dict):
        self.roster, self.extensions, self.dropped = roster, extensions, dropped


def settle(
    book: Gradebook,
    plan: Plan,
    item: Item,
    listing,
    version: str,
    folder: Path,
    records: Records,
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
        source = _from_source(book, plan, item, entry, digest, folder, records)
        manual = records.overrides.get((entry.student, item.id))
        when = by_hand(manual) if manual and manual.holds_for(digest) else source
        g = grade(
            item,
            entry.student,
            sid,
            digest,
            status,
            points,
            most,
            when,
            records.extensions.get((entry.student, item.id)),
            plan,
            source=source,
        )
        lapsed = manual.lapsed() if manual and not manual.holds_for(digest) else ""
        g.note = "; ".join(n for n in (foreign_modules(entry, item, plan), lapsed) if n)
        out.append(g)
    return out + held(book, plan, item, listing, version)


def held(book: Gradebook, plan: Plan, item: Item, listing, version: str) -> list[Grade]:
    """A row that needs attention for each student the batch held (two entries for one student,
    a link, an unreadable entry), naming why: with no row at all the student would read as
    missing, a silent 0."""
    out = []
    for student, reasons in sorted(listing.held.items()):
        row = book.db.execute(
            "SELECT id, content_hash FROM submissions WHERE student = ? AND grader_version = ? "
            "AND content_hash LIKE 'held:%' ORDER BY id DESC",
            (student, version),
        ).fetchone()
        if row is None:  # not recorded by this run's batch (interrupted): nothing to settle
            continue
        when = lateness.unknown("held: not graded")
        g = grade(item, student, row[0], row[1], "failed", 0.0, 0.0, when, None, plan)
        g.note = "held, not graded until resolved: " + "; ".join(reasons)
        out.append(g)
    return out


def _from_source(
    book, plan: Plan, item: Item, entry, digest: str, folder: Path, records: Records
) -> lateness.Submitted:
    """The time the plan's source gives (a time set by hand aside)."""
    if item.time_source == "file":
        kept = assignbook.recorded_time(book, entry.student, item.id, digest)
        if kept and kept[1].startswith(lateness.FILE):
            return lateness.Submitted(datetime.fromisoformat(kept[0]), kept[1])
    return lateness.submitted(
        item.time_source,
        entry.student,
        entry_root(entry.path, folder),
        entry.path,
        entry.modified,
        records.manifest,
        plan.timezone,
        stamps=records.stamps,
    )


def by_hand(override: assignbook.Override) -> lateness.Submitted:
    return lateness.Submitted(
        datetime.fromisoformat(override.submitted_at),
        f"{lateness.SET_BY_HAND}: {override.why}",
    )


def entry_root(graded: Path, folder: Path) -> Path:
    """The student's entry in the submissions folder that holds ``graded``."""
    graded, top = Path(graded), Path(folder).resolve()
    while graded.parent.resolve() != top and graded.parent != graded:
        graded = graded.parent
    return graded


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
    plan: Plan,
    *,
    source: lateness.Submitted | None = None,
) -> Grade:
    """The settled row; ``source`` is what the plan's source said when ``when`` is a time set
    by hand (default: ``when`` itself)."""
    raw = scaled(points, most, item) if status == "graded" else 0.0
    settled = lateness.settle(item, raw, when, extension, plan.timezone)
    source = source or when
    return Grade(
        student,
        item.id,
        sid,
        digest,
        when.at.isoformat() if when.at else "",
        when.source,
        status,
        raw,
        item.points,
        settled.penalty_percent,
        settled.penalty,
        settled.reason,
        settled.final,
        _extension_text(extension, plan),
        plan_hash=plan.digest,
        source_at=source.at.isoformat() if source.at else "",
        source=source.source,
    )


def _extension_text(extension: lateness.Extension | None, plan: Plan) -> str:
    if extension is None:
        return ""
    what = "excused" if extension.excused else lateness.local(extension.due, plan.timezone)
    return f"{what}{': ' + extension.reason if extension.reason else ''}"


def resettle(book: Gradebook, plan: Plan, item: Item, student: str) -> Grade | None:
    """Settle ``student``'s recorded row of ``item`` again from its raw score, with the time set
    by hand (if it holds for the recorded submission) else the source's own time, and the
    extensions as they are now (``descent course set-time``); None without a row. The
    student's HTML report, where the batch wrote one, is written again."""
    rows = assignbook.read(book, item.id, with_dropped=True)
    old = next((g for g in rows if g.student == student), None)
    if old is None:
        return None
    manual = assignbook.overrides(book).get((student, item.id))
    source = _recorded_source(old)
    when = by_hand(manual) if manual and manual.holds_for(old.content_hash) else source
    extensions = lateness.read_extensions(plan.extensions, plan, set(read_roster(plan.roster)))
    extension = extensions.get((student, item.id))
    settled = lateness.settle(item, old.raw, when, extension, plan.timezone)
    new = replace(
        old,
        submitted_at=when.at.isoformat() if when.at else "",
        time_source=when.source,
        penalty_percent=settled.penalty_percent,
        penalty=settled.penalty,
        reason=settled.reason,
        final=settled.final,
        extension=_extension_text(extension, plan),
        plan_hash=plan.digest,
        source_at=source.at.isoformat() if source.at else "",
        source=source.source,
    )
    assignbook.write(book, [new])
    folder = assignbook.report_folder(book, item.id)
    if folder and Path(folder).is_dir():
        write_reports(book, [new], plan, Path(folder))
    return new


def _recorded_source(row: Grade) -> lateness.Submitted:
    """What the plan's source said for the row's submission."""
    at, source = (row.source_at, row.source) if row.source else (row.submitted_at, row.time_source)
    if source.startswith(lateness.SET_BY_HAND):  # a row of an earlier version: not kept
        return lateness.unknown("the time set by hand was unset: run the batch again to read it")
    return lateness.Submitted(datetime.fromisoformat(at) if at else None, source)


def foreign_modules(entry, item: Item, plan: Plan) -> str:
    """A note when the entry holds none of ``item``'s modules but another assignment's (a1's
    files handed in as a2): the student would otherwise get a silent 0."""
    present = _modules_in(entry)
    if not present or not item.modules or present & set(item.modules):
        return ""
    owners = []
    for module in sorted(present):
        ids = [i.id for i in plan.code if module in i.modules]
        owners.append(f"{module}.py ({', '.join(ids) or 'no assignment'})")
    return (
        f"none of {item.id}'s modules ({', '.join(m + '.py' for m in item.modules)}) was "
        f"handed in; the entry holds {', '.join(owners)}: another assignment's work?"
    )


def _modules_in(entry) -> set[str]:
    names: list[str] = []
    path = Path(entry.path)
    try:
        if path.is_dir():
            names = [p.name for p in path.iterdir()]
        elif path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                names = [n.rsplit("/", 1)[-1] for n in archive.namelist() if n.count("/") <= 1]
        elif path.suffix.lower() == ".py":
            names = [path.name]
    except (OSError, zipfile.BadZipFile, ValueError):
        return set()
    return {n[:-3] for n in names if n.endswith(".py") and n[:-3] in registry.MODULES}


def _num(x: float) -> str:
    return f"{round(x, 2):g}"


def show(
    grades: list[Grade],
    plan: Plan,
    item: Item,
    console: Console,
    people: Class | None = None,
    at: datetime | None = None,
) -> None:
    """The assignment's table (as of ``at``, default now): the graded entries, then each roster
    student without one, *excused*, *extension running (until ...)*, *not due yet* or
    *missing*; then what needs the instructor."""
    table = Table(
        title=f"{item.id}: {item.title} (due {lateness.local(item.due, plan.timezone)})",
        title_justify="left",
    )
    for column in ("student", "submitted", "raw", "penalty", "why", "final"):
        table.add_column(
            column,
            overflow="fold",
            justify="right" if column in ("raw", "penalty", "final") else "left",
        )
    people = people or Class({}, {}, {})
    by_student = {g.student: g for g in grades}
    for g in grades:
        gone = people.dropped.get((g.student, item.id))
        flag = not_on_roster(people.roster, g.student)
        if gone is not None:
            table.add_row(escape(g.student), "[dim]dropped[/dim]", "-", "-", escape(gone), "-")
            continue
        table.add_row(
            escape(g.student),
            _submitted_cell(g, plan),
            f"{_num(g.raw)}/{_num(g.max_points)}",
            f"-{_num(g.penalty)} ({g.penalty_percent:g}%)" if g.penalty_percent else "0",
            escape("; ".join(p for p in (why(g), flag) if p)),
            f"{_num(g.final)}/{_num(g.max_points)}",
        )
    now = at or datetime.now().astimezone()
    for student in people.roster:
        if student not in by_student:
            extension = people.extensions.get((student, item.id))
            due = lateness.due_for(item, extension)
            if extension and extension.excused:
                label = "excused"
            elif due is not None and lateness.elapsed(now, due).total_seconds() <= 0:
                label = running(item, extension, now, plan) or "not due yet"
            else:
                label = "[red]missing[/red]"
            table.add_row(escape(student), label, "-", "-", "no submission", "-")
    console.print(table)
    strangers = [
        g.student
        for g in grades
        if not_on_roster(people.roster, g.student) and (g.student, item.id) not in people.dropped
    ]
    for line in attention(grades) + _strangers(strangers, item):
        console.print(f"[yellow]{escape(line)}[/yellow]")


def _strangers(students: list[str], item: Item) -> list[str]:
    if not students:
        return []
    return [
        f"not on the roster (kept out of the LMS files): {', '.join(students)}; add them to the "
        f"roster, or `descent course drop STUDENT {item.id} --reason TEXT`"
    ]


def _submitted_cell(g: Grade, plan: Plan) -> str:
    if not g.submitted_at:
        return "[yellow]time unknown[/yellow]"
    when = lateness.local(datetime.fromisoformat(g.submitted_at), plan.timezone)
    style = "yellow" if g.time_source.startswith(lateness.FILE) else "dim"
    return f"{when} [{style}]({escape(g.time_source)})[/{style}]"


def why(g: Grade) -> str:
    """The row's explanation: the status of a grading that did not complete, the late rule, the
    note."""
    parts = [] if g.status == "graded" else [f"{g.status.replace('_', ' ')}: needs attention"]
    parts += [p for p in (g.reason, g.note) if p]
    return "; ".join(parts)


def attention(grades: list[Grade]) -> list[str]:
    """What the instructor must still settle: unknown times, gradings that did not complete."""
    lines = []
    unknown = [g.student for g in grades if not g.submitted_at]
    if unknown:
        lines.append(
            f"time unknown (no penalty applied) for {', '.join(unknown)}: set it with "
            f"`descent course set-time STUDENT {grades[0].assignment} TIME --why TEXT`"
        )
    broken = [f"{g.student} ({g.status.replace('_', ' ')})" for g in grades if g.status != "graded"]
    if broken:
        lines.append(
            f"needs attention, not counted in course grades: {', '.join(broken)}; grade "
            f"again (a longer --timeout, --regrade) or excuse the item"
        )
    return lines


def notes_for(g: Grade, plan: Plan) -> list[str]:
    """The lines a student's report shows about the assignment's lateness."""
    when = (
        lateness.local(datetime.fromisoformat(g.submitted_at), plan.timezone)
        if g.submitted_at
        else "unknown"
    )
    lines = [f"Submitted {when} ({g.time_source})."]
    if g.reason:
        lines.append(f"Late policy: {g.reason}.")
    if g.extension:
        lines.append(f"Extension: {g.extension}.")
    if g.note:
        lines.append(g.note)
    return lines


def write_reports(book: Gradebook, grades: list[Grade], plan: Plan, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if grades:
        assignbook.set_report_folder(book, grades[0].assignment, str(folder.resolve()))
    for g in grades:
        row = book.db.execute(
            "SELECT status, message, graded_at, superseded, source FROM submissions WHERE id = ?",
            (g.submission,),
        ).fetchone()
        if row is None:
            continue
        doc = book.results(g.submission)
        info = dict(status=row[0], message=row[1], superseded=json.loads(row[3]), source=row[4])
        graded_at = lateness.local(datetime.fromisoformat(row[2]), plan.timezone)
        text = page(
            g.student,
            doc,
            images=book.images(g.submission),
            status=row[0],
            message=row[1],
            notes=notes_for(g, plan) + notes(info, doc),
            graded_at=graded_at,
            score=Score(g.assignment, g.raw, g.penalty, g.penalty_percent, g.final, g.max_points),
        )
        path = folder / f"{submissions.file_stem(g.student)}.html"
        path.write_text(text, encoding="utf-8")
    return folder
