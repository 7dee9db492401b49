"""``descent audit [--module M] [--corpus all|catalogue|student] [--written] [--check-generic |
--record-generic]``: prove the graders and the public tests. Every catalogued bug and every
student-style bug of the corpus must lose points and every alternative keep full marks in the
hidden graders; in the public tests no hollow answer may earn points, every alternative keeps
full marks, a classic mistake is named and an argument edited in place is caught
(:mod:`descent.authoring.audit_public`); exit 1 when one does not. With ``--check-generic`` it is
the pre-emption guard instead (:mod:`descent.authoring.generic_names`): the hidden half only, each
variant's generic names compared with ``graders/generic_names.json`` (a variant not recorded yet
is listed and passes); ``--record-generic`` writes that file. Both replay a module whose inputs
did not change since the guard last graded it (:mod:`descent.authoring.generic_cache`) and grade
the others in ``--jobs`` processes; ``--regrade`` grades every module. With ``--draws K``, every
variant is graded under K secrets and each one whose points or causes move between them is listed
(:mod:`descent.authoring.audit_draws`); ``--labelled DIR`` grades a folder of labelled real
submissions too, under the same K secrets with ``--draws`` (:mod:`descent.authoring.audit_labelled`).
The write-the-tests exercises are audited last
(:mod:`descent.testwriting.audit`), or alone with ``--written``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rich.markup import escape

from .. import options
from ..authoring.scaffold import MARKER, unfinished
from ..errors import DescentError
from ..kit import kit_root
from ..terminal import console
from .shared import device_option, results_path

# The audit grades variants, not the work the checks make the solutions do: say where that is.
BUDGET_HINT = (
    "the graders' work on the solutions is held to graders/budget.toml (tests/test_budget.py): "
    "after adding checks, `descent budget` measures it per module (about half a minute)"
)


def register(sub) -> None:
    p = sub.add_parser(
        "audit",
        help="grade every catalogued variant with the hidden graders and the public tests, "
        "and check the outcome",
    )
    p.add_argument(
        "--results",
        help="results JSON path of the hidden graders' run (the public tests' run is written "
        "beside it, as NAME-public.json; the generic guard's, one per module graded, as "
        "NAME-MODULE.json)",
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
    p.add_argument(
        "--labelled",
        metavar="DIR",
        help="also grade a folder of labelled submissions of real code (DIR/EXPECTED.json and "
        "DIR/subs/ID/, the layout of docs/how-to/labelled-audit.md) through the "
        "worker, and print how many real bugs were caught, correct ones failed, and mistakes "
        "named, given another cause, a menu only or observed only, beside the catalogue's and "
        "the corpus's figures; a cause stated that the label's pattern does not match (a wrong "
        "cause), a real bug missed or correct code failed is a problem (exit 1); with --draws K, "
        "graded under K secrets, and a submission whose points or causes move between them is "
        "a problem too",
    )
    p.add_argument(
        "--written",
        action="store_true",
        help="audit only the write-the-tests exercises (seconds, in this process): their chaffs "
        "are catalogued bugs of the exercise tested, the reference suite of solutions/ passes "
        "every wheat and catches every chaff, and agrees with the public set of "
        "exercises/twins.py (the full audit ends with this too)",
    )
    _guard_options(p)
    device_option(p)
    p.set_defaults(func=cmd_audit)


def _guard_options(p) -> None:
    """``--check-generic`` or ``--record-generic``, and how the guard grades."""
    guard = p.add_mutually_exclusive_group()
    guard.add_argument(
        "--check-generic",
        action="store_true",
        help="the pre-emption guard, after adding or reordering a diagnosis: grade the "
        "catalogue and the corpus with the hidden graders (of --module only: seconds to minutes) "
        "and compare each variant's generic names with graders/generic_names.json; exit 1 with "
        "each variant that moved (before -> after) and each recorded one missing from the run, "
        "0 when none did; a new variant (not recorded yet) is listed, with the command that "
        "records it, and passes. A module is replayed from .descent/generic-names-cache when "
        "nothing that decides its names changed since the guard last graded it (--regrade: "
        "grade all)",
    )
    guard.add_argument(
        "--draws",
        type=_positive,
        metavar="K",
        help="grade the catalogue's variants and the corpus (of --module only) under K secrets "
        "and list each one whose points or named causes differ between the draws; exit 1 when "
        "any does (run it per module: each draw grades them all); with --labelled DIR, that "
        "folder's submissions under the same K secrets",
    )
    p.add_argument(
        "--variant",
        action="append",
        metavar="KIND:ID",
        help="with --draws: grade only this variant (bug:ID, student:ID, alternative:ID, "
        "hollow:ID); repeat for several",
    )
    guard.add_argument(
        "--record-generic",
        action="store_true",
        help="write each variant's generic names to graders/generic_names.json (the whole "
        "catalogue and corpus; with --module, that module's entries only) when a change of "
        "names is meant; commit the file with the change",
    )
    p.add_argument(
        "--regrade",
        action="store_true",
        help="with --check-generic or --record-generic: grade every module's variants again "
        "(the slow mode: the whole catalogue and corpus) instead of replaying what "
        ".descent/generic-names-cache kept for the modules whose grading code, graders, "
        "variants, reference, options and environment did not change",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=options.jobs,
        default=0,
        help="with --check-generic or --record-generic: modules graded at a time, each in a "
        "process of its own (default: one per CPU available)",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 2:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of draws, 2 or more")
    return value


def cmd_audit(args) -> int:
    left = unfinished(kit_root())
    if left:  # a scaffold (descent new-exercise) is not an exercise yet
        console.print(
            f"[red]descent audit: {len(left)} {MARKER} left to fill: "
            f"{escape(', '.join(left))}[/red]"
        )
        return 2
    # start-up cost: the audit loads the catalogue (torch)
    from ..authoring.audit_draws import AUDIT_SECRET
    from ..grading.input_seed import secret_in_environment

    if args.written:
        return _written(args.module or [])
    labelled = Path(args.labelled) if args.labelled else None
    if labelled is not None and not labelled.is_dir():
        raise DescentError(f"--labelled {args.labelled}: no such folder")
    if args.variant and not args.draws:
        raise DescentError("--variant chooses what --draws grades: give --draws K too")
    if args.draws:
        return _draws(args, labelled)
    # what a class gets (inputs keyed to the code), under one secret on every machine
    with secret_in_environment(AUDIT_SECRET):
        return _audit(args, labelled)


def _draws(args, labelled: Path | None) -> int:
    # start-up cost: the audit loads the catalogue (torch)
    from ..authoring import audit_labelled
    from ..authoring.audit import SPECS, suites_of
    from ..authoring.audit_draws import draws

    suites = suites_of(args.module or [], console)
    if suites is None:
        return 2
    # a folder of another layout is refused before anything is graded
    subs = audit_labelled.load(labelled, args.module or []) if labelled is not None else []
    code = draws(
        args.draws,
        suites=suites,
        specs=args.variant or SPECS[args.corpus],
        device=args.device,
        console=console,
        path=results_path(args),
    )
    if labelled is None:
        return code
    found = audit_labelled.report(
        subs,
        labelled,
        draws=args.draws,
        device=args.device,
        results=results_path(args),
        console=console,
    )
    return max(code, found)


def _audit(args, labelled: Path | None) -> int:
    # start-up cost: the audit loads the catalogue (torch)
    from ..authoring.audit import audit, generic_guard

    if args.check_generic or args.record_generic:
        if labelled is not None:
            raise DescentError("--labelled measures the feedback: leave out the generic guard")
        if args.corpus != "all":
            raise DescentError(
                "the generic names are recorded and checked for the catalogue and the corpus "
                "together: leave out --corpus"
            )
        return generic_guard(
            record=args.record_generic,
            device=args.device,
            console=console,
            results=results_path(args),
            modules=args.module or [],
            regrade=args.regrade,
            jobs=args.jobs or _cpus(),
        )
    if args.regrade:
        raise DescentError("--regrade goes with --check-generic or --record-generic")
    code = audit(
        device=args.device,
        console=console,
        results=results_path(args),
        modules=args.module or [],
        corpus=args.corpus,
        labelled=labelled,
    )
    code = code if args.corpus == "student" else max(code, _written(args.module or []))
    console.print(BUDGET_HINT)
    return code


def _cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _written(modules: list[str]) -> int:
    """The write-the-tests half (descent.testwriting.audit): 1 when it finds a problem."""
    # start-up cost: the audit loads the catalogue (torch)
    from ..testwriting import audit as written

    found = written.audit(kit_root(), modules)
    for line in written.lines(found):
        console.print(line, markup=False)
    if not found:
        console.print("no write-the-tests exercise in these modules", markup=False)
    return 1 if any(f.problems for f in found) else 0
