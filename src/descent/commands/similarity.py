"""``descent similarity SUBMISSIONS [--assignment ID] --out DIR``, and the same step at the end
of ``descent batch --similarity``.

Exit codes: 0 the report was written (flagged pairs or not: nothing here is a verdict), 2 the
comparison could not run (no submissions, fewer than two to compare, unwritable output).
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

THRESHOLD = 0.5
MIN_FRAGMENT = 120


def register(sub) -> None:
    p = sub.add_parser("similarity", help="find pairs of submissions that share rare code "
                                          "(HTML evidence; changes no grade)",
                       description="Compare every pair of submissions module by module, "
                                   "without the template, and write HTML evidence for the "
                                   "pairs that share rare code. Changes no grade. Exit 0 when "
                                   "the report is written, 2 when nothing could be compared.")
    p.add_argument("submissions", help="folder with one entry per student (a folder, .zip, "
                                        ".py or .ipynb each), as for descent batch")
    p.add_argument("--assignment", metavar="ID",
                   help="compare only this assignment of the course plan (its exercises), or "
                        "these modules and exercises, comma-separated (losses,regression.minibatches"
                        "); default everything")
    p.add_argument("--plan", metavar="FILE",
                   help="the course plan (default: course.toml here, else the kit's)")
    p.add_argument("--out", default="descent-similarity",
                   help="output folder for index.html and the pair pages "
                        "(default descent-similarity)")
    p.add_argument("--threshold", type=float, default=THRESHOLD,
                   help=f"flag pairs at least this similar, 0..1 (default {THRESHOLD})")
    p.add_argument("--min-fragment", type=int, default=MIN_FRAGMENT,
                   help="also flag a pair sharing one rare fragment of this many tokens "
                        f"(default {MIN_FRAGMENT}, about a short function)")
    p.set_defaults(func=_cmd)


def _cmd(args) -> int:
    from ...kit import kit_root
    from ...terminal import console

    if not 0 < args.threshold <= 1:
        raise ValueError("--threshold must be in (0, 1]")
    if args.min_fragment < 1:
        raise ValueError("--min-fragment must be 1 or more")
    return run(Path(args.submissions), Path(args.out), kit_root(), console,
               assignment=args.assignment, plan=args.plan, threshold=args.threshold,
               min_fragment=args.min_fragment)


def run(submissions: Path, out: Path, kit: Path, console: Console, *,
        assignment: str | None = None, plan: str | None = None, threshold: float = THRESHOLD,
        min_fragment: int = MIN_FRAGMENT) -> int:
    try:
        from . import corpus, engine, report
    except ModuleNotFoundError as exc:
        if exc.name != "copydetect":
            raise
        console.print("[red]descent similarity needs copydetect: pip install "
                      "'descent[similarity]' (./dev test installs it)[/red]")
        return 2
    started = time.perf_counter()
    try:
        found = corpus.read(submissions, kit, corpus.selection(assignment, kit, plan))
    except corpus.CorpusError as exc:
        console.print(f"[red]descent similarity: {escape(str(exc))}[/red]")
        return 2
    analysis = engine.analyse(found, threshold=threshold, min_fragment=min_fragment)
    try:
        left_out = dict(found.problems)
        if found.unrecognised:
            left_out["(not submissions)"] = [", ".join(found.unrecognised)]
        index = report.write(analysis, out, left_out)
    except OSError as exc:
        console.print(f"[red]descent similarity: cannot write to {escape(str(out))}: "
                      f"{escape(exc.strerror or str(exc))}[/red]")
        return 2
    summarize(found, analysis, console)
    console.print(f"similarity report: {index} ({time.perf_counter() - started:.1f} s; "
                  f"changes no grade)")
    return 0


def summarize(found, analysis, console: Console) -> None:
    for student, reasons in found.problems.items():
        console.print(f"[yellow]{escape(student)}: left out of the comparison: "
                      f"{escape('; '.join(reasons))}[/yellow]")
    if found.unrecognised:
        console.print(f"[yellow]not submissions (not a folder, .zip, .py or .ipynb): "
                      f"{escape(', '.join(found.unrecognised))}[/yellow]")
    if analysis.too_short:
        console.print(f"too short to judge (not counted): {', '.join(analysis.too_short)}")
    console.print(f"{len(analysis.students)} students, {len(analysis.pairs)} pairs compared, "
                  f"{len(analysis.flagged)} flagged")
    if not analysis.flagged:
        return
    table = Table("#", "pair", "similarity", "longest fragment", "longest fragment at")
    for rank, pair in enumerate(analysis.flagged, 1):
        where = next(((m, x.fragments[0]) for m, x in pair.modules.items() if x.fragments), None)
        place = "" if where is None else (
            f"{where[0]}.{where[1].a_function or '?'}, lines {where[1].a_lines[0]}-"
            f"{where[1].a_lines[1]} / {where[1].b_lines[0]}-{where[1].b_lines[1]}")
        table.add_row(str(rank), escape(f"{pair.a} & {pair.b}"), f"{100 * pair.similarity:.0f}%",
                      str(pair.longest), escape(place))
    console.print(table)
