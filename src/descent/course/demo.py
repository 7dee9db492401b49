"""The sample class that ``descent demo`` grades with ``descent batch``.

It is assembled in a fresh folder from what ships with the kit: ``reference/`` (the solutions,
full marks), ``untouched-stubs/`` (the starter as handed out, 0), ``partial/`` (samples/partial)
and the students of ``samples/class/``: ``dana/`` (clipping and schedules with classic mistakes),
``eve.ipynb`` (a notebook with tagged cells, basics and regularization), ``mallory/`` (hostile:
reads secrets, phones home, kills its parent, hangs, eats memory) and ``oscar/`` (broken: a
syntax error and a missing helper module).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .. import registry
from .batch import Options, run


def assemble(kit: Path, dest: Path) -> Path:
    """Copy the sample class into ``dest/submissions`` and return that folder."""
    out = dest / "submissions"
    out.mkdir(parents=True)
    for name, source in (("reference", kit / "solutions"), ("untouched-stubs", kit / "starter")):
        (out / name).mkdir()
        for module in registry.MODULES:
            if (source / f"{module}.py").is_file():
                shutil.copy(source / f"{module}.py", out / name / f"{module}.py")
    shutil.copytree(kit / "samples" / "partial", out / "partial")
    for entry in sorted((kit / "samples" / "class").iterdir()):
        target = out / entry.name
        if entry.is_dir():
            shutil.copytree(entry, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(entry, target)
    return out


def grade_class(kit: Path, work: Path, console, *, device: str = "cpu") -> int:
    """Assemble the sample class under ``work`` and grade it with ``descent batch``; returns the
    batch's exit code."""

    if hasattr(os, "sched_setaffinity"):  # grading in this process pinned it to one CPU
        try:
            os.sched_setaffinity(0, range(os.cpu_count() or 1))
        except OSError:
            pass
    submissions = assemble(kit, work)
    entries = sorted(p.name for p in submissions.iterdir())
    console.print(f"{len(entries)} students in {submissions}: {', '.join(entries)}")
    return run(Options(submissions=submissions, out=work / "grading", device=device), kit, console)
