"""``descent docs [--check]``: remake the exercise tables of docs/exercises.md from the registry
and solutions/ (with ``--check``, exit 1 when they are stale and change nothing)."""

from __future__ import annotations

from ..authoring.exercise_table import PAGE, update
from ..kit import kit_root
from ..terminal import console


def register(sub) -> None:
    p = sub.add_parser("docs", help="remake docs/exercises.md's tables from the registry")
    p.add_argument("--check", action="store_true", help="only say whether they are stale")
    p.set_defaults(func=cmd_docs)


def cmd_docs(args) -> int:
    stale = update(kit_root(), check=args.check)
    if args.check and stale:
        console.print(f"[red]{PAGE}: the exercise tables are stale; run `descent docs`[/red]")
        return 1
    console.print(f"{PAGE}: " + ("tables remade" if stale else "tables up to date"))
    return 0
