"""``descent new-exercise MODULE NAME [--title T] [--pair] [--tests]``: scaffold exercise
MODULE.NAME in its module's conventions (the work is :mod:`descent.authoring.scaffold`): the
registry entry, the reference, the stub, the public and hidden tests, a catalogued bug, the
literal alternative and the docs table, each with TODOs that ``descent audit`` refuses to run past
until they are filled. With ``--tests``, the write-the-tests exercise of MODULE.NAME instead
(:mod:`descent.authoring.scaffold_written`)."""

from __future__ import annotations

from rich.markup import escape

from ..authoring import scaffold_written
from ..authoring.scaffold import MARKER, create
from ..kit import kit_root
from ..terminal import console

NEXT_STEPS = """next, in this order (docs/how-to/author-exercises.md):
  1. solutions/{module}.py: the docstring (formula, shapes, defaults, edge cases) and the answer
  2. src/descent/registry.py: the entry's title, forbidden calls and points, where a TODO asks
  3. descent stubs; descent docs
  4. exercises/test_{module}.py and graders/test_{module}.py: the checks
  5. graders/catalogue/{module}.py: realistic bugs and alternatives; and
     graders/catalogue/literal.py: the docstring's formula typed literally (every exercise has it)
  6. descent audit --module {module}   (refused while a {marker} is left)
  7. descent audit --module {module} --record-generic: record the new variants' generic names,
     and commit graders/generic_names.json with the exercise (until then
     descent audit --module {module} --check-generic lists them as new)
  8. descent budget: the graders' work on the solutions against graders/budget.toml (the kit's
     tests fail past it; descent budget --record for a deliberate increase, committed with it)
  9. course.toml: put {module}.{name} in an assignment (descent course check lists the others)"""

NEXT_STEPS_TESTS = """next, in this order (docs/how-to/testwriting-exercise.md):
  1. src/descent/testwriting/declared.py: the cache's position, where a TODO asks
  2. graders/written_tests.py: keep the chaffs a test can catch, and weigh them (seen=)
  3. solutions/test_{name}.py: the reference suite, the student's template's first test
     between the solution markers (descent stubs makes starter/test_{name}.py from it)
  4. exercises/twins.py: a public wheat (a library twin) and chaffs the docstring warns of
  5. descent audit --written --module {module}   (refused while a {marker} is left)
  6. course.toml: put {module}.{name}.tests in an assignment"""


def register(sub) -> None:
    p = sub.add_parser(
        "new-exercise",
        help="scaffold a new exercise: every file it needs, "
        "with TODOs that the audit refuses until filled",
    )
    p.add_argument("module", help="the student module (losses, optim, ... or a new one)")
    p.add_argument(
        "name",
        help="the exercise's name in it; its functions follow the module's convention "
        "(optim: NAME_step; losses, activations, normalization: NAME_forward and NAME_backward; "
        "elsewhere: NAME)",
    )
    p.add_argument("--title", help="its title in the registry and the docs (default: a TODO)")
    p.add_argument(
        "--pair",
        action="store_true",
        help="a forward/backward pair (NAME_forward, NAME_backward) in a module whose "
        "exercises are not all pairs",
    )
    p.add_argument(
        "--tests",
        action="store_true",
        help="the write-the-tests exercise of MODULE.NAME, an exercise the kit has: the student "
        "writes tests, graded against its correct versions and catalogued mistakes",
    )
    p.set_defaults(func=cmd_new_exercise)


def cmd_new_exercise(args) -> int:
    root = kit_root()
    if args.tests:
        done = scaffold_written.create(root, args.module, args.name)
        steps = NEXT_STEPS_TESTS
    else:
        done = create(root, args.module, args.name, title=args.title, pair=args.pair)
        steps = NEXT_STEPS
    for path in done.written:
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        console.print(f"wrote {escape(str(shown))}")
    if done.unformatted:  # the kit's tests would refuse them as they are
        console.print(
            "[yellow]ruff is not installed (./dev shell installs it): run ruff format on "
            f"{escape(', '.join(map(str, done.unformatted)))}[/yellow]"
        )
    console.print(escape(steps.format(module=args.module, name=args.name, marker=MARKER)))
    return 0
