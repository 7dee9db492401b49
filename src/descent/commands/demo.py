"""``descent demo``: bundle, grade the solutions and a sample submission, then a sample class
(``descent batch``), then one assignment of the course plan. Exit 0 when every part did what it
should."""

from __future__ import annotations

import tempfile
from pathlib import Path

from .. import results, terminal_report
from ..bundle import STALE_NOTE, build_student_bundle, stale_starter
from ..course.demo import grade_class
from ..course.termdemo import run_term
from ..kit import kit_root, run_pytest
from ..terminal import console
from .shared import device_option, results_path


def register(sub) -> None:
    p = sub.add_parser("demo", help="bundle, grade the solutions and a sample, print the report")
    p.add_argument("--results", help="results JSON path")
    device_option(p)
    p.set_defaults(func=cmd_demo)


def cmd_demo(args) -> int:
    root = kit_root()
    out = Path(tempfile.mkdtemp(prefix="descent-bundle-"))
    bundle = build_student_bundle(root, out / "student")
    console.rule("1. student bundle")
    console.print(
        f"built {bundle} ({sum(1 for _ in bundle.rglob('*.py'))} Python files, "
        f"no solutions or graders)"
    )
    stale = stale_starter(root)
    if stale:
        console.print(STALE_NOTE.format(files=", ".join(stale)), style="yellow", markup=False)
    console.rule("2. hidden graders: the reference solutions and a sample submission")
    path = results_path(args)
    sample = root / "samples" / "partial"
    code = run_pytest("graders", ["solutions", str(sample)], device=args.device, results=path)
    if code not in (0, 1):
        console.print(f"[red]grading did not complete (pytest exit code {code})[/red]")
        return code
    doc = results.load(path)
    terminal_report.render(doc, console)
    by_name = {b["name"]: b for b in doc["implementations"]}
    ref = by_name["solutions"]
    ok = ref["points"] == ref["max_points"] > 0
    console.print(
        f"[{'green' if ok else 'red'}]solutions: {ref['points']:g}/{ref['max_points']:g}"
        f"[/]; results in {path}"
    )
    console.rule("3. a whole class with descent batch")
    batch = grade_class(root, out, console, device=args.device)
    console.rule(
        "4. a term: one assignment of course.toml released, graded with late work, exported"
    )
    term = run_term(root, out, console, device=args.device)
    return 0 if ok and batch == 0 and term == 0 else 1
