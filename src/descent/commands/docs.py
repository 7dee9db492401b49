"""``descent docs [--check]``: remake what the docs hold that is made from the code: the exercise
tables of docs/reference/exercises.md (from the registry and solutions/), the list of generic
diagnoses (from diagnoses/order.py's MODULES: the table of docs/reference/generic-diagnoses.md and
the map in diagnoses/__init__.py), the table of the CSV's columns in docs/how-to/export.md (from
reports/export.py's COLUMNS), and the parts each exercise may call (``registry.PARTS``, from
solutions/), and the reference pages made whole from the code (:func:`reference`: the commands
and their options, the keys of course.toml, the results schema). With ``--check``, exit 1 when
any is stale and change nothing."""

from __future__ import annotations

from ..authoring import (
    column_table,
    course_reference,
    diagnosis_table,
    exercise_table,
    generated_page,
    results_reference,
    reuses,
)
from ..kit import kit_root
from ..terminal import console
from . import reference as command_reference


def reference() -> dict:
    """Each page of docs/reference/ made whole from the code (a ``Path``), with its fresh text."""
    return {
        command_reference.PAGE: command_reference.page(),
        course_reference.PAGE: course_reference.page(),
        results_reference.PAGE: results_reference.page(),
    }


def register(sub) -> None:
    p = sub.add_parser(
        "docs",
        help="remake what the docs hold that is made from the code: the exercise tables, the list "
        "of generic diagnoses, the CSV's columns and the pages of docs/reference/",
    )
    p.add_argument("--check", action="store_true", help="only say whether they are stale")
    p.set_defaults(func=cmd_docs)


def cmd_docs(args) -> int:
    kit = kit_root()
    stale = [exercise_table.PAGE] if exercise_table.update(kit, check=args.check) else []
    stale += diagnosis_table.update(kit, check=args.check)
    stale += column_table.update(kit, check=args.check)
    stale += [reuses.FILE] if reuses.update(kit, check=args.check) else []
    pages = reference()
    for page, text in pages.items():
        stale += generated_page.update(kit, page, text, check=args.check)
    if args.check and stale:
        for path in stale:
            console.print(f"[red]{path}: stale; run `descent docs`[/red]")
        return 1
    if stale:
        console.print("remade: " + ", ".join(str(path) for path in stale))
    else:
        console.print(
            f"{exercise_table.PAGE}, {diagnosis_table.PAGE}, diagnoses/__init__.py, "
            f"{column_table.PAGE}, registry.py's PARTS, "
            + ", ".join(str(page) for page in pages)
            + ": up to date"
        )
    return 0
