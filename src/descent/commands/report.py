"""``descent report RESULTS.json`` prints a results file again; ``descent report --class
GRADEBOOK`` is the class report of a ``descent batch`` gradebook."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from .. import results
from ..reports import terminal_report
from ..terminal import console


def register(sub) -> None:
    p = sub.add_parser("report", help="print a results file, or a class report (--class)")
    p.add_argument("results_file", nargs="?")
    p.add_argument(
        "--class",
        dest="class_book",
        metavar="GRADEBOOK",
        help="class report from a `descent batch` gradebook: per exercise mean, pass "
        "rate and most frequent named mistakes, with PNG charts",
    )
    p.add_argument(
        "--charts",
        metavar="DIR",
        help="with --class: where the charts go (default: class-report/ by the gradebook)",
    )
    p.add_argument(
        "--assignment",
        metavar="ID",
        help="with --class: the gradings of this assignment of the course plan (default: each "
        "student's newest grading, whichever assignment it was)",
    )
    p.add_argument("--verbose", "-v", action="store_true", help="list every failing check")
    p.set_defaults(func=cmd_report)


def cmd_report(args) -> int:
    if args.class_book:
        return _class_report(args.class_book, args.charts, args.assignment)
    if args.assignment:
        raise ValueError("--assignment goes with --class GRADEBOOK")
    if not args.results_file:
        raise ValueError("give a results file, or --class GRADEBOOK")
    terminal_report.render(results.load(args.results_file), console, detail=args.verbose)
    return 0


def _class_report(book_path: str, charts: str | None, assignment: str | None = None) -> int:
    """``descent report --class GRADEBOOK [--charts DIR] [--assignment ID]``: 2 for an
    unreadable gradebook or a chart folder that cannot be written, 1 when nothing is graded
    yet."""
    from ..course import analytics, class_pictures  # start-up cost: matplotlib
    from ..course.assignbook import gradings
    from ..course.gradebook import Gradebook, GradebookError

    try:
        with Gradebook(book_path, writable=False) as book:
            rows = gradings(book, assignment) if assignment else None
            stats = analytics.compute(book, rows)
            mistakes = class_pictures.common(book, book.current() if rows is None else rows)
    except GradebookError as exc:
        console.print(f"[red]descent report: {escape(str(exc))}[/red]")
        return 2
    if not stats.exercises:
        which = f" of assignment {assignment}" if assignment else ""
        console.print(f"no graded submission{escape(which)} in this gradebook yet")
        return 1
    if assignment:
        console.print(f"assignment {escape(assignment)}: its gradings only")
    analytics.render(stats, console)
    folder = Path(charts) if charts else Path(book_path).parent / "class-report"
    try:
        written = analytics.write(stats, folder) + class_pictures.write(mistakes, folder)
    except OSError as exc:
        console.print(
            f"[red]descent report: cannot write to {escape(str(folder))}: {exc.strerror}[/red]"
        )
        return 2
    console.print(f"[dim]written: {escape(', '.join(str(p) for p in written))}[/dim]")
    return 0
