"""The last part of ``descent demo``: one assignment of the sample plan (``course.toml``)
released, graded with a late student and an extension, and exported for Canvas.

Three students hand in assignment a1 (gradient descent and regression), with their times in a
``manifest.csv`` (the sample plan's ``time_source``): ``ana`` on time, ``ben`` two days late,
``cy`` two days late too but with a three-day extension. Only a1's five exercises are graded,
so this costs a few seconds per student.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from rich.markup import escape

from .. import spreadsheet
from . import coursegrade, lms
from .assignbook import read
from .assigned import run
from .batch import Options
from .gradebook import Gradebook
from .lateness import read_extensions
from .plan import load
from .release import build_assignment_bundle

A1 = "a1"


def _class(kit: Path, plan, item, folder: Path) -> Path:
    subs = folder / "submissions-a1"
    for student in ("ana", "ben", "cy"):
        (subs / student).mkdir(parents=True)
        for module in item.modules:
            shutil.copy(kit / "solutions" / f"{module}.py", subs / student / f"{module}.py")
    # ben left the closed form undone: a stub (from the starter) in place of his regression.
    shutil.copy(kit / "starter" / "regression.py", subs / "ben" / "regression.py")
    due = item.due
    early = (due - timedelta(hours=3)).isoformat()
    late = (due + timedelta(days=1, hours=20)).isoformat()
    (subs / "manifest.csv").write_text(
        f"student,submitted_at\nana,{early}\nben,{late}\ncy,{late}\n"
    )
    extensions = folder / "extensions.csv"
    extensions.write_text("student,assignment,due,reason\ncy,a1,+3d,medical note\n")
    plan.extensions = extensions
    roster = folder / "roster.csv"  # the demo's class, in place of the kit's template
    roster.write_text(
        "id,first_name,last_name,email\nana,Ana,Lima,ana@example.edu\n"
        "ben,Ben,Okafor,ben@example.edu\ncy,Cy,Park,cy@example.edu\n"
    )
    plan.roster = roster
    return subs


def run_term(kit: Path, work: Path, console, *, device: str = "cpu") -> int:

    plan = load(kit / "course.toml")
    item = plan.item(A1)
    bundle = build_assignment_bundle(kit, work / "release-a1", plan, item)
    shipped = sorted(p.name for p in (bundle / "starter").glob("*.py") if p.stem != "__init__")
    console.print(
        f"released {item.id} ({escape(item.title)}) to {bundle}: starter/ holds only "
        f"{', '.join(shipped)}"
    )
    subs = _class(kit, plan, item, work)
    out = work / "term-grading"
    code = run(Options(submissions=subs, out=out, device=device), plan, item, kit, console)
    if code != 0:
        return code
    with Gradebook(out / "gradebook.sqlite", writable=False) as book:
        rows = {(g.student, g.assignment): g for g in read(book)}
    inputs = coursegrade.Inputs(code=rows, extensions=read_extensions(plan.extensions, plan))
    students = sorted({s for s, _ in rows})
    at = item.due + timedelta(days=4)  # after cy's extension, before a2 is due
    grades = coursegrade.compute(plan, inputs, students, at)
    table = lms.render("canvas", plan, grades, coursegrade.read_roster(plan.roster), at=at)
    canvas = spreadsheet.render(table)
    path = spreadsheet.write(out / "canvas.csv", canvas)
    console.print(f"Canvas import file {path} (first lines; a1 only so far, the rest not due):")
    for line in canvas.splitlines()[:5]:
        console.print(f"  {escape(line)}", soft_wrap=True)
    return 0
