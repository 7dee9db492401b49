"""``descent audit [--module M]``: prove the graders. Every catalogued bug must lose points and
every alternative keep full marks; exit 1 when one does not."""

from __future__ import annotations

from ..terminal import console
from .shared import device_option, results_path


def register(sub) -> None:
    p = sub.add_parser("audit", help="grade every catalogued variant and check the outcome")
    p.add_argument("--results", help="results JSON path")
    p.add_argument("--module", action="append", metavar="MODULE",
                   help="audit only this module's graders and variants (losses, optim, ...); "
                        "repeat for several")
    device_option(p)
    p.set_defaults(func=cmd_audit)


def cmd_audit(args) -> int:
    from ..audit import audit   # start-up cost: the audit loads the catalogue (torch)

    return audit(device=args.device, console=console, results=results_path(args),
                 modules=args.module or [])
