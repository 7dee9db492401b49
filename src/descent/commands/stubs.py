"""``descent stubs [--check]``: regenerate starter/ from solutions/ (with ``--check``, exit 1
when starter/ is out of date)."""

from __future__ import annotations

from ..kit import kit_root
from ..stubgen import generate
from ..terminal import console


def register(sub) -> None:
    p = sub.add_parser("stubs", help="regenerate starter/ from solutions/")
    p.add_argument("--check", action="store_true", help="only report differences")
    p.set_defaults(func=cmd_stubs)


def cmd_stubs(args) -> int:
    root = kit_root()
    differ = generate(root / "solutions", root / "starter", check=args.check)
    if args.check:
        if differ:
            console.print(
                f"[red]starter/ is out of date: {', '.join(differ)}; run `descent stubs`[/red]"
            )
            return 1
        console.print("starter/ matches solutions/")
        return 0
    console.print(f"regenerated: {', '.join(differ) or 'nothing changed'}")
    return 0
