"""``descent course check [--plan course.toml]`` validates the course plan and prints the term;
``descent course merge BUNDLE WORKING_COPY`` brings a new assignment's bundle into a student's
working copy, keeping their work."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from ..course import plan as plan_mod
from ..course.lateness import read_extensions
from ..course.release import merge
from ..terminal import console
from .shared import load_plan


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


def _cmd_check(args) -> int:
    plan = load_plan(args)
    table = Table(title=f"{plan.name} ({plan.path})", title_justify="left")
    for column in ("id", "title", "category", "weight", "points", "release", "due", "work"):
        table.add_column(column, overflow="fold")
    for item in plan.items:
        work = (
            f"{len(item.exercises)} exercises: {', '.join(item.modules)}"
            if item.kind == plan_mod.CODE
            else "nbgrader"
        )
        table.add_row(
            escape(item.id),
            escape(item.title),
            item.category,
            f"{item.weight:g}",
            f"{item.points:g}" if item.kind == plan_mod.CODE else "-",
            _local(item.release, plan),
            _local(item.due, plan),
            escape(work),
        )
    console.print(table)
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
    try:
        extensions = read_extensions(plan.extensions, plan)
    except (ValueError, OSError, plan_mod.PlanError) as exc:
        console.print(f"[red]descent course check: extensions: {escape(str(exc))}[/red]")
        return 2
    source = plan.extensions
    console.print(
        f"extensions: {len(extensions)}"
        + (
            f" (from {source})"
            if source and source.is_file()
            else f" (no file {source} yet)"
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
