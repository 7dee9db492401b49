"""``descent gradescope OUT.zip [--assignment ID]``: build a Gradescope autograder archive."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from ..course.gradescope import build
from ..kit import kit_root
from ..terminal import console
from .shared import add_assignment_options, assignment


def register(sub) -> None:
    p = sub.add_parser("gradescope", help="build a Gradescope autograder archive")
    p.add_argument("out", help="the .zip to write")
    add_assignment_options(p, "grade")
    p.set_defaults(func=_cmd_gradescope)


def _cmd_gradescope(args) -> int:
    item = assignment(args)
    out = Path(args.out)
    if out.is_dir():
        raise ValueError(f"{out} is a folder; give the .zip file to write")
    try:
        build(
            kit_root(),
            out,
            selection=item.selection if item else "",
            points=item.points if item else None,
        )
    except OSError as exc:
        console.print(
            f"[red]descent gradescope: cannot write {escape(str(out))}: "
            f"{escape(exc.strerror or str(exc))}[/red]"
        )
        return 2
    console.print(
        f"Gradescope autograder{' for ' + escape(item.id) if item else ''} "
        f"written to {escape(str(out))}"
    )
    return 0
