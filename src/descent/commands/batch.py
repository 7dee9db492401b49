"""``descent batch SUBMISSIONS_DIR [--out DIR] [--jobs N | --scheduler tcp://HOST:PORT] ...``:
grade every submission of a class into the class gradebook (see :mod:`descent.course.batch`).
Exit codes: those of the batch, 130 when interrupted."""

from __future__ import annotations

from pathlib import Path

from .. import options
from ..course import batch
from ..course.assigned import run as run_assignment
from ..course.batch import Options, run
from ..kit import kit_root
from ..terminal import console
from .shared import add_assignment_options, assignment, device_option, load_plan


def register(sub) -> None:
    p = sub.add_parser(
        "batch",
        help="grade every submission of a class into a gradebook",
        description=(batch.__doc__ or "").strip(),
    )
    p.add_argument(
        "submissions", help="folder with one entry per student (a folder, .zip, .py or .ipynb each)"
    )
    p.add_argument(
        "--out",
        default="descent-grading",
        help="output folder: gradebook.sqlite and reports/ (default descent-grading)",
    )
    p.add_argument("--gradebook", help="gradebook file (default OUT/gradebook.sqlite)")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--jobs",
        "-j",
        type=options.jobs,
        default=0,
        help="gradings at a time on this machine (default: the CPUs available)",
    )
    where.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        type=options.scheduler,
        help="run on a Dask cluster (pip install 'descent[cluster]')",
    )
    p.add_argument(
        "--regrade",
        action="store_true",
        help="grade again submissions already graded with the same graders",
    )
    p.add_argument(
        "--timeout",
        type=options.seconds,
        default=600.0,
        help="seconds allowed for one whole submission (default 600)",
    )
    options.add_to_argparse(p, ("--call-timeout", "--insecure", "--input-seed"))
    p.add_argument(
        "-k",
        default="",
        type=options.selection,
        help="pytest -k expression: grade only these tests",
    )
    p.add_argument("--no-reports", action="store_true", help="do not write the HTML reports")
    p.add_argument(
        "--similarity",
        action="store_true",
        help="then compare every pair of submissions (descent similarity) into "
        "OUT/similarity/; changes no grade",
    )
    device_option(p)
    add_assignment_options(p, "grade")
    p.add_argument(
        "--replace-plan",
        action="store_true",
        help="with --assignment: settle the assignment's rows again although another plan "
        "settled them",
    )
    p.set_defaults(func=_cmd_batch)


def _cmd_batch(args) -> int:
    opts = Options(
        submissions=Path(args.submissions),
        out=Path(args.out),
        gradebook=Path(args.gradebook) if args.gradebook else None,
        jobs=args.jobs,
        scheduler=args.scheduler,
        timeout_s=args.timeout,
        call_timeout=args.call_timeout,
        selection=args.k,
        device=args.device,
        insecure=args.insecure,
        input_seed=args.input_seed,
        regrade=args.regrade,
        reports=not args.no_reports,
        similarity=args.similarity,
        similarity_assignment=getattr(args, "assignment", None),
        similarity_plan=getattr(args, "plan", None),
    )
    try:
        if args.assignment:  # the plan's assignment: late policy, assignment grades
            item = assignment(args)
            assert item is not None  # --assignment was given
            return run_assignment(
                opts, load_plan(args), item, kit_root(), console, replace_plan=args.replace_plan
            )
        return run(opts, kit_root(), console)
    except KeyboardInterrupt:  # before or after the grading itself: nothing half-written
        console.print("[yellow]interrupted[/yellow]")
        return 130
