"""``descent grades [--format table|csv|canvas|moodle] [--out FILE] [--at DATE-TIME]``: the
course grade of every student, from the plan, the class gradebook and nbgrader's export (the
rules are :mod:`descent.course.coursegrade`, the files :mod:`descent.course.lms`)."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from ..course import coursegrade, lateness, lms
from ..course import plan as plan_mod
from ..course.assignbook import dropped, overrides, read
from ..course.gradebook import Gradebook
from ..reports import spreadsheet
from ..terminal import console
from .shared import load_plan

DEFAULT_GRADEBOOK = "descent-grading/gradebook.sqlite"


def register(sub) -> None:
    g = sub.add_parser("grades", help="course grades from the plan: code, labs and quizzes")
    g.add_argument("--plan", metavar="FILE", help="the plan (default: course.toml here)")
    g.add_argument(
        "--gradebook",
        help=f"the class gradebook (default {DEFAULT_GRADEBOOK}; one named must exist)",
    )
    g.add_argument(
        "--nbgrader-grades",
        metavar="CSV",
        help="nbgrader export (default: the plan's nbgrader_grades)",
    )
    g.add_argument("--format", default="table", choices=("table", "csv", "canvas", "moodle"))
    g.add_argument("--out", metavar="FILE", help="write the file here (default: print it)")
    g.add_argument(
        "--no-bom",
        dest="bom",
        action="store_false",
        help="write the file without the UTF-8 byte-order mark (default: with it, so that "
        "Excel reads accented names correctly; Canvas and Moodle accept both)",
    )
    g.add_argument(
        "--moodle-key",
        choices=sorted(lms.MOODLE_KEYS),
        default="email",
        help="the column Moodle's import maps students by (default email)",
    )
    g.add_argument(
        "--moodle-max-grade",
        type=float,
        default=lms.MOODLE_MAX_GRADE,
        metavar="N",
        help="the largest grade the Moodle site accepts (default 100)",
    )
    g.add_argument(
        "--at",
        metavar="DATE-TIME",
        help="grade as of this moment: work due later is 'not due' (default now)",
    )
    g.add_argument("--student", metavar="ID", help="show one student's every component")
    g.set_defaults(func=_cmd_grades)


def _cmd_grades(args) -> int:
    plan = load_plan(args)
    if args.out:
        if args.format == "table":
            raise ValueError("--out writes a file: give --format csv, canvas or moodle")
        spreadsheet.check_output_file(args.out)
    _check_inputs(args)
    at = plan_mod.at(plan, args.at) if args.at else None
    roster = coursegrade.read_roster(plan.roster)
    inputs = coursegrade.Inputs(
        labs=_nbgrader(args, plan, set(roster)),
        extensions=lateness.read_extensions(plan.extensions, plan, set(roster)),
        roster=roster,
    )
    _read_gradebook(args, plan, inputs)
    grades = coursegrade.compute(plan, inputs, None, at)
    if args.format == "table":
        _show(plan, grades, args.student)
        return 0
    if args.format in ("canvas", "moodle"):
        _left_out(grades, plan, args.format)
    rows = lms.render(
        args.format,
        plan,
        grades,
        roster,
        at=at,
        moodle_key=args.moodle_key,
        moodle_max=args.moodle_max_grade,
    )
    text = spreadsheet.render(rows)
    for value in dict.fromkeys(spreadsheet.neutralized(rows)):
        console.print(
            f"[yellow]{escape(repr(value))} starts like a spreadsheet formula: written with a "
            f"quote in front, so it will not match in the LMS; match that row by hand[/yellow]"
        )
    _attention(grades)
    if args.out:
        spreadsheet.write(args.out, text, bom=args.bom)
        written = lms.students_in(args.format, rows)  # Canvas and Moodle: the roster's only
        console.print(f"{args.format} file for {written} students written to {args.out}")
    else:
        print(text, end="")
    return 0


def _check_inputs(args) -> None:
    """A file named on the command line must be there: a typo would grade everyone missing."""
    for option, value in (
        ("--gradebook", args.gradebook),
        ("--nbgrader-grades", args.nbgrader_grades),
    ):
        if value is not None and not Path(value).is_file():
            raise ValueError(
                f"{option} {value}: no such file" + (" (a folder)" if Path(value).is_dir() else "")
            )


def _left_out(grades, plan, fmt: str) -> None:
    """Say who gets no LMS row: an entry keyed by the roster only (one roster id, one row)."""
    if plan.roster is None:
        raise ValueError(
            f"a {fmt} file is keyed by the roster: name one in the plan ([course] roster)"
        )
    strangers = [g.student for g in grades if not g.on_roster]
    if strangers:
        console.print(
            f"[yellow]no {fmt} row for entries not on the roster: "
            f"{escape(', '.join(strangers))} (add them to the roster, or `descent course drop "
            f"STUDENT ITEM --reason TEXT`)[/yellow]"
        )


def _read_gradebook(args, plan, inputs: coursegrade.Inputs) -> None:
    path = args.gradebook or DEFAULT_GRADEBOOK
    if not Path(path).is_file():
        console.print(
            f"[yellow]no gradebook at {escape(path)}: no code assignment graded yet[/yellow]"
        )
        return
    with Gradebook(path, writable=False) as book:
        rows = read(book)
        inputs.overrides = overrides(book)
        inputs.dropped = dropped(book)
    inputs.code = {(g.student, g.assignment): g for g in rows}
    other = sorted({g.assignment for g in rows if g.plan_hash and g.plan_hash != plan.digest})
    if other:
        console.print(
            f"[yellow]{', '.join(other)} were settled with another version of the plan; the "
            f"rules of {escape(str(plan.path))} are applied here (settle them again with "
            f"`descent batch ... --assignment ID --replace-plan`)[/yellow]"
        )


def _nbgrader(args, plan, known: set[str]) -> dict[tuple[str, str], coursegrade.LabRow]:
    path = Path(args.nbgrader_grades) if args.nbgrader_grades else plan.nbgrader_grades
    if path is None or not path.is_file():
        console.print(
            f"[yellow]no nbgrader export{' at ' + escape(str(path)) if path else ''}"
            f": labs and quizzes count as missing once due (run `nbgrader export` in "
            f"the nbgrader course)[/yellow]"
        )
        return {}
    labs = coursegrade.read_labs(plan, path, known)
    if any(row.nbgrader_penalty for row in labs.values()):
        console.print(
            "[yellow]nbgrader applied a late penalty of its own; the plan's late policy is "
            "applied to nbgrader's raw score instead (keep nbgrader's "
            "LateSubmissionPlugin.penalty_method at 'none')[/yellow]"
        )
    return labs


def _attention(grades) -> None:
    flagged = [f"{g.student} {flag}" for g in grades for flag in g.flags]
    if flagged:
        console.print(
            "[yellow]needs the instructor (not final): " + escape("; ".join(flagged)) + "[/yellow]"
        )


def _show(plan, grades, student: str | None = None) -> None:
    """One row per student (categories, course grade, what is missing, dropped, excused or
    needs the instructor), or with ``student`` that student's every component."""
    if student:
        chosen = [g for g in grades if g.student == student]
        if not chosen:
            raise ValueError(f"no student {student!r} in the roster, gradebook or nbgrader export")
        _components(plan, chosen[0])
        return
    table = Table(title=f"course grades: {escape(plan.name)}", title_justify="left")
    table.add_column("student")
    for cat in plan.categories.values():
        table.add_column(f"{cat.name} ({cat.weight:g}%)", justify="right")
    for column in ("course", "missing", "dropped", "excused, extended", "attention"):
        table.add_column(column, justify="right" if column == "course" else "left", overflow="fold")
    for g in grades:
        cats = [
            ("-" if g.categories[c] is None else f"{g.categories[c]:.1f}") for c in plan.categories
        ]
        table.add_row(
            escape(g.student),
            *cats,
            "-" if g.total is None else f"{g.total:.1f}",
            f"[red]{escape(', '.join(_with(g, coursegrade.MISSING)))}[/red]",
            escape(", ".join(i for i, c in g.cells.items() if c.dropped)),
            escape(", ".join(_excused_or_extended(g))),
            f"[yellow]{escape('; '.join(g.flags))}[/yellow]",
        )
    console.print(table)
    console.print(
        "[dim]missing: due and not handed in (counts 0); dropped: by the category's "
        "drop-lowest rule; excused: left out; extended: an extension still running (not "
        "due yet); attention: a time unknown (no penalty until `descent course set-time`), a "
        "grading that did not complete (not counted), a student not on the roster (no LMS "
        "row); `--student ID` shows every component[/dim]"
    )


def _with(grade, status: str) -> list[str]:
    return [i for i, c in grade.cells.items() if c.status == status]


def _excused_or_extended(grade) -> list[str]:
    return [
        f"{i} ({c.label})"
        for i, c in grade.cells.items()
        if c.status == coursegrade.EXCUSED or (c.status == coursegrade.NOT_DUE and c.detail)
    ]


def _components(plan, grade) -> None:
    table = Table(
        title=f"{escape(grade.student)}: course grade "
        f"{'-' if grade.total is None else f'{grade.total:.2f}'}%",
        title_justify="left",
    )
    for column in ("item", "category", "weight", "raw", "penalty", "final", "%", "note"):
        table.add_column(
            column, justify="left" if column in ("item", "category", "note") else "right"
        )
    for item in plan.items:
        cell = grade.cells[item.id]
        graded = cell.status == coursegrade.GRADED
        table.add_row(
            escape(item.id),
            item.category,
            f"{item.weight:g}",
            f"{round(cell.raw or 0, 2):g}/{round(cell.max_points, 2):g}" if graded else "-",
            f"-{round(cell.penalty, 2):g}"
            if graded and cell.penalty
            else "-"
            if not graded
            else "0",
            f"{round(cell.points or 0, 2):g}/{round(cell.max_points, 2):g}" if graded else "-",
            "-" if cell.percent is None else f"{cell.percent:.1f}",
            escape(
                ("" if graded else cell.label)
                + (" (dropped)" if cell.dropped else "")
                + (f" {cell.flag}" if cell.flag else "")
            ),
        )
    console.print(table)
    cats = ", ".join(
        f"{c.name} {'-' if grade.categories[c.name] is None else f'{grade.categories[c.name]:.1f}'}% "
        f"x {c.weight:g}"
        for c in plan.categories.values()
    )
    console.print(f"categories: {cats}")
