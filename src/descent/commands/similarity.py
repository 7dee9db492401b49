"""``descent similarity SUBMISSIONS [--assignment ID] --out DIR``: compare every pair of
submissions (the work is :mod:`descent.course.similarity.run`, also the last step of ``descent
batch --similarity``).

Exit codes: 0 the report was written (flagged pairs or not: nothing here is a verdict), 2 the
comparison could not run (no submissions, fewer than two to compare, unwritable output).
"""

from __future__ import annotations

from pathlib import Path

from ..course.similarity.run import MIN_FRAGMENT, THRESHOLD, run
from ..kit import kit_root
from ..terminal import console


def register(sub) -> None:
    p = sub.add_parser(
        "similarity",
        help="find pairs of submissions that share rare code (HTML evidence; changes no grade)",
        description="Compare every pair of submissions module by module, "
        "without the template, and write HTML evidence for the "
        "pairs that share rare code. Changes no grade. Exit 0 when "
        "the report is written, 2 when nothing could be compared.",
    )
    p.add_argument(
        "submissions",
        help="folder with one entry per student (a folder, .zip, "
        ".py or .ipynb each), as for descent batch",
    )
    p.add_argument(
        "--assignment",
        metavar="ID",
        help="compare only this assignment of the course plan (its exercises), or "
        "these modules and exercises, comma-separated (losses,regression.minibatches"
        "); default everything",
    )
    p.add_argument(
        "--plan", metavar="FILE", help="the course plan (default: course.toml here, else the kit's)"
    )
    p.add_argument(
        "--out",
        default="descent-similarity",
        help="output folder for index.html and the pair pages (default descent-similarity)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=THRESHOLD,
        help=f"flag pairs at least this similar, 0..1 (default {THRESHOLD})",
    )
    p.add_argument(
        "--min-fragment",
        type=int,
        default=MIN_FRAGMENT,
        help="also flag a pair sharing one rare fragment of this many tokens "
        f"(default {MIN_FRAGMENT}, about a short function)",
    )
    p.set_defaults(func=_cmd)


def _cmd(args) -> int:
    if not 0 < args.threshold <= 1:
        raise ValueError("--threshold must be in (0, 1]")
    if args.min_fragment < 1:
        raise ValueError("--min-fragment must be 1 or more")
    return run(
        Path(args.submissions),
        Path(args.out),
        kit_root(),
        console,
        assignment=args.assignment,
        plan=args.plan,
        threshold=args.threshold,
        min_fragment=args.min_fragment,
    )
