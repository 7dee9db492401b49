"""Options and helpers that several verbs share: the device, the results file, and the
``--plan`` / ``--assignment`` options of ``grade``, ``batch``, ``bundle`` and ``gradescope``."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from ..course import plan as plan_mod
from ..kit import kit_root
from ..terminal import console as default


def device_option(parser) -> None:
    parser.add_argument("--device", choices=["cpu", "cuda", "all"], default="cpu")


def results_path(args) -> Path:
    return Path(args.results) if args.results else kit_root() / ".descent" / "results.json"


def add_assignment_options(parser, what: str) -> None:
    parser.add_argument(
        "--assignment", metavar="ID", help=f"{what} only this assignment of the course plan"
    )
    parser.add_argument(
        "--plan", metavar="FILE", help="the course plan (default: course.toml here, else the kit's)"
    )


def load_plan(args, console=None) -> plan_mod.Plan:
    """The plan named by ``--plan`` (or the default one); a broken plan ends the command with
    its problems listed (exit code 2), never a traceback."""
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
        (console or default).print(
            f"[red]descent {args.command}: {escape('; '.join(exc.problems))}[/red]"
        )
        raise SystemExit(2) from None
