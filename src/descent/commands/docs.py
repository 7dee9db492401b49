"""``descent docs [--check]``: remake what the docs hold that is made from the code: the exercise
tables of docs/exercises.md (from the registry and solutions/), the list of generic diagnoses
(from diagnoses/order.py's MODULES: the table of docs/authoring.md and the map in
diagnoses/__init__.py), the table of the CSV's columns in docs/course.md (from
reports/export.py's COLUMNS), and the parts each exercise may call (``registry.PARTS``, from
solutions/). With ``--check``, exit 1 when any is stale and change nothing."""

from __future__ import annotations

from ..authoring import column_table, diagnosis_table, exercise_table, reuses
from ..kit import kit_root
from ..terminal import console


def register(sub) -> None:
    p = sub.add_parser(
        "docs",
        help="remake docs/exercises.md's tables, the list of generic diagnoses and the CSV's "
        "columns from the code",
    )
    p.add_argument("--check", action="store_true", help="only say whether they are stale")
    p.set_defaults(func=cmd_docs)


def cmd_docs(args) -> int:
    kit = kit_root()
    stale = [exercise_table.PAGE] if exercise_table.update(kit, check=args.check) else []
    stale += diagnosis_table.update(kit, check=args.check)
    stale += column_table.update(kit, check=args.check)
    stale += [reuses.FILE] if reuses.update(kit, check=args.check) else []
    if args.check and stale:
        for path in stale:
            console.print(f"[red]{path}: stale; run `descent docs`[/red]")
        return 1
    if stale:
        console.print("remade: " + ", ".join(str(path) for path in stale))
    else:
        console.print(
            "docs/exercises.md, docs/authoring.md, diagnoses/__init__.py, docs/course.md, "
            "registry.py's PARTS: up to date"
        )
    return 0
