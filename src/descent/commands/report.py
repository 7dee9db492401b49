"""``descent report RESULTS.json`` prints a results file again; ``descent report --class
GRADEBOOK`` is the class report of a ``descent batch`` gradebook."""

from __future__ import annotations

from .. import results, terminal_report
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
    p.add_argument("--verbose", "-v", action="store_true", help="list every failing check")
    p.set_defaults(func=cmd_report)


def cmd_report(args) -> int:
    if args.class_book:
        from ..course.analytics import cmd_class  # start-up cost: matplotlib

        return cmd_class(args.class_book, args.charts, console)
    if not args.results_file:
        raise ValueError("give a results file, or --class GRADEBOOK")
    terminal_report.render(results.load(args.results_file), console, detail=args.verbose)
    return 0
