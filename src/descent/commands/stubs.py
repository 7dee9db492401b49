"""``descent stubs [--check] [--force]``: regenerate starter/ from solutions/ (with ``--check``,
exit 1 when starter/ is out of date). A starter file holding code or comments of the learner's
is never replaced (its fresh stub goes beside it as ``FILE.py.new``) unless ``--force``."""

from __future__ import annotations

from ..kit import kit_root
from ..stubgen import generate, write_stubs
from ..terminal import console


def register(sub) -> None:
    p = sub.add_parser("stubs", help="regenerate starter/ from solutions/")
    p.add_argument("--check", action="store_true", help="only report differences")
    p.add_argument(
        "--force",
        action="store_true",
        help="also replace starter files that hold your own code (it is lost)",
    )
    p.set_defaults(func=cmd_stubs)


def cmd_stubs(args) -> int:
    root = kit_root()
    if args.check:
        differ = generate(root / "solutions", root / "starter", check=True)
        if differ:
            console.print(
                f"[red]starter/ is out of date: {', '.join(differ)}; `descent stubs` rewrites "
                f"the files that hold nothing of yours[/red]"
            )
            return 1
        console.print("starter/ matches solutions/")
        return 0
    report = write_stubs(root / "solutions", root / "starter", force=args.force)
    changed = report.written + report.removed
    console.print(f"regenerated: {', '.join(changed) or 'nothing changed'}")
    if report.kept:
        console.print(
            f"[yellow]kept, because they hold your own code: {', '.join(report.kept)}; each "
            f"fresh stub is beside it as FILE.py.new (`descent stubs --force` replaces them, "
            f"and your code is lost)[/yellow]"
        )
        return 1
    return 0
