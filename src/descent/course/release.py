"""Releasing a course one assignment at a time: the assignment's bundle, and merging it into a
student's working copy.

``descent bundle OUT --assignment ID`` builds the ordinary student bundle
(:func:`descent.authoring.bundle.build_student_bundle`: no solution, no hidden test, checked for leaks)
and keeps only the stubs and public tests of the modules of this assignment and of those
released before it (an exercise such as the capstone uses the student's own earlier parts).
Nothing of a later assignment stays; the README gains the assignment's exercises and due date.

``descent course merge BUNDLE WORKING_COPY`` brings a new bundle into a working copy without
losing work: a file the working copy lacks is added; a student's module under ``starter/`` that
already exists is never touched (when the new stub has names the student's file lacks, it is
put beside it as ``NAME.py.new``); the kit's own files (public tests, the ``descent`` tooling,
README, workflow, ``pyproject.toml``) are replaced by the new version; nothing is deleted.
"""

from __future__ import annotations

import ast
import filecmp
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..authoring.bundle import BundleError, build_student_bundle
from ..exercises import EXERCISES
from ..testwriting import declared as written_tests
from .plan import Item, Plan

STUDENT_WORK = "starter"


def released_items(plan: Plan, item: Item) -> list[Item]:
    """The code assignments a student has once ``item`` is out: every earlier one (released
    before it, or listed before it when neither has a release date), then ``item``."""
    code = plan.code
    index = code.index(item)
    earlier = [
        i
        for n, i in enumerate(code)
        if n < index and (i.release is None or item.release is None or i.release <= item.release)
    ]
    return [*earlier, item]


def released_modules(plan: Plan, item: Item) -> list[str]:
    """The modules a student has once ``item`` is out: its own and every earlier assignment's."""
    return list(dict.fromkeys(m for i in released_items(plan, item) for m in i.modules))


def released_test_files(plan: Plan, item: Item) -> list[str]:
    """The stems of the test files (``test_mse``) of the write-the-tests exercises a student has
    once ``item`` is out (its own and every earlier assignment's)."""
    ids = {e for i in released_items(plan, item) for e in i.exercises}
    return [w.file.removesuffix(".py") for w in written_tests.EXERCISES.values() if w.id in ids]


def build_assignment_bundle(kit: Path, out: Path, plan: Plan, item: Item) -> Path:
    out = build_student_bundle(kit, out)
    tests = released_test_files(plan, item)
    keep = set(released_modules(plan, item)) | set(tests)
    for path in sorted((out / STUDENT_WORK).glob("*.py")):
        if path.stem != "__init__" and path.stem not in keep:
            path.unlink()
    public_written = {"written"} if tests else set()  # exercises/test_written.py: their checks
    for path in sorted((out / "exercises").glob("test_*.py")):
        if path.stem.removeprefix("test_") not in keep | public_written:
            path.unlink()
    shipped = {p.stem for p in (out / STUDENT_WORK).glob("*.py")} - {"__init__"}
    if shipped - keep:  # belt and braces: a later assignment's module must not ship
        raise BundleError(f"modules of a later assignment in the bundle: {sorted(shipped - keep)}")
    readme = out / "README.md"
    readme.write_text(_assignment_section(plan, item) + "\n" + readme.read_text())
    return out


def _assignment_section(plan: Plan, item: Item) -> str:

    due = (
        item.due.astimezone(plan.timezone).strftime("%A %d %B %Y, %H:%M %Z")
        if item.due
        else "see the course page"
    )
    lines = [
        f"# {plan.name}: assignment {item.id}, {item.title}",
        "",
        f"Due: **{due}** ({item.points:g} points). Late work: {_late_text(item)}.",
        "",
        "Exercises of this assignment:",
        "",
    ]
    lines += [
        f"- `{ex}` ({EXERCISES[ex].title}), in `starter/{ex.split('.')[0]}.py`"
        if ex in EXERCISES
        else f"- `{ex}` ({written_tests.get(ex).title}), in `starter/{written_tests.get(ex).file}`"
        for ex in item.exercises
    ]
    lines += [
        "",
        "Already have earlier assignments? Do not unpack this over your folder: run "
        "`descent course merge THIS_FOLDER YOUR_FOLDER`, which adds the new files and "
        "keeps your work.",
        "",
    ]
    return "\n".join(lines)


def _late_text(item: Item) -> str:
    late = item.late
    if not late.penalty and late.no_credit_after is None:
        return "no penalty"
    text = (
        f"{late.grace.total_seconds() / 60:g} minutes of grace, then {late.penalty:g}% "
        f"per {late.per} (at most {late.cap:g}%)"
    )
    if late.no_credit_after is not None:
        text += f"; no credit after {late.no_credit_after.total_seconds() / 86400:g} days"
    return text


@dataclass
class MergeReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    new_stubs: dict[str, list[str]] = field(default_factory=dict)  # file -> names it lacks
    dry_run: bool = False

    def lines(self) -> list[str]:
        verb = "would be " if self.dry_run else ""
        out = [
            f"{verb}added: {', '.join(self.added) or 'nothing'}",
            f"{verb}updated (kit files, not your work): {len(self.updated)} file(s)",
            f"kept untouched (your work): {', '.join(self.kept) or 'nothing'}",
        ]
        for name, missing in self.new_stubs.items():
            out.append(
                f"{name}: the new stub also has {', '.join(missing)}; it {verb}written to "
                f"{name}.new: copy those into your file"
            )
        return out


def merge(bundle: Path, working: Path, *, dry_run: bool = False) -> MergeReport:
    if not (bundle / STUDENT_WORK).is_dir() or not (bundle / "exercises").is_dir():
        raise BundleError(f"{bundle} is not a student bundle (no starter/ and exercises/)")
    if not working.is_dir():
        raise BundleError(f"{working} is not a folder: give the student's working copy")
    report = MergeReport(dry_run=dry_run)
    for src in sorted(p for p in bundle.rglob("*") if p.is_file()):
        rel = src.relative_to(bundle)
        if "__pycache__" in rel.parts:
            continue
        dst = working / rel
        if not dst.exists():
            report.added.append(str(rel))
            _copy(src, dst, dry_run)
        elif rel.parts[0] == STUDENT_WORK:
            report.kept.append(str(rel))
            missing = sorted(_names(src) - _names(dst))
            if missing:
                report.new_stubs[str(rel)] = missing
                _copy(src, dst.with_name(dst.name + ".new"), dry_run)
        elif not filecmp.cmp(src, dst, shallow=False):
            report.updated.append(str(rel))
            _copy(src, dst, dry_run)
    return report


def _copy(src: Path, dst: Path, dry_run: bool) -> None:
    if not dry_run:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


def _names(path: Path) -> set[str]:
    """Top-level functions and classes of a module (none if it does not parse)."""
    try:
        tree = ast.parse(path.read_text(errors="replace"))
    except SyntaxError:
        return set()
    return {
        n.name
        for n in tree.body
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
