"""``descent batch SUBMISSIONS_DIR``: grade a whole class into a gradebook.

For each student (see :mod:`.submissions`): skip the submission when the gradebook already holds
a final grading of the same content with the same graders (unless ``regrade``), else grade it
(:mod:`.runner`, through :mod:`.executors`) and record it in one transaction (:mod:`.gradebook`)
as soon as it finishes. Then write each student's HTML report and print the class summary.

Ctrl-C (or SIGTERM) stops the batch: gradings under way are killed, everything recorded stays,
and the same command later grades only what is left.

Exit codes: what a student's code does is a result, never a failure of the batch.

* 0: every submission has a result: its points, or a time-out (the student's; retried once on
  the next run, in case the machine's load caused it, then kept);
* 1: the batch ran, but some gradings did not complete for reasons of the grading machinery
  (``failed``: a grading process that crashed, graders that differ on a Dask worker, a lost
  worker, a grading that left its fork server changed), or some students are held (two entries
  for one student, a symbolic link, an unreadable entry: :mod:`.submissions`; each gets a
  ``failed`` row saying why); they are retried on the next run;
* 2: the batch could not start or could not write (bad options, no submissions, an unwritable
  output, a gradebook in use or not Descent's, an unreachable Dask scheduler);
* 130: interrupted (Ctrl-C or SIGTERM); what was graded is kept.
"""

from __future__ import annotations

import hashlib
import signal
import socket
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from ..errors import DescentError
from ..grading import input_seed
from ..grading.plugin_workers import refusal
from . import executors, gradebook, html_report, submissions
from .executors import ExecutorError
from .html_report import notes
from .runner import FAILED, GRADED, TIMED_OUT, Outcome, Request
from .similarity.run import run as similarity
from .version import grader_version


@dataclass
class Options:
    submissions: Path
    out: Path
    gradebook: Path | None = None  # default: OUT/gradebook.sqlite
    jobs: int = 0  # 0: one per available CPU
    scheduler: str | None = None  # tcp://HOST:PORT of a Dask scheduler
    timeout_s: float = 600.0
    call_timeout: float = 10.0
    selection: str = ""
    device: str = "cpu"
    insecure: bool = False
    input_seed: str | None = None  # every grading's hidden inputs from this seed (--input-seed)
    regrade: bool = False
    reports: bool = True
    similarity: bool = False  # then descent similarity into OUT/similarity/
    similarity_assignment: str | None = None  # ... of this assignment (--assignment)
    similarity_plan: str | None = None  # ... as the plan named by --plan defines it

    @property
    def book_path(self) -> Path:
        return self.gradebook or self.out / "gradebook.sqlite"


@dataclass
class Tally:
    graded: list[Outcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    held: list[Outcome] = field(default_factory=list)  # not graded: see submissions.Listing
    interrupted: bool = False


class _Stop(Exception):
    """SIGTERM: stop like Ctrl-C."""


def run(opts: Options, kit: Path, console: Console) -> int:
    try:
        listing = submissions.discover(opts.submissions)
    except submissions.SubmissionsError as exc:
        console.print(f"[red]descent batch: {escape(str(exc))}[/red]")
        return 2
    problem = _unwritable(opts.out) or (
        _unwritable(opts.book_path.parent) if opts.gradebook else None
    )
    if problem:
        console.print(f"[red]descent batch: {escape(problem)}[/red]")
        return 2
    version = grader_version(kit, selection=opts.selection, device=opts.device)
    if listing.entries and opts.scheduler is None and not opts.insecure:
        why = refusal([str(listing.entries[0].path)], "auto", False, opts.device)
        if why:
            console.print(f"[red]descent batch: {escape(why)}[/red]")
            return 2
    try:
        book = gradebook.Gradebook(opts.book_path)
    except gradebook.GradebookError as exc:
        console.print(f"[red]descent batch: {escape(str(exc))}[/red]")
        return 2
    with book:
        try:
            book.set_present(listing.students)
            held = _hold(listing, version, book)
            tally = _grade_all(opts, kit, version, listing, book, console)
            tally.held = held
        except (gradebook.GradebookError, ExecutorError) as exc:
            console.print(f"[red]descent batch: {escape(str(exc))}[/red]")
            return 2
        written = _write_reports(opts, book, console)
        summarize(book, tally, listing, console)
        _common_mistakes(opts, book, listing, console)
    if written:
        console.print(f"HTML reports: {written}")
    if opts.similarity:
        similarity(
            opts.submissions,
            opts.out / "similarity",
            kit,
            console,
            assignment=opts.similarity_assignment,
            plan=opts.similarity_plan,
        )
    console.print(f"gradebook: {opts.book_path}")
    if tally.interrupted:
        console.print(
            "[yellow]interrupted: what was graded is kept; run the same command "
            "again to grade the rest[/yellow]"
        )
        return 130
    return 1 if tally.held or any(o.status == FAILED for o in tally.graded) else 0


def _hold(listing, version: str, book) -> list[Outcome]:
    """Record each held student (two entries for one student, a link, an unreadable entry:
    :mod:`.submissions`) as a ``failed`` row that says why; nothing of theirs is graded, and
    the row replaces an earlier grading as their current one until the instructor resolves
    it (``failed`` rows are tried again on every run)."""
    held = []
    for student, reasons in sorted(listing.held.items()):
        paths = [submissions.printable(str(p)) for p in listing.held_entries[student]]
        digest = hashlib.sha256(
            "\0".join(
                sorted(
                    f"{shown}:{submissions.content_hash(p)}"
                    for shown, p in zip(paths, listing.held_entries[student])
                )
            ).encode()
        ).hexdigest()
        outcome = Outcome(
            student,
            paths[0],
            FAILED,
            message="not graded: " + "; ".join(reasons),
            content_hash=f"held:{digest}",
            version=version,
            host=socket.gethostname(),
        )
        book.record(outcome, source=paths[0], submitted=0.0, superseded=[])
        held.append(outcome)
    return held


def _unwritable(folder: Path) -> str | None:
    probe = folder / ".descent-write-probe"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"x" * 4096)
        probe.unlink()
    except OSError as exc:
        return f"cannot write to the output folder {folder}: {exc.strerror}"
    return None


def _plan(opts: Options, kit: Path, version: str, listing, book) -> tuple[list, list[str]]:
    todo, skipped = [], []
    secret = _course_secret(opts, kit) if listing.entries else ""
    for entry in listing.entries:
        digest = submissions.content_hash(entry.path)
        done = None if opts.regrade else book.graded(entry.student, digest, version)
        if done is not None:
            book.make_current(entry.student, done)
            skipped.append(entry.student)
            continue
        todo.append(
            (
                entry,
                Request(
                    entry.student,
                    str(entry.path.resolve()),
                    str(kit),
                    version,
                    timeout_s=opts.timeout_s,
                    call_timeout=opts.call_timeout,
                    selection=opts.selection,
                    device=opts.device,
                    insecure=opts.insecure,
                    input_seed=opts.input_seed,
                    input_secret=secret,
                ),
            )
        )
    return todo, skipped


def _course_secret(opts: Options, kit: Path) -> str:
    """The course's secret, read (or made) once here and handed to every grading, so that the
    gradings of a class on any machine (a Dask worker too) draw from the same one."""
    if opts.input_seed is not None:
        return ""
    try:
        return input_seed.course_secret(kit)
    except input_seed.SecretError as exc:
        raise DescentError(str(exc)) from None


def _executor(opts: Options):

    if opts.scheduler:
        return executors.DaskExecutor(opts.scheduler)
    return executors.LocalExecutor(opts.jobs or len(executors.available_cpus()))


def _grade_all(opts, kit, version, listing, book, console) -> Tally:
    todo, skipped = _plan(opts, kit, version, listing, book)
    tally = Tally(skipped=skipped)
    if skipped:
        console.print(
            f"{len(skipped)} submission(s) already graded with these graders: skipped "
            f"(--regrade grades them again)"
        )
    if not todo:
        return tally
    entries = {req.student: entry for entry, req in todo}
    executor = _executor(opts)
    console.print(f"grading {len(todo)} submission(s) on {executor.describe()}")
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    eta = Eta(executor.slots)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        eta,
    )
    try:
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("grading", total=len(todo))
            for outcome in executor.run([req for _, req in todo]):
                eta.finished(outcome.duration_s)
                entry = entries[outcome.student]
                book.record(
                    outcome, source=str(entry.path), submitted=entry.modified, superseded=[]
                )
                tally.graded.append(outcome)
                progress.console.print(_line(outcome))
                progress.advance(task)
        executor.close()
    except (KeyboardInterrupt, _Stop):
        tally.interrupted = True
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup
        executor.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)
    except BaseException:
        executor.stop()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    return tally


class Eta(ProgressColumn):
    """The time left: the mean time per submission measured so far, times the submissions
    left, over the gradings that run at once; it counts down between two finished gradings."""

    def __init__(self, slots: int):
        super().__init__()
        self.slots = max(1, slots)
        self.times: list[float] = []
        self.since = time.monotonic()

    def finished(self, seconds: float) -> None:
        if seconds > 0:  # a grading refused before it ran says nothing about the others
            self.times.append(seconds)
        self.since = time.monotonic()

    def estimate(self, left: float) -> float | None:
        if not self.times or left <= 0:
            return None if left > 0 else 0.0
        rounds = left / min(self.slots, left)
        return max(0.0, statistics.mean(self.times) * rounds - (time.monotonic() - self.since))

    def render(self, task) -> Text:
        left = self.estimate((task.total or 0) - task.completed)
        if left is None:
            return Text("ETA -:--", style="progress.remaining")
        minutes, sec = divmod(round(left), 60)
        return Text(f"ETA {minutes}:{sec:02d}", style="progress.remaining")


def _num(x: float) -> str:
    return f"{round(x, 2):g}"


def _raise_stop(signum, frame):
    raise _Stop()


def _line(o: Outcome) -> str:
    who = escape(o.student)
    if o.status == GRADED:
        block = o.results["implementations"][0]
        return (
            f"  {who}: {_num(block['points'])}/{_num(block['max_points'])} "
            f"[dim]({o.duration_s:.1f} s)[/dim]"
        )
    style = "yellow" if o.status == TIMED_OUT else "red"
    return f"  {who}: [{style}]{o.status.replace('_', ' ')}[/{style}]: {escape(o.message)}"


def _write_reports(opts: Options, book, console: Console) -> Path | None:
    if not opts.reports:
        return None

    folder = opts.out / "reports"
    try:
        html_report.write_all(book, folder)
    except OSError as exc:
        console.print(
            f"[red]descent batch: could not write the HTML reports to {folder}: "
            f"{escape(exc.strerror or str(exc))}; the gradebook keeps every result "
            f"(`descent export --gradebook {opts.book_path} --format feedback` writes "
            f"them later)[/red]"
        )
        return None
    return folder


# ------------------------------------------------------------------ the class summary


def _common_mistakes(opts: Options, book, listing, console: Console) -> None:
    """Pictures of the class's common mistakes (:mod:`.class_pictures`) in ``OUT/class-report``,
    and where they are; nothing without reports or matplotlib."""
    if not opts.reports:
        return
    from . import class_pictures  # start-up: only a class with pictures draws

    listed = set(listing.students)
    rows = [row for row in book.current() if row["student"] in listed]
    try:
        drawn = class_pictures.write(class_pictures.common(book, rows), opts.out / "class-report")
    except OSError as exc:
        console.print(f"[red]descent batch: pictures not written: {escape(str(exc))}[/red]")
        return
    if drawn:
        console.print(
            f"pictures of {len(drawn)} common mistake(s): "
            f"{escape(str(opts.out / 'class-report'))}/mistake_*.png"
        )


def summarize(book, tally: Tally, listing, console: Console) -> None:
    # The students of this folder (the held ones too, whose notes say why): a term's gradebook
    # also holds other assignments' students.
    listed = set(listing.students)
    rows = [row for row in book.current() if row["student"] in listed]
    graded = [r for r in rows if r["status"] == GRADED and r["max_points"]]
    top = gradebook.out_of(rows)
    table = Table(title="class summary", title_justify="left", show_lines=False)
    for column, justify in (
        ("student", "left"),
        ("points", "right"),
        ("%", "right"),
        ("status", "left"),
        ("notes", "left"),
    ):
        table.add_column(column, justify=justify, overflow="fold")
    for row in rows:
        most = row["max_points"] if row["status"] == GRADED else top  # as in the exports
        share = 100 * row["points"] / most if most else 0.0
        found = notes(row, book.results(row["id"]))
        table.add_row(
            escape(row["student"]),
            f"{_num(row['points'])}/{_num(most)}",
            f"{share:.0f}",
            row["status"].replace("_", " "),
            escape("; ".join(found)),
        )
    console.print(table)
    if graded:
        shares = [100 * r["points"] / r["max_points"] for r in graded]
        console.print(
            f"{len(rows)} students; {len(graded)} graded: mean "
            f"{statistics.mean(shares):.1f}%, median {statistics.median(shares):.1f}%, lowest {min(shares):.0f}%, "
            f"highest {max(shares):.0f}%"
        )
    this_run = len(tally.graded)
    failed = sum(o.status == FAILED for o in tally.graded)
    timed = sum(o.status == TIMED_OUT for o in tally.graded)
    console.print(
        f"this run: {this_run} submission(s) graded ({timed} timed out, retried "
        f"once next run; {failed} failed, retried next run), {len(tally.skipped)} "
        f"skipped (already graded)"
    )
    if tally.graded:
        times = [o.duration_s for o in tally.graded]
        console.print(
            f"[dim]per submission: mean {statistics.mean(times):.1f} s, "
            f"longest {max(times):.1f} s[/dim]"
        )
    if listing.unrecognised:
        console.print(
            f"[yellow]not graded (not a folder, .zip, .py or .ipynb): "
            f"{escape(', '.join(listing.unrecognised))}[/yellow]"
        )
    if tally.held:
        console.print(
            f"[red]held, not graded until you resolve it ({len(tally.held)}): "
            f"{escape(', '.join(o.student for o in tally.held))}; the reasons are in the "
            f"notes above[/red]"
        )
