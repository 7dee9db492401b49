"""``descent audit [--module M] [--corpus all|catalogue|student]``: prove the graders and the
public tests. Every catalogued bug and every student-style bug of the corpus must lose points and
every alternative keep full marks in the hidden graders; in the public tests no hollow answer may
earn points, every alternative keeps full marks, a classic mistake is named and an argument edited
in place is caught (:mod:`descent.audit_public`); exit 1 when one does not."""

from __future__ import annotations

from rich.markup import escape

from ..kit import kit_root
from ..scaffold import MARKER, unfinished
from ..terminal import console
from .shared import device_option, results_path


def register(sub) -> None:
    p = sub.add_parser(
        "audit",
        help="grade every catalogued variant with the hidden graders and the public tests, "
        "and check the outcome",
    )
    p.add_argument(
        "--results",
        help="results JSON path of the hidden graders' run (the public tests' run is written "
        "beside it, as NAME-public.json)",
    )
    p.add_argument(
        "--module",
        action="append",
        metavar="MODULE",
        help="audit only this module's graders and variants (losses, optim, ...); "
        "repeat for several",
    )
    p.add_argument(
        "--corpus",
        choices=["all", "catalogue", "student"],
        default="all",
        help="which bugs to grade: the catalogue (with its alternatives and hollow answers), "
        "the student-style corpus of graders/corpus, or both (default); their figures are "
        "reported apart",
    )
    device_option(p)
    p.set_defaults(func=cmd_audit)


def cmd_audit(args) -> int:
    left = unfinished(kit_root())
    if left:  # a scaffold (descent new-exercise) is not an exercise yet
        console.print(
            f"[red]descent audit: {len(left)} {MARKER} left to fill: "
            f"{escape(', '.join(left))}[/red]"
        )
        return 2
    from ..audit import audit  # start-up cost: the audit loads the catalogue (torch)

    return audit(
        device=args.device,
        console=console,
        results=results_path(args),
        modules=args.module or [],
        corpus=args.corpus,
    )
