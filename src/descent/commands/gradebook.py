"""``descent gradebook merge --grades grades.csv --code RESULTS_DIR [...]``: one row per student,
nbgrader's labs and quizzes and the code exercises, weighted (the work, and what the options
mean, is :mod:`descent.course.merge`). The class gradebook itself is written by ``descent
batch`` (:mod:`descent.course.gradebook`)."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from ..course.merge import merge, read_code_results, read_nbgrader_grades, write_csv
from ..terminal import console


def register(sub) -> None:
    book = sub.add_parser("gradebook", help="merge nbgrader grades with code grades")
    sub = book.add_subparsers(dest="gradebook_command", required=True)
    p = sub.add_parser("merge", help="one row per student: labs, quizzes and code, weighted")
    p.add_argument("--grades", required=True, help="nbgrader export CSV")
    p.add_argument("--code", help="folder of <student_id>.json results files")
    p.add_argument(
        "--component",
        action="append",
        metavar="NAME=GLOB[,GLOB]",
        help="group assignments into one component (repeatable)",
    )
    p.add_argument("--weight", action="append", metavar="NAME=W", help="component weight")
    p.add_argument(
        "--pass",
        dest="passing",
        action="append",
        metavar="ASSIGNMENT=FRACTION",
        help="add ASSIGNMENT_passed (yes/no) at this fraction, e.g. module_test=0.8",
    )
    p.add_argument(
        "--keep",
        action="append",
        metavar="ASSIGNMENT",
        help="count an assignment nobody submitted (0 for everyone) instead of "
        "leaving it out as not released",
    )
    p.add_argument("--out", default="merged_grades.csv")
    p.add_argument("--per-student", help="also write DIR/<student_id>.csv")
    p.set_defaults(func=cmd_merge)


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ValueError(f"{what} must look like NAME=VALUE (got {item!r})")
        out[name.strip()] = value.strip()
    return out


def cmd_merge(args) -> int:
    passes = {a: float(v) for a, v in _pairs(args.passing, "--pass").items()}
    weights = {a: float(v) for a, v in _pairs(args.weight, "--weight").items()}
    grades, skipped = read_nbgrader_grades(args.grades, frozenset(args.keep or ()))
    code, problems = read_code_results(args.code) if args.code else (None, [])
    problems = skipped + problems
    columns, rows, notes = merge(
        grades, code, _pairs(args.component, "--component"), weights, passes
    )
    write_csv(args.out, columns, rows)
    if args.per_student:
        for row in rows:
            comps = [
                c[: -len("_percent")]
                for c in columns
                if c.endswith("_percent") and c != "total_percent"
            ]
            per = [
                {
                    "component": c,
                    "points": row[f"{c}_points"],
                    "max_points": row[f"{c}_max"],
                    "percent": row[f"{c}_percent"],
                    "weight": weights.get(c, 0.0 if weights else 1.0),
                }
                for c in comps
            ]
            per.append(
                {
                    "component": "total",
                    "points": "",
                    "max_points": "",
                    "percent": row["total_percent"],
                    "weight": "",
                }
            )
            write_csv(
                Path(args.per_student) / f"{row['student_id']}.csv",
                ["component", "points", "max_points", "percent", "weight"],
                per,
            )
    for line in problems + notes:
        console.print(f"[yellow]note:[/yellow] {escape(line)}")
    console.print(f"merged {len(rows)} student(s) into {args.out}")
    return 0
