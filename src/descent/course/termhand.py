"""The instructor's hand on a term's records: ``descent course set-time`` and ``drop``.

A time set by hand beats every source, so it is checked before it is kept:

* the gradebook must be there (a mistyped ``--gradebook`` never makes a new one);
* the student and the item must have a submission: a code assignment's settled row, or an
  nbgrader item's collected copy (``submitted/`` or ``autograded/``) or export row; an excused
  item, a dropped entry and work never handed in have no time to set;
* the time must lie between the item's release (else the term's start) and the end of term,
  unless forced with a reason (``--force REASON``), which is kept with it;
* it is tied to the submission it was set for (its content hash): a new submission makes it
  lapse, and every table says so until it is set again or unset (``--unset``).

Dropping is for an entry that is nobody's (a folder nbgrader named after a misread time, a
classmate's login): the entry is kept in the gradebook but left out of every table, course
grade and file, with the reason; ``--undo`` brings it back. A roster student's entry is theirs
and is never dropped (excuse the item in the extensions file instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..errors import DescentError
from . import assignbook, assigned, lateness, nbrecords
from .assignbook import Grade
from .coursegrade import read_nbgrader_export
from .gradebook import Gradebook
from .plan import CODE, Item, Plan
from .roster import read_roster


class TermError(DescentError, ValueError):
    """What the instructor asked cannot be done as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Entry:
    """One student's submission of one item, as a time set by hand is tied to it."""

    content_hash: str
    row: Grade | None  # a code assignment's settled row


def open_book(path: str | Path, *, writable: bool = False) -> Gradebook:
    """The gradebook at ``path``, which must exist (read-only unless ``writable``: every check
    is made on a read-only gradebook first, so a refusal leaves even its lock file alone)."""
    if not Path(path).is_file():
        raise TermError(
            f"no gradebook at {path}: `descent batch --assignment ID` creates it (a mistyped "
            f"--gradebook would otherwise start a new one)"
        )
    return Gradebook(path, writable=writable)


def entry(book: Gradebook, plan: Plan, item: Item, student: str) -> Entry:
    """The submission of ``student`` for ``item``; refuses one there is none of."""
    extension = lateness.read_extensions(plan.extensions, plan, set(read_roster(plan.roster)))
    found = extension.get((student, item.id))
    if found is not None and found.excused:
        raise TermError(f"{student} is excused from {item.id}: there is no time to set")
    if (student, item.id) in assignbook.dropped(book):
        raise TermError(f"{student}'s entry for {item.id} was dropped (descent course drop --undo)")
    if item.kind == CODE:
        rows = assignbook.read(book, item.id, with_dropped=True)
        row = next((g for g in rows if g.student == student), None)
        if row is None:
            raise TermError(
                f"no submission of {item.id} by {student} is recorded in {book.path}: a time is "
                f"set for a submission (grade it first: descent batch ... --assignment {item.id})"
            )
        return Entry(row.content_hash, row)
    return Entry(_lab_content(plan, item, student), None)


def _lab_content(plan: Plan, item: Item, student: str) -> str:
    course = plan.nbgrader_course
    records = nbrecords.Records(course)
    exported, listed = None, False
    export = plan.nbgrader_grades
    if export is not None and export.is_file():
        rows = read_nbgrader_export(export, {item.id}, course, set(read_roster(plan.roster)))
        row = rows.get((student, item.id))
        exported, listed = (row.timestamp, True) if row is not None else (None, False)
    if listed or records.collected(student, item.id) is not None:
        return records.content(student, item.id, exported)
    raise TermError(
        f"{student} has no submission of {item.id}: nothing collected in {course}/submitted/, "
        f"nor a row in nbgrader's export ({export}); a time is set for a submission"
    )


def check_time(plan: Plan, item: Item, at: datetime, force: str | None) -> str:
    """Refuse a time outside the item's release (else the term's start) and the end of term,
    unless ``force`` gives the reason; returns what is kept beside the reason ("" or the
    forcing)."""
    if force is not None and not force.strip():
        raise TermError("--force needs the reason the time lies outside the term")
    low = item.release or plan.term_start
    high = plan.term_end
    where = ""
    if low is not None and lateness.elapsed(at, low).total_seconds() < 0:
        where = f"before {item.id}'s {'release' if item.release else 'term'} ({_local(low, plan)})"
    elif high is not None and lateness.elapsed(at, high).total_seconds() > 0:
        where = f"after the end of term ({_local(high, plan)}; [course] end sets it)"
    if not where:
        return ""
    if force is None:
        raise TermError(
            f"{_local(at, plan)} is {where}: a typo? Give --force REASON to set it all the same"
        )
    return f"forced, {where}: {force.strip()}"


def set_time(
    path: str | Path, plan: Plan, item: Item, student: str, at: datetime, why: str, force=None
) -> tuple[Grade | None, Grade | None]:
    """Keep ``at`` as ``student``'s time for ``item``'s current submission (in the gradebook at
    ``path``); the code row (before, after) when there is one (settled again, its report
    redone)."""
    if not why.strip():
        raise TermError("--why must say why the time is set by hand")
    forced = check_time(plan, item, at, force)
    with open_book(path) as book:
        found = entry(book, plan, item, student)
    reason = why.strip() + (f" ({forced})" if forced else "")
    with open_book(path, writable=True) as book:
        assignbook.set_override(book, student, item.id, at.isoformat(), reason, found.content_hash)
        after = assigned.resettle(book, plan, item, student) if item.kind == CODE else None
    return found.row, after


def unset_time(
    path: str | Path, plan: Plan, item: Item, student: str
) -> tuple[Grade | None, Grade | None]:
    """Forget the time set by hand; the code row settles again from its source's time."""
    with open_book(path) as book:
        if (student, item.id) not in assignbook.overrides(book):
            raise TermError(f"no time was set by hand for {student}, {item.id}: nothing to unset")
        rows = assignbook.read(book, item.id, with_dropped=True)
    before = next((g for g in rows if g.student == student), None)
    with open_book(path, writable=True) as book:
        assignbook.unset_override(book, student, item.id)
        after = assigned.resettle(book, plan, item, student) if item.kind == CODE else None
    return before, after


def drop(path: str | Path, plan: Plan, item: Item, student: str, reason: str) -> None:
    """Leave ``student``'s entry for ``item`` out of the term, with ``reason``."""
    roster = read_roster(plan.roster)
    if student in roster:
        raise TermError(
            f"{student} is on the roster: their entry is theirs (excuse the item in the "
            f"extensions file, or set its time); drop is for entries that are nobody's"
        )
    if not reason.strip():
        raise TermError("--reason must say why the entry is dropped")
    with open_book(path) as book:
        if (student, item.id) in assignbook.dropped(book):
            raise TermError(f"{student}'s entry for {item.id} is dropped already")
        if item.kind == CODE:
            rows = assignbook.read(book, item.id, with_dropped=True)
            if not any(g.student == student for g in rows):
                raise TermError(
                    f"no entry {student!r} of {item.id} in {book.path}: nothing to drop"
                )
        else:
            _lab_content(plan, item, student)
    with open_book(path, writable=True) as book:
        assignbook.drop(book, student, item.id, reason.strip())


def undrop(path: str | Path, item: Item, student: str) -> None:
    with open_book(path) as book:
        if (student, item.id) not in assignbook.dropped(book):
            raise TermError(f"{student}'s entry for {item.id} is not dropped: nothing to undo")
    with open_book(path, writable=True) as book:
        assignbook.undrop(book, student, item.id)


def _local(moment: datetime, plan: Plan) -> str:
    return lateness.local(moment, plan.timezone)
