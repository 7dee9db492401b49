"""``descent grade PATH|solutions|starter [...]``: grade implementations with the hidden graders.

Exit codes: 0 every implementation kept all its points, 1 one lost points, pytest's own code (2
and above) when the grading did not complete.
"""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from .. import options, results
from ..grading.plugin_workers import refusal, start_early
from ..kit import run_pytest
from ..platforms import isolation_mode
from ..reports import loss_curves, pictures, terminal_report
from ..terminal import console
from .shared import add_assignment_options, assignment, device_option, results_path


def register(sub) -> None:
    p = sub.add_parser("grade", help="grade implementations with the hidden graders")
    p.add_argument("impl", nargs="+", help="submission folder, starter, solutions, bug:ID, ...")
    p.add_argument("--suite", default="graders", choices=["graders", "exercises"])
    p.add_argument("--results", help="results JSON path (default .descent/results.json)")
    p.add_argument("--html", metavar="FILE", help="also write the student's HTML report")
    p.add_argument(
        "--loss-curves",
        action="store_true",
        help="draw the capstone's loss curves as capstone_<name>.png next to the results "
        "(matplotlib; --html draws them too)",
    )
    p.add_argument(
        "--no-pictures",
        action="store_true",
        help="draw no picture_<name>_*.png beside the results for the failed checks of "
        "sequence- and distribution-valued exercises (drawn by default, with matplotlib)",
    )
    p.add_argument("-k", help="pytest -k expression to select tests")
    p.add_argument("--verbose", "-v", action="store_true", help="show pytest's own output")
    p.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when points are lost (default: 1 when any implementation "
        "lost points, 2 or more when grading did not complete)",
    )
    add_assignment_options(p, "grade")
    options.add_to_argparse(p)
    device_option(p)
    p.set_defaults(func=cmd_grade)


def cmd_grade(args) -> int:
    path = results_path(args)
    args.isolation = isolation_mode(args.isolation, args.insecure)  # descent.platforms
    why = refusal(args.impl, args.isolation, args.insecure, args.device)
    if why:
        console.print(f"[red]descent grade: {escape(why)}[/red]")
        return 2
    # The fork server's start (a fresh interpreter importing torch) now runs on the other CPU
    # while this process imports pytest and the graders, instead of waiting for pytest's
    # options: the grading pays its start-up once, side by side, as a batch's warm parent does.
    start_early(args.isolation, args.impl)
    item = assignment(args)
    if item is not None:  # only the assignment's exercises are graded and reported
        # start-up: the course's modules load only for a grading of one assignment
        from ..course.assigned import selection

        args.k = selection(item, args.k)
    extra = ["-k", args.k] if args.k else []
    if args.suite == "graders":
        # No grader uses a bare assert (every check goes through `check`), so pytest's assertion
        # rewriting, which parses and compiles each grader module again in every run that
        # writes no bytecode, buys nothing: about 0.27 CPU-s of a grading's start
        # (tests/test_grader_helpers.py keeps the graders free of asserts).
        extra.append("--assert=plain")
    extra += options.pytest_args(args)
    if args.verbose:  # pytest's own output, then the one table below
        extra += ["--no-grade-summary", "-v"]
    code = run_pytest(
        args.suite, args.impl, device=args.device, results=path, extra=extra, quiet=not args.verbose
    )
    if code not in (0, 1):
        console.print(f"[red]grading did not complete (pytest exit code {code})[/red]")
        return code
    doc = results.load(path)
    terminal_report.render(doc, console, detail=args.verbose)
    if item is not None:
        from ..course.assigned import scaled  # start-up: only for a grading of one assignment

        for block in doc["implementations"]:
            # the block's name is the submission folder's, chosen by a student: text, not markup
            console.print(
                f"assignment {escape(item.id)}: {escape(block['name'])}: "
                f"{scaled(block['points'], block['max_points'], item):g}/"
                f"{item.points:g} points"
            )
    console.print(f"[dim]results: {path}[/dim]")
    said = None if args.no_pictures else pictures.write_and_say(doc, path.parent)
    if said:
        console.print(f"[dim]{escape(said)}[/dim]")
    if args.html or args.loss_curves:
        loss_curves.draw_all(path.parent)
    if args.html:
        from ..course.html_report import write_for_grade  # start-up: only for --html

        for page in write_for_grade(doc, path.parent, Path(args.html)):
            console.print(f"[dim]HTML report: {page}[/dim]")
    return 0 if args.exit_zero else grade_exit_code(code, doc)


def grade_exit_code(pytest_code: int, doc: dict) -> int:
    """``descent grade``'s status: 0 when every graded implementation kept all its points, 1
    when one lost any (a failed check, or a score set to 0 after the tests, such as a borrowed
    library call), pytest's own code (2 and above) when the grading did not complete."""
    if pytest_code not in (0, 1):
        return pytest_code
    lost = any(b["points"] < b["max_points"] for b in doc.get("implementations", []))
    return 1 if lost else 0
