"""``descent course check [--plan course.toml]`` validates the course plan and prints the term
(with each assignment's late policy as it will be applied); ``descent course merge BUNDLE
WORKING_COPY`` brings a new assignment's bundle into a student's working copy, keeping their
work; ``descent course set-time STUDENT ASSIGNMENT TIME --why TEXT`` records a submission time
by hand; ``descent course sync-nbgrader`` writes the plan's due dates into nbgrader's
database."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from ..course import assignbook, assigned, lateness, nbsync
from ..course import plan as plan_mod
from ..course.coursegrade import read_roster
from ..course.gradebook import Gradebook
from ..course.release import merge
from ..terminal import console
from .shared import load_plan

DEFAULT_GRADEBOOK = "descent-grading/gradebook.sqlite"


def register(sub) -> None:
    p = sub.add_parser("course", help="the course plan: check it, merge a new assignment")
    inner = p.add_subparsers(dest="course_command", required=True)
    c = inner.add_parser("check", help="validate the course plan and print the term")
    c.add_argument("--plan", metavar="FILE", help="the plan (default: course.toml here)")
    c.set_defaults(func=_cmd_check)
    m = inner.add_parser("merge", help="merge a new assignment bundle into a working copy")
    m.add_argument("bundle", help="the new bundle (descent bundle OUT --assignment ID)")
    m.add_argument("working_copy", help="the student's folder with earlier work")
    m.add_argument("--dry-run", action="store_true", help="only report what would change")
    m.set_defaults(func=_cmd_merge)
    t = inner.add_parser(
        "set-time",
        help="record a student's submission time by hand (beats every source of the plan)",
    )
    t.add_argument("student")
    t.add_argument("assignment", help="an assignment of the plan (code or nbgrader)")
    t.add_argument("time", help="2027-01-18T23:10 (no offset: the course's time zone)")
    t.add_argument("--why", required=True, help="the reason, kept with the time")
    t.add_argument("--plan", metavar="FILE", help="the plan (default: course.toml here)")
    t.add_argument("--gradebook", default=DEFAULT_GRADEBOOK, help=f"default {DEFAULT_GRADEBOOK}")
    t.set_defaults(func=_cmd_set_time)
    s = inner.add_parser(
        "sync-nbgrader", help="write the plan's due dates and extensions into nbgrader's database"
    )
    s.add_argument("--plan", metavar="FILE", help="the plan (default: course.toml here)")
    s.set_defaults(func=_cmd_sync)


def _cmd_check(args) -> int:
    plan = load_plan(args)
    table = Table(title=f"{escape(plan.name)} ({escape(str(plan.path))})", title_justify="left")
    for column in ("id", "category", "weight", "points", "release", "due", "times", "work"):
        table.add_column(column, overflow="fold")
    for item in plan.items:
        code = item.kind == plan_mod.CODE
        work = f"{len(item.exercises)} exercises: {', '.join(item.modules)}" if code else "nbgrader"
        table.add_row(
            escape(item.id),
            item.category,
            f"{item.weight:g}",
            f"{item.points:g}" if code else "-",
            _local(item.release, plan),
            _local(item.due, plan),
            item.time_source if code else "nbgrader export",
            escape(work),
        )
    console.print(table)
    console.print("late policy, as it will be applied:")
    for item in plan.items:
        console.print(f"  {escape(item.id)}: {escape(plan_mod.describe_late(item))}")
    cats = ", ".join(
        f"{c.name} {c.weight:g}%" + (f" (drop lowest {c.drop_lowest})" if c.drop_lowest else "")
        for c in plan.categories.values()
    )
    console.print(f"categories: {cats}")
    inside, outside = plan_mod.covered(plan)
    console.print(
        f"code exercises: {len(inside)} of {len(inside) + len(outside)} in an "
        f"assignment" + (f"; not in any: {', '.join(outside)}" if outside else "")
    )
    for module, ids in plan_mod.split_modules(plan).items():
        console.print(
            f"[yellow]note: module {module} is split over {', '.join(ids)}: its stub "
            f"file and public tests ship whole with {ids[0]}[/yellow]"
        )
    return _check_people(plan)


def _check_people(plan) -> int:
    roster = read_roster(plan.roster)
    if plan.roster is None:
        console.print(
            "[yellow]no [course] roster: students who never hand anything in cannot be "
            "listed as missing, nor extensions checked against the class[/yellow]"
        )
    else:
        console.print(f"roster: {len(roster)} students ({escape(str(plan.roster))})")
    try:
        extensions = lateness.read_extensions(plan.extensions, plan, set(roster))
    except (ValueError, OSError) as exc:
        console.print(f"[red]descent course check: extensions: {escape(str(exc))}[/red]")
        return 2
    source = plan.extensions
    excused = sum(e.excused for e in extensions.values())
    console.print(
        f"extensions: {len(extensions) - excused}, excused: {excused}"
        + (
            f" (from {escape(str(source))})"
            if source and source.is_file()
            else f" (no file {escape(str(source))} yet)"
            if source
            else ""
        )
    )
    console.print("[green]the plan is valid[/green]")
    return 0


def _local(moment, plan) -> str:
    return moment.astimezone(plan.timezone).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _cmd_merge(args) -> int:
    report = merge(Path(args.bundle), Path(args.working_copy), dry_run=args.dry_run)
    for line in report.lines():
        console.print(escape(line))
    return 0


def _cmd_set_time(args) -> int:
    plan = load_plan(args)
    item = plan.item(args.assignment)
    roster = read_roster(plan.roster)
    if roster and args.student not in roster:
        raise ValueError(f"no student {args.student!r} in the roster ({plan.roster})")
    if not args.why.strip():
        raise ValueError("--why must say why the time is set by hand")
    at = lateness.parse_time(args.time, plan.timezone)
    with Gradebook(args.gradebook) as book:
        before = [g for g in assignbook.read(book, item.id) if g.student == args.student]
        assignbook.set_override(book, args.student, item.id, at.isoformat(), args.why.strip())
        after = assigned.resettle(book, plan, item, args.student)
    console.print(
        f"{escape(args.student)}, {escape(item.id)}: submitted "
        f"{lateness.local(at, plan.timezone)} (set by hand: {escape(args.why.strip())})"
    )
    if before and after:
        console.print(
            f"final {before[0].final:g} -> {after.final:g}/{after.max_points:g}"
            + (f" ({escape(after.reason)})" if after.reason else "")
        )
    elif item.kind == plan_mod.CODE:
        console.print("no grade recorded yet: the next `descent batch --assignment` uses it")
    else:
        console.print("`descent grades` applies it to nbgrader's score")
    return 0


def _cmd_sync(args) -> int:
    plan = load_plan(args)
    roster = read_roster(plan.roster)
    extensions = lateness.read_extensions(plan.extensions, plan, set(roster))
    lines = nbsync.sync(plan, extensions)
    for line in lines or ["nbgrader's database already has the plan's due dates"]:
        console.print(escape(line))
    return 0
