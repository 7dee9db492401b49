"""``descent check [IMPL]``: the public tests (the student's view), then points per topic and
the next exercise to do. Exit codes: pytest's (0 all passed, 1 some failed, 2 and above the run
did not complete)."""

from __future__ import annotations

from rich.markup import escape

from .. import results
from ..grading import progress
from ..kit import run_pytest, student_root
from ..reports import pictures
from ..terminal import console
from .shared import device_option


def register(sub) -> None:
    p = sub.add_parser("check", help="run the public tests: points per topic and what to do next")
    p.add_argument("impl", nargs="?", default="starter")
    device_option(p)
    p.set_defaults(func=cmd_check)


def cmd_check(args) -> int:
    """The public tests, then points per topic and the next exercise to do."""
    root = student_root()
    path = root / ".descent" / "results.json"
    code = run_pytest("exercises", [args.impl], device=args.device, results=path, root=root)
    if code not in (0, 1):
        console.print(f"[red]the public tests did not complete (pytest exit code {code})[/red]")
        return code
    if not path.is_file():  # the run wrote none (removed at its start): never a silent pass
        console.print(
            "[red]the public tests wrote no results: the run ended early (see the "
            "output above)[/red]"
        )
        return 2
    doc = results.load(path)
    progress.render(doc, console)
    console.print(f"[dim]details: pytest exercises/ (results in {path})[/dim]")
    said = pictures.write_and_say(doc, path.parent)
    if said:
        console.print(f"[dim]{escape(said)}[/dim]")
    return code
