"""``descent bundle OUT [--assignment ID]``: build the student bundle (or one assignment's)."""

from __future__ import annotations

from pathlib import Path

from ..bundle import STALE_NOTE, build_student_bundle, stale_starter
from ..course.release import build_assignment_bundle
from ..kit import kit_root
from ..terminal import console
from .shared import add_assignment_options, assignment, load_plan


def register(sub) -> None:
    p = sub.add_parser("bundle", help="build the student bundle")
    p.add_argument("out")
    add_assignment_options(p, "bundle")
    p.set_defaults(func=cmd_bundle)


def cmd_bundle(args) -> int:
    item = assignment(args)
    if item is not None:
        out = build_assignment_bundle(kit_root(), Path(args.out), load_plan(args), item)
        console.print(f"bundle of assignment {item.id} written to {out}")
        return 0
    out = build_student_bundle(kit_root(), Path(args.out))
    console.print(f"student bundle written to {out}")
    stale = stale_starter(kit_root())
    if stale:
        console.print(STALE_NOTE.format(files=", ".join(stale)), style="yellow", markup=False)
    return 0
