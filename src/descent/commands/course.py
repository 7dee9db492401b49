"""The term's subcommands of ``descent`` (registered by :mod:`descent.cli`), and the
``--plan`` / ``--assignment`` options that ``grade``, ``batch``, ``bundle`` and ``gradescope``
share.

    descent course check [--plan course.toml]     validate the plan, print the term
    descent course merge BUNDLE WORKING_COPY      bring a new assignment's bundle into a
                                                  student's working copy, keeping their work
    descent grades [--format table|csv|canvas|moodle] [--out FILE] [--at DATE-TIME]
                                                  the course grade of every student
"""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from . import plan as plan_mod


def add_assignment_options(parser, what: str) -> None:
    parser.add_argument("--assignment", metavar="ID",
                        help=f"{what} only this assignment of the course plan")
    parser.add_argument("--plan", metavar="FILE",
                        help="the course plan (default: course.toml here, else the kit's)")


def load_plan(args, console=None) -> plan_mod.Plan:
    """The plan named by ``--plan`` (or the default one); a broken plan ends the command with
    its problems listed (exit code 2), never a traceback."""
    from ..kit import kit_root
    from ..terminal import console as default

    try:
        return plan_mod.load(plan_mod.find(getattr(args, "plan", None), kit_root()))
    except plan_mod.PlanError as exc:
        (console or default).print(f"[red]descent {args.command}: {escape(str(exc))}[/red]")
        raise SystemExit(2) from None


def assignment(args, console=None) -> plan_mod.Item | None:
    """The code assignment named by ``--assignment``, or None without the option."""
    if not getattr(args, "assignment", None):
        return None
    plan = load_plan(args, console)
    try:
        return plan.code_assignment(args.assignment)
    except plan_mod.PlanError as exc:
        from ..terminal import console as default

        (console or default).print(f"[red]descent {args.command}: "
                                   f"{escape('; '.join(exc.problems))}[/red]")
        raise SystemExit(2) from None


def register(sub) -> None:
    p = sub.add_parser("course", help="the course plan: check it, merge a new assignment")
    inner = p.add_subparsers(dest="course_command", required=True)
    c = inner.add_parser("check", help="validate the course plan and print the term")
    c.add_argument("--plan", metavar="FILE", help="the plan (default: course.toml)")
    c.set_defaults(func=_cmd_check)
    m = inner.add_parser("merge", help="merge a new assignment bundle into a working copy")
    m.add_argument("bundle", help="the new bundle (descent bundle OUT --assignment ID)")
    m.add_argument("working_copy", help="the student's folder with earlier work")
    m.add_argument("--dry-run", action="store_true", help="only report what would change")
    m.set_defaults(func=_cmd_merge)

    g = sub.add_parser("grades", help="course grades from the plan: code, labs and quizzes")
    g.add_argument("--plan", metavar="FILE", help="the plan (default: course.toml)")
    g.add_argument("--gradebook", default="descent-grading/gradebook.sqlite",
                   help="the class gradebook (default descent-grading/gradebook.sqlite)")
    g.add_argument("--nbgrader-grades", metavar="CSV",
                   help="nbgrader export (default: the plan's nbgrader_grades)")
    g.add_argument("--format", default="table", choices=("table", "csv", "canvas", "moodle"))
    g.add_argument("--out", metavar="FILE", help="write the file here (default: print it)")
    g.add_argument("--at", metavar="DATE-TIME",
                   help="grade as of this moment: work due later is 'not due' (default now)")
    g.add_argument("--student", metavar="ID", help="show one student's every component")
    g.set_defaults(func=_cmd_grades)


def _cmd_check(args) -> int:
    from ..terminal import console

    plan = load_plan(args)
    table = Table(title=f"{plan.name} ({plan.path})", title_justify="left")
    for column in ("id", "title", "category", "weight", "points", "release", "due", "work"):
        table.add_column(column, overflow="fold")
    for item in plan.items:
        work = (f"{len(item.exercises)} exercises: {', '.join(item.modules)}"
                if item.kind == plan_mod.CODE else "nbgrader")
        table.add_row(escape(item.id), escape(item.title), item.category, f"{item.weight:g}",
                      f"{item.points:g}" if item.kind == plan_mod.CODE else "-",
                      _local(item.release, plan), _local(item.due, plan), escape(work))
    console.print(table)
    cats = ", ".join(f"{c.name} {c.weight:g}%" + (f" (drop lowest {c.drop_lowest})"
                                                  if c.drop_lowest else "")
                     for c in plan.categories.values())
    console.print(f"categories: {cats}")
    inside, outside = plan_mod.covered(plan)
    console.print(f"code exercises: {len(inside)} of {len(inside) + len(outside)} in an "
                  f"assignment" + (f"; not in any: {', '.join(outside)}" if outside else ""))
    for module, ids in plan_mod.split_modules(plan).items():
        console.print(f"[yellow]note: module {module} is split over {', '.join(ids)}: its stub "
                      f"file and public tests ship whole with {ids[0]}[/yellow]")
    from .lateness import read_extensions

    try:
        extensions = read_extensions(plan.extensions, plan)
    except (ValueError, OSError, plan_mod.PlanError) as exc:
        console.print(f"[red]descent course check: extensions: {escape(str(exc))}[/red]")
        return 2
    source = plan.extensions
    console.print(f"extensions: {len(extensions)}" + (f" (from {source})" if source and
                                                      source.is_file() else
                                                      f" (no file {source} yet)" if source
                                                      else ""))
    console.print("[green]the plan is valid[/green]")
    return 0


def _local(moment, plan) -> str:
    return moment.astimezone(plan.timezone).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _cmd_merge(args) -> int:
    from ..terminal import console
    from .release import merge

    report = merge(Path(args.bundle), Path(args.working_copy), dry_run=args.dry_run)
    for line in report.lines():
        console.print(escape(line))
    return 0


def _cmd_grades(args) -> int:
    from ..terminal import console
    from . import coursegrade, lms
    from .assignbook import read
    from .classbook import Gradebook, GradebookError

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
        console.print(f"[yellow]no gradebook at {escape(args.gradebook)}: no code assignment "
                      f"graded yet[/yellow]")
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
        console.print(f"[yellow]no nbgrader export{' at ' + escape(str(path)) if path else ''}"
                      f": labs and quizzes count as missing once due (run `nbgrader export` in "
                      f"the nbgrader course)[/yellow]")
        return {}
    from .coursegrade import read_nbgrader_export

    return read_nbgrader_export(path, {i.id for i in plan.items if i.kind == plan_mod.NBGRADER})


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
        table.add_column(column, justify="right" if column == "course" else "left",
                         overflow="fold")
    for g in grades:
        cats = [("-" if g.categories[c] is None else f"{g.categories[c]:.1f}")
                for c in plan.categories]
        missing = [i for i, c in g.cells.items() if c.status == "missing"]
        dropped = [i for i, c in g.cells.items() if c.dropped]
        table.add_row(escape(g.student), *cats, "-" if g.total is None else f"{g.total:.1f}",
                      f"[red]{', '.join(missing)}[/red]", ", ".join(dropped))
    console.print(table)
    console.print("[dim]missing: due and not handed in (counts 0); dropped: by the category's "
                  "drop-lowest rule; `--student ID` shows every component[/dim]")


def _components(plan, grade, console) -> None:
    from .coursegrade import GRADED

    table = Table(title=f"{grade.student}: course grade "
                        f"{'-' if grade.total is None else f'{grade.total:.2f}'}%",
                  title_justify="left")
    for column in ("item", "category", "weight", "points", "%", "note"):
        table.add_column(column, justify="right" if column in ("weight", "points", "%")
                         else "left")
    for item in plan.items:
        cell = grade.cells[item.id]
        pts = (f"{round(cell.points, 2):g}/{round(cell.max_points, 2):g}"
               if cell.status == GRADED else "-")
        pct = "-" if cell.percent is None else f"{cell.percent:.1f}"
        note = cell.status if cell.status != GRADED else ""
        table.add_row(escape(item.id), item.category, f"{item.weight:g}", pts, pct,
                      note + (" (dropped)" if cell.dropped else ""))
    console.print(table)
    cats = ", ".join(f"{c.name} {'-' if grade.categories[c.name] is None else f'{grade.categories[c.name]:.1f}'}% "
                     f"x {c.weight:g}" for c in plan.categories.values())
    console.print(f"categories: {cats}")
