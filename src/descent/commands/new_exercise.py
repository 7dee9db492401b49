"""``descent new-exercise MODULE NAME``: scaffold exercise MODULE.NAME (the work is
:mod:`descent.scaffold`): the registry entry, the reference, the stub, the public and hidden
tests, a catalogued bug and the docs table, each with TODOs that ``descent audit`` refuses to run
past until they are filled."""

from __future__ import annotations

from rich.markup import escape

from ..kit import kit_root
from ..scaffold import MARKER, create
from ..terminal import console

NEXT_STEPS = """next, in this order (docs/authoring.md):
  1. solutions/{module}.py: the docstring (formula, shapes, defaults, edge cases) and the answer
  2. src/descent/registry.py: move the entry into {module}'s list; title, forbidden calls, points
  3. descent stubs; descent docs
  4. exercises/test_{module}.py and graders/test_{module}.py: the checks
  5. graders/catalogue/{module}.py: realistic bugs and alternatives
  6. descent audit --module {module}   (refused while a {marker} is left)
  7. course.toml: put {module}.{name} in an assignment (descent course check lists the others)"""


def register(sub) -> None:
    p = sub.add_parser(
        "new-exercise",
        help="scaffold a new exercise: every file it needs, "
        "with TODOs that the audit refuses until filled",
    )
    p.add_argument("module", help="the student module (losses, optim, ... or a new one)")
    p.add_argument("name", help="the exercise's name in it (also its function's name)")
    p.set_defaults(func=cmd_new_exercise)


def cmd_new_exercise(args) -> int:
    root = kit_root()
    for path in create(root, args.module, args.name):
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        console.print(f"wrote {escape(str(shown))}")
    console.print(escape(NEXT_STEPS.format(module=args.module, name=args.name, marker=MARKER)))
    return 0
