"""``descent course check [--plan course.toml]`` validates the course plan and prints the term
(with each assignment's late policy as it will be applied); ``descent course merge BUNDLE
WORKING_COPY`` brings a new assignment's bundle into a student's working copy, keeping their
work; ``descent course set-time STUDENT ASSIGNMENT TIME --why TEXT`` records a submission time
by hand (``--unset`` forgets it); ``descent course drop STUDENT ASSIGNMENT --reason TEXT``
leaves an entry that is nobody's out of the term (``--undo`` brings it back); ``descent course
sync-nbgrader`` writes the plan's due dates into nbgrader's database. Each checks everything it
reads first (the plan, the roster, the extensions) and changes nothing on bad input (exit 2)."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from ..course import lateness, nbrecords, nbsync, termhand
from ..course import plan as plan_mod
from ..course.release import merge
from ..course.roster import read_roster
from ..terminal import console
from .shared import load_plan

DEFAULT_GRADEBOOK = "descent-grading/gradebook.sqlite"
# Where a lab's or quiz's time comes from: what nbgrader wrote at submit, in the copy collect
# brought into submitted/ (checked against the exchange; course/nbrecords.py), never the export.
NBGRADER_TIMES = "nbgrader submit (collected timestamp.txt)"


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
    t.add_argument("time", nargs="?", help="2027-01-18T23:10 (no offset: the course's time zone)")
    t.add_argument("--why", help="the reason, kept with the time (required to set one)")
    t.add_argument(
        "--force",
        metavar="REASON",
        help="keep a time outside the item's release and the end of term, for this reason",
    )
    t.add_argument("--unset", action="store_true", help="forget the time set by hand")
    t.add_argument("--plan", metavar="FILE", help="the plan (default: course.toml here)")
    t.add_argument("--gradebook", default=DEFAULT_GRADEBOOK, help=f"default {DEFAULT_GRADEBOOK}")
    t.set_defaults(func=_cmd_set_time)
    d = inner.add_parser(
        "drop", help="leave an entry that is nobody's out of the term (--undo brings it back)"
    )
    d.add_argument("student", help="the entry's id (not a roster student)")
    d.add_argument("assignment", help="an assignment of the plan (code or nbgrader)")
    d.add_argument("--reason", help="why it is dropped, kept with it (required to drop)")
    d.add_argument("--undo", action="store_true", help="bring a dropped entry back")
    d.add_argument("--plan", metavar="FILE", help="the plan (default: course.toml here)")
    d.add_argument("--gradebook", default=DEFAULT_GRADEBOOK, help=f"default {DEFAULT_GRADEBOOK}")
    d.set_defaults(func=_cmd_drop)
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
            item.time_source if code else NBGRADER_TIMES,
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
    console.print(
        f"term: {_local(plan.term_start, plan)} to {_local(plan.term_end, plan)} "
        f"({'[course] end' if plan.end else 'the last due date + 60 days'}; a time set by hand "
        f"outside it needs --force)"
    )
    return _check_people(plan)


def _check_people(plan) -> int:
    try:
        roster = read_roster(plan.roster)
    except (ValueError, OSError) as exc:
        console.print(f"[red]descent course check: {escape(str(exc))}[/red]")
        return 2
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
    if _check_nbgrader(plan):
        return 2
    console.print("[green]the plan is valid[/green]")
    return 0


def _check_nbgrader(plan) -> bool:
    """Print how nbgrader's times will be read; True when they cannot be (a problem)."""
    if not any(i.kind == plan_mod.NBGRADER for i in plan.items):
        return False
    records = nbrecords.Records(plan.nbgrader_course)
    if records.problem:
        console.print(f"[red]descent course check: nbgrader: {escape(records.problem)}[/red]")
        return True
    found = records.settings
    console.print(
        f"nbgrader writes its submission times in {escape(found.timezone)} "
        f"({escape(found.timestamp_format)}); they are read in that zone"
    )
    if "%z" in found.timestamp_format or "+" in found.timestamp_format.replace("%z", ""):
        console.print(
            "[yellow]nbgrader's Exchange.timestamp_format writes a '+' into the exchange's "
            "folder names, which nbgrader collect splits on: it then names students such as "
            "'ana+lab1'. Use a format without %z (the default writes the zone's name)[/yellow]"
        )
    return False


def _local(moment, plan) -> str:
    return moment.astimezone(plan.timezone).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _people(plan) -> None:
    """Read the roster and the extensions, refusing (before any change) either that is bad."""
    roster = read_roster(plan.roster)
    lateness.read_extensions(plan.extensions, plan, set(roster))


def _cmd_merge(args) -> int:
    report = merge(Path(args.bundle), Path(args.working_copy), dry_run=args.dry_run)
    for line in report.lines():
        console.print(escape(line))
    return 0


def _cmd_set_time(args) -> int:
    plan = load_plan(args)
    item = plan.item(args.assignment)
    _people(plan)
    roster = read_roster(plan.roster)
    if roster and args.student not in roster:
        raise ValueError(f"no student {args.student!r} in the roster ({plan.roster})")
    if args.unset:
        if args.time or args.why or args.force:
            raise ValueError("--unset takes no TIME, --why or --force")
        before, after = termhand.unset_time(args.gradebook, plan, item, args.student)
        console.print(f"{escape(args.student)}, {escape(item.id)}: the time set by hand is unset")
        _show_change(before, after, item)
        return 0
    if not args.time:
        raise ValueError("give the TIME (2027-01-18T23:10), or --unset")
    if not (args.why or "").strip():
        raise ValueError("--why must say why the time is set by hand")
    at = lateness.parse_time(args.time, plan.timezone)
    before, after = termhand.set_time(
        args.gradebook, plan, item, args.student, at, args.why, args.force
    )
    console.print(
        f"{escape(args.student)}, {escape(item.id)}: submitted "
        f"{lateness.local(at, plan.timezone)} (set by hand: {escape(args.why.strip())}); it "
        f"holds for the submission there now, and lapses if another comes in"
    )
    _show_change(before, after, item)
    return 0


def _show_change(before, after, item) -> None:
    if before and after:
        console.print(
            f"final {before.final:g} -> {after.final:g}/{after.max_points:g}"
            + (f" ({escape(after.reason)})" if after.reason else "")
            + "; the student's report is written again"
        )
    elif item.kind != plan_mod.CODE:
        console.print("`descent grades` applies it to nbgrader's score")


def _cmd_drop(args) -> int:
    plan = load_plan(args)
    item = plan.item(args.assignment)
    _people(plan)
    if args.undo:
        if args.reason:
            raise ValueError("--undo takes no --reason")
        termhand.undrop(args.gradebook, item, args.student)
        console.print(f"{escape(args.student)}, {escape(item.id)}: back in the term")
        return 0
    termhand.drop(args.gradebook, plan, item, args.student, args.reason or "")
    console.print(
        f"{escape(args.student)}, {escape(item.id)}: dropped ({escape(args.reason.strip())}); "
        f"left out of every table, course grade and file (--undo brings it back)"
    )
    return 0


def _cmd_sync(args) -> int:
    plan = load_plan(args)
    roster = read_roster(plan.roster)
    extensions = lateness.read_extensions(plan.extensions, plan, set(roster))
    lines = nbsync.sync(plan, extensions)
    for line in lines or ["nbgrader's database already has the plan's due dates"]:
        console.print(escape(line))
    return 0
