"""``descent export RESULTS.json... --format gradescope|csv`` and ``descent export --gradebook
GRADEBOOK --format csv|results|feedback``: grades out of Descent (the formats are
:mod:`descent.export` and :mod:`descent.course.handback`). Exit 2 when nothing could be exported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.markup import escape

from .. import export, results, spreadsheet
from ..course import handback
from ..course.gradebook import GradebookError
from ..terminal import console


def register(sub) -> None:
    p = sub.add_parser(
        "export",
        help="results JSON (or a class gradebook) to Gradescope "
        "results.json, CSV or per-student feedback",
    )
    p.add_argument("results_files", nargs="*", help="one or more results JSON files")
    p.add_argument(
        "--gradebook",
        help="export from a `descent batch` gradebook instead: csv, "
        "results (a folder for `descent gradebook merge --code`) "
        "or feedback (a folder of per-student HTML and JSON)",
    )
    p.add_argument("--format", choices=["gradescope", "csv", "results", "feedback"], required=True)
    p.add_argument(
        "--assignment",
        metavar="ID",
        help="with --gradebook: the gradings of this assignment of the course plan, with their "
        "late penalty and final score (default: each student's newest grading)",
    )
    p.add_argument("--implementation", help="for Gradescope: which graded implementation")
    p.add_argument("--out", help="output file (default: standard output)")
    p.set_defaults(func=_cmd_export)


def _cmd_export(args) -> int:
    try:
        return _export(args)
    except (GradebookError, ValueError) as exc:
        problem = str(exc)
    except OSError as exc:
        problem = f"{exc.filename or args.out}: {exc.strerror or exc}"
    console.print(f"[red]descent export: {escape(problem)}[/red]")
    return 2


def _export(args) -> int:
    if args.gradebook:
        if args.format == "gradescope" or args.results_files:
            raise ValueError(
                "--gradebook exports csv, results or feedback, and takes no results files"
            )
        text = handback.run(args.gradebook, args.format, args.out, args.assignment)
        print(text, end="" if text.endswith("\n") else "\n")
        return 0
    if args.assignment:
        raise ValueError("--assignment goes with --gradebook")
    if args.format not in ("gradescope", "csv") or not args.results_files:
        raise ValueError(
            "results files export to gradescope or csv (results and feedback come from --gradebook)"
        )
    docs = [_load(results, path) for path in args.results_files]
    if args.format == "gradescope":
        if len(docs) != 1:
            raise ValueError("Gradescope takes one results file")
        text = json.dumps(export.to_gradescope(docs[0], args.implementation), indent=2)
    else:
        text = export.to_csv(docs)
    if args.out and args.format == "csv":
        export.write_csv(text, args.out)
    elif args.out:
        spreadsheet.check_output_file(Path(args.out))
        Path(args.out).write_text(text)
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return 0


def _load(results, path: str) -> dict[str, Any]:
    if Path(path).is_dir():
        raise ValueError(
            f"{path} is a folder; give results JSON files (`descent grade "
            f"--results FILE` writes one)"
        )
    try:
        return results.load(path)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a results JSON file ({exc})") from None
