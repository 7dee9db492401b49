"""``descent course sync-nbgrader``: the plan's due dates (and extensions) written into
nbgrader's database, so that nbgrader's own views (formgrader's "late" column, ``collect
--before-duedate``, the export's ``duedate``) agree with the plan.

The late penalty of the labs and quizzes is not nbgrader's: ``descent grades`` applies the
plan's policy to nbgrader's raw score and submission time (:mod:`.coursegrade`), one rule for
every item of the term. nbgrader keeps its times in UTC without a zone; so does this.

Only assignments nbgrader already has are updated (``nbgrader generate_assignment`` adds them);
an extension is written on a student's submission, so it needs one (run it again after
``nbgrader collect``). Each change is reported.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from ..errors import DescentError
from .clock import elapsed
from .plan import NBGRADER, Plan

DATABASE = "gradebook.db"


class SyncError(DescentError):
    """nbgrader's database cannot be reached or updated; the message says why."""


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def sync(plan: Plan, extensions: dict, database: Path | None = None) -> list[str]:
    """Write the due dates and extensions of ``plan``'s nbgrader items; returns what changed,
    one line each."""
    folder = plan.nbgrader_course
    path = database or (folder / DATABASE if folder else None)
    if path is None or not path.is_file():
        raise SyncError(
            f"no nbgrader database at {path} ([course] nbgrader_course names the folder; "
            f"`nbgrader generate_assignment` creates it)"
        )
    try:
        # optional: nbgrader comes with the labs extra
        from nbgrader.api import Gradebook, MissingEntry
    except ImportError:
        raise SyncError("nbgrader is not installed (pip install 'descent[labs]')") from None
    lines = []
    with Gradebook(f"sqlite:///{path.resolve()}") as book:
        items = [i for i in plan.items if i.kind == NBGRADER and i.due is not None]
        for item in items:
            try:
                found = book.find_assignment(item.id)
            except MissingEntry:
                lines.append(f"{item.id}: not in nbgrader's database yet (generate it first)")
                continue
            assert item.due is not None  # filtered above
            due, before = _utc(item.due), found.duedate
            if before != due:
                book.update_or_create_assignment(item.id, duedate=due)
                lines.append(f"{item.id}: due {before or 'none'} -> {due} (UTC)")
        for (student, ident), extension in sorted(extensions.items()):
            owner = next((i for i in items if i.id == ident), None)
            if owner is None or owner.due is None or extension.excused:
                continue
            try:
                book.find_submission(ident, student)
            except MissingEntry:
                lines.append(f"{ident}, {student}: extension kept for later (nothing collected)")
                continue
            span = elapsed(extension.due, owner.due)  # nbgrader adds it to a UTC due date
            book.grant_extension(ident, student, minutes=span.total_seconds() / 60)
            lines.append(f"{ident}, {student}: extension of {span} written")
    return lines
