"""``descent grades [--format table|csv|canvas|moodle] [--out FILE] [--at DATE-TIME]``: the
course grade of every student, from the plan, the class gradebook and nbgrader's export."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from ..course import coursegrade, lms
from ..course import plan as plan_mod
from ..course.assignbook import read
from ..course.gradebook import Gradebook, GradebookError
from ..terminal import console
from .shared import load_plan


def register(sub) -> None:
    g = sub.add_parser("grades", help="course grades from the plan: code, labs and quizzes")
    g.add_argument("--plan", metavar="FILE", help="the plan (default: course.toml)")
    g.add_argument(
        "--gradebook",
        default="descent-grading/gradebook.sqlite",
        help="the class gradebook (default descent-grading/gradebook.sqlite)",
    )
    g.add_argument(
        "--nbgrader-grades",
        metavar="CSV",
        help="nbgrader export (default: the plan's nbgrader_grades)",
    )
    g.add_argument("--format", default="table", choices=("table", "csv", "canvas", "moodle"))
    g.add_argument("--out", metavar="FILE", help="write the file here (default: print it)")
    g.add_argument(
        "--at",
        metavar="DATE-TIME",
        help="grade as of this moment: work due later is 'not due' (default now)",
    )
    g.add_argument("--student", metavar="ID", help="show one student's every component")
    g.set_defaults(func=_cmd_grades)


def _cmd_grades(args) -> int:
    plan = load_plan(args)
    code: dict[tuple[str, str], tuple[float, float]] = {}
    if Path(args.gradebook).is_file():
        try:
            with Gradebook(args.gradebook, writable=False) as book:
                code = {(g.student, g.assignment): (g.final, g.max_points) for g in read(book)}
        except GradebookError as exc:
            console.print(f"[red]descent grades: {escape(str(exc))}[/red]")
            return 2
    else:
        console.print(
            f"[yellow]no gradebook at {escape(args.gradebook)}: no code assignment "
            f"graded yet[/yellow]"
        )
    labs = _nbgrader(args, plan, console)
    roster = coursegrade.read_roster(plan.roster)
    students = sorted(set(roster) | {s for s, _ in code} | {s for s, _ in labs})
    now = plan_mod.at(plan, args.at) if args.at else None
    grades = coursegrade.compute(plan, code, labs, students, now)
    if args.format == "table":
        _show(plan, grades, console, args.student)
        return 0
    text = lms.render(args.format, plan, grades, roster)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        console.print(f"{args.format} file for {len(grades)} students written to {args.out}")
    else:
        print(text, end="")
    return 0


def _nbgrader(args, plan, console) -> dict[tuple[str, str], tuple[float, float]]:
    path = Path(args.nbgrader_grades) if args.nbgrader_grades else plan.nbgrader_grades
    if path is None or not path.is_file():
        console.print(
            f"[yellow]no nbgrader export{' at ' + escape(str(path)) if path else ''}"
            f": labs and quizzes count as missing once due (run `nbgrader export` in "
            f"the nbgrader course)[/yellow]"
        )
        return {}
    return coursegrade.read_nbgrader_export(
        path, {i.id for i in plan.items if i.kind == plan_mod.NBGRADER}
    )


def _show(plan, grades, console, student: str | None = None) -> None:
    """One row per student (categories, course grade, what is missing or dropped), or with
    ``student`` that student's every component."""
    if student:
        chosen = [g for g in grades if g.student == student]
        if not chosen:
            raise ValueError(f"no student {student!r} in the roster, gradebook or nbgrader export")
        _components(plan, chosen[0], console)
        return
    table = Table(title=f"course grades: {plan.name}", title_justify="left")
    table.add_column("student")
    for cat in plan.categories.values():
        table.add_column(f"{cat.name} ({cat.weight:g}%)", justify="right")
    for column in ("course", "missing", "dropped"):
        table.add_column(column, justify="right" if column == "course" else "left", overflow="fold")
    for g in grades:
        cats = [
            ("-" if g.categories[c] is None else f"{g.categories[c]:.1f}") for c in plan.categories
        ]
        missing = [i for i, c in g.cells.items() if c.status == "missing"]
        dropped = [i for i, c in g.cells.items() if c.dropped]
        table.add_row(
            escape(g.student),
            *cats,
            "-" if g.total is None else f"{g.total:.1f}",
            f"[red]{', '.join(missing)}[/red]",
            ", ".join(dropped),
        )
    console.print(table)
    console.print(
        "[dim]missing: due and not handed in (counts 0); dropped: by the category's "
        "drop-lowest rule; `--student ID` shows every component[/dim]"
    )


def _components(plan, grade, console) -> None:
    table = Table(
        title=f"{grade.student}: course grade "
        f"{'-' if grade.total is None else f'{grade.total:.2f}'}%",
        title_justify="left",
    )
    for column in ("item", "category", "weight", "points", "%", "note"):
        table.add_column(column, justify="right" if column in ("weight", "points", "%") else "left")
    for item in plan.items:
        cell = grade.cells[item.id]
        pts = (
            f"{round(cell.points, 2):g}/{round(cell.max_points, 2):g}"
            if cell.status == coursegrade.GRADED
            else "-"
        )
        pct = "-" if cell.percent is None else f"{cell.percent:.1f}"
        note = cell.status if cell.status != coursegrade.GRADED else ""
        table.add_row(
            escape(item.id),
            item.category,
            f"{item.weight:g}",
            pts,
            pct,
            note + (" (dropped)" if cell.dropped else ""),
        )
    console.print(table)
    cats = ", ".join(
        f"{c.name} {'-' if grade.categories[c.name] is None else f'{grade.categories[c.name]:.1f}'}% "
        f"x {c.weight:g}"
        for c in plan.categories.values()
    )
    console.print(f"categories: {cats}")
