"""The ``descent`` command.

    descent grade PATH|solutions|starter [...]   grade implementations with the hidden graders
    descent check [IMPL]                         run the public exercises (the student's view)
    descent audit [--module M]                   prove the graders: every catalogued bug loses
                                                 points, every alternative keeps full marks
    descent stubs [--check]                      regenerate starter/ from solutions/
    descent bundle OUT                           build the student bundle
    descent report RESULTS.json                  print a results file again
    descent demo                                 bundle, grade the solutions and a sample
                                                 submission, then a sample class (batch), then
                                                 one assignment of the course plan
    descent course check | merge                 the course plan (course.toml); see also
    descent grades                               --assignment on grade, batch, bundle
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.markup import escape

from . import options, timelimit
from .course.termcli import add_assignment_options, assignment, load_plan
from .kit import kit_root, run_pytest, student_root
from .terminal import console

# Modules of this package that add subcommands through ``register(subparsers)``.
_PLUGGABLE_COMMANDS = ("export", "gradebook", "course.commands", "course.termcli")


def _results_path(args) -> Path:
    return Path(args.results) if args.results else kit_root() / ".descent" / "results.json"


def cmd_grade(args) -> int:
    from . import report, results

    from .plugin_isolation import refusal

    path = _results_path(args)
    why = refusal(args.impl, args.isolation, args.insecure, args.device)
    if why:
        console.print(f"[red]descent grade: {escape(why)}[/red]")
        return 2
    item = assignment(args)
    if item is not None:   # only the assignment's exercises are graded and reported
        from .course.assigned import selection

        args.k = selection(item, args.k)
    extra = ["-k", args.k] if args.k else []
    extra += options.pytest_args(args)
    if args.verbose:   # pytest's own output, then the one table below
        extra += ["--no-grade-summary", "-v"]
    code = run_pytest(args.suite, args.impl, device=args.device, results=path,
                      extra=extra, quiet=not args.verbose)
    if code not in (0, 1):
        console.print(f"[red]grading did not complete (pytest exit code {code})[/red]")
        return code
    doc = results.load(path)
    report.render(doc, console, detail=args.verbose)
    if item is not None:
        from .course.assigned import scaled

        for block in doc["implementations"]:
            # the block's name is the submission folder's, chosen by a student: text, not markup
            console.print(f"assignment {escape(item.id)}: {escape(block['name'])}: "
                          f"{scaled(block['points'], block['max_points'], item):g}/"
                          f"{item.points:g} points")
    console.print(f"[dim]results: {path}[/dim]")
    if args.html:
        from .course.html import write_for_grade

        for page in write_for_grade(doc, path.parent, Path(args.html)):
            console.print(f"[dim]HTML report: {page}[/dim]")
    return 0 if args.exit_zero else grade_exit_code(code, doc)


def grade_exit_code(pytest_code: int, doc: dict) -> int:
    """``descent grade``'s status: 0 when every graded implementation kept all its points, 1
    when one lost any (a failed check, or a score set to 0 after the tests, such as a borrowed
    library call), pytest's own code (2 and above) when the grading did not complete."""
    if pytest_code not in (0, 1):
        return pytest_code
    lost = any(b["points"] < b["max_points"] for b in doc.get("implementations", []))
    return 1 if lost else 0


def cmd_stubs(args) -> int:
    from .stubgen import generate

    root = kit_root()
    differ = generate(root / "solutions", root / "starter", check=args.check)
    if args.check:
        if differ:
            console.print(f"[red]starter/ is out of date: {', '.join(differ)}; run `descent "
                          f"stubs`[/red]")
            return 1
        console.print("starter/ matches solutions/")
        return 0
    console.print(f"regenerated: {', '.join(differ) or 'nothing changed'}")
    return 0


def cmd_report(args) -> int:
    from . import report, results

    if args.class_book:
        from .course.analytics import cmd_class

        return cmd_class(args.class_book, args.charts, console)
    if not args.results_file:
        raise ValueError("give a results file, or --class GRADEBOOK")
    report.render(results.load(args.results_file), console, detail=args.verbose)
    return 0


def cmd_bundle(args) -> int:
    from .bundle import build_student_bundle

    item = assignment(args)
    if item is not None:
        from .course.release import build_assignment_bundle

        out = build_assignment_bundle(kit_root(), Path(args.out), load_plan(args), item)
        console.print(f"bundle of assignment {item.id} written to {out}")
        return 0
    out = build_student_bundle(kit_root(), Path(args.out))
    console.print(f"student bundle written to {out}")
    return 0


def cmd_audit(args) -> int:
    from .audit import audit

    return audit(device=args.device, console=console, results=_results_path(args),
                 modules=args.module or [])


def cmd_check(args) -> int:
    """The public tests, then points per topic and the next exercise to do."""
    from . import progress, results

    root = student_root()
    path = root / ".descent" / "results.json"
    code = run_pytest("exercises", [args.impl], device=args.device, results=path, root=root)
    if code not in (0, 1):
        console.print(f"[red]the public tests did not complete (pytest exit code {code})[/red]")
        return code
    if not path.is_file():   # the run wrote none (removed at its start): never a silent pass
        console.print("[red]the public tests wrote no results: the run ended early (see the "
                      "output above)[/red]")
        return 2
    progress.render(results.load(path), console)
    console.print(f"[dim]details: pytest exercises/ (results in {path})[/dim]")
    return code


def cmd_demo(args) -> int:
    import tempfile

    from . import report, results
    from .bundle import build_student_bundle

    root = kit_root()
    out = Path(tempfile.mkdtemp(prefix="descent-bundle-"))
    bundle = build_student_bundle(root, out / "student")
    console.rule("1. student bundle")
    console.print(f"built {bundle} ({sum(1 for _ in bundle.rglob('*.py'))} Python files, "
                  f"no solutions or graders)")
    console.rule("2. hidden graders: the reference solutions and a sample submission")
    path = _results_path(args)
    sample = root / "samples" / "partial"
    code = run_pytest("graders", ["solutions", str(sample)], device=args.device, results=path)
    if code not in (0, 1):
        console.print(f"[red]grading did not complete (pytest exit code {code})[/red]")
        return code
    doc = results.load(path)
    report.render(doc, console)
    by_name = {b["name"]: b for b in doc["implementations"]}
    ref = by_name["solutions"]
    ok = ref["points"] == ref["max_points"] > 0
    console.print(f"[{'green' if ok else 'red'}]solutions: {ref['points']:g}/{ref['max_points']:g}"
                  f"[/]; results in {path}")
    console.rule("3. a whole class with descent batch")
    from .course.demo import grade_class

    batch = grade_class(root, out, console, device=args.device)
    console.rule("4. a term: one assignment of course.toml released, graded with late work, "
                 "exported")
    from .course.termdemo import run_term

    term = run_term(root, out, console, device=args.device)
    return 0 if ok and batch == 0 and term == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="descent", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def device_option(p):
        p.add_argument("--device", choices=["cpu", "cuda", "all"], default="cpu")

    p = sub.add_parser("grade", help="grade implementations with the hidden graders")
    p.add_argument("impl", nargs="+", help="submission folder, starter, solutions, bug:ID, ...")
    p.add_argument("--suite", default="graders", choices=["graders", "exercises"])
    p.add_argument("--results", help="results JSON path (default .descent/results.json)")
    p.add_argument("--html", metavar="FILE", help="also write the student's HTML report")
    p.add_argument("-k", help="pytest -k expression to select tests")
    p.add_argument("--verbose", "-v", action="store_true", help="show pytest's own output")
    p.add_argument("--exit-zero", action="store_true",
                   help="exit 0 even when points are lost (default: 1 when any implementation "
                        "lost points, 2 or more when grading did not complete)")
    add_assignment_options(p, "grade")
    options.add_to_argparse(p)
    device_option(p)
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("check", help="run the public tests: points per topic and what to do next")
    p.add_argument("impl", nargs="?", default="starter")
    device_option(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("audit", help="grade every catalogued variant and check the outcome")
    p.add_argument("--results", help="results JSON path")
    p.add_argument("--module", action="append", metavar="MODULE",
                   help="audit only this module's graders and variants (losses, optim, ...); "
                        "repeat for several")
    device_option(p)
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("stubs", help="regenerate starter/ from solutions/")
    p.add_argument("--check", action="store_true", help="only report differences")
    p.set_defaults(func=cmd_stubs)

    p = sub.add_parser("bundle", help="build the student bundle")
    p.add_argument("out")
    add_assignment_options(p, "bundle")
    p.set_defaults(func=cmd_bundle)

    p = sub.add_parser("report", help="print a results file, or a class report (--class)")
    p.add_argument("results_file", nargs="?")
    p.add_argument("--class", dest="class_book", metavar="GRADEBOOK",
                   help="class report from a `descent batch` gradebook: per exercise mean, pass "
                        "rate and most frequent named mistakes, with PNG charts")
    p.add_argument("--charts", metavar="DIR", help="with --class: where the charts go "
                                                   "(default: class-report/ by the gradebook)")
    p.add_argument("--verbose", "-v", action="store_true", help="list every failing check")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("demo", help="bundle, grade the solutions and a sample, print the report")
    p.add_argument("--results", help="results JSON path")
    device_option(p)
    p.set_defaults(func=cmd_demo)

    # Command groups that live in their own modules register themselves here.
    import importlib

    for name in _PLUGGABLE_COMMANDS:
        try:
            module = importlib.import_module(f"descent.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"descent.{name}":
                raise
            continue
        module.register(sub)

    args = parser.parse_args(argv)
    from .bundle import BundleError
    from .stubgen import StubError

    try:
        return args.func(args)
    except (BundleError, StubError, FileNotFoundError, ValueError) as exc:
        console.print(f"[red]descent {args.command}: {escape(str(exc))}[/red]")
        return 2


if __name__ == "__main__":
    sys.exit(main())
