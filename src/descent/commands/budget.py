"""``descent budget [--record]``: the work the hidden graders make the reference solutions do,
per grader module, against the budgets of ``graders/budget.toml`` (exit 1 when a module is past
one); ``--record`` measures again and rewrites the file, for a deliberate increase."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from .. import budget
from ..kit import kit_root
from ..terminal import console


def register(sub) -> None:
    p = sub.add_parser("budget", help="the graders' work on the solutions against their budget")
    p.add_argument(
        "--record",
        action="store_true",
        help=f"write {budget.BUDGET_FILE} again from this measurement (a deliberate increase)",
    )
    p.set_defaults(func=cmd_budget)


def cmd_budget(args) -> int:
    root = kit_root()
    console.print("[dim]grading the solutions with the work counter (about half a minute)[/dim]")
    measured = budget.measure(root)
    if args.record:
        path = budget.record(root, measured)
        console.print(f"wrote {path}: commit it with the change that needs it")
        budgets, _ = budget.load(root)
        show(measured, budgets)
        return 0
    budgets, _ = budget.load(root)
    show(measured, budgets)
    overruns = budget.over(measured, budgets)
    for overrun in overruns:
        console.print(f"[red]{escape(overrun.message())}[/red]")
    return 1 if overruns else 0


def show(measured: budget.Counts, budgets: budget.Counts) -> None:
    """One row per grader module: each count as measured / budget."""
    table = Table(title="work on the reference solutions (measured / budget)")
    table.add_column("module")
    for count in budget.COUNTS:
        table.add_column(count, justify="right")
    for module in sorted(measured):
        cells = []
        for count in budget.COUNTS:
            value, limit = measured[module][count], budgets.get(module, {}).get(count, 0)
            cell = f"{value:,} / {limit:,}"
            cells.append(f"[red]{cell}[/red]" if value > limit else cell)
        table.add_row(module, *cells)
    console.print(table)
