"""``descent audit --written``: prove each write-the-tests exercise's wheats and chaffs.

For every exercise (of the modules asked for), in this process, on the kit's own files:

* its chaff declarations hold (``graders/written_tests.py``: every exercise has chaffs, each a
  catalogued bug of the exercise tested, named once);
* the reference suite the course's authors wrote (``solutions/test_<name>.py``) passes on every
  wheat (the reference and each catalogued alternative), catches every chosen chaff, and has
  every one of its tests counted (none refused by the behaviour-only rule, none depending on
  what ran before);
* the public set (``exercises/twins.py``): every public wheat passes the reference suite and
  every public chaff is caught by it, so the student's loop never disagrees with the grading on
  the authors' own tests.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import torch

from .. import catalogue
from ..calls.impl import FolderImplementation
from ..errors import DescentError
from .declared import EXERCISES, WrittenTests
from .grading import CHAFF, WHEAT, Subject, judge
from .hidden import Chaff, problems, subjects

CHAFF_FILE = "graders/written_tests.py"
PUBLIC_FILE = "exercises/twins.py"


@dataclass
class Finding:
    exercise: str
    wheats: int = 0
    chaffs: int = 0
    caught: int = 0
    problems: list[str] = field(default_factory=list)


def _load(path: Path, name: str) -> ModuleType:
    """Import a kit file (trusted: the instructor's) by its path, once."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise DescentError(f"{path} cannot be imported")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def declared_chaffs(kit: Path) -> dict[str, list[Chaff]]:
    return _load(kit / CHAFF_FILE, "_descent_written_tests").CHAFFS


def public_subjects(kit: Path) -> dict[str, list[Subject]]:
    if str(kit) not in sys.path:  # exercises/ is a package of the kit's root
        sys.path.insert(0, str(kit))
    return _load(kit / PUBLIC_FILE, "exercises.twins").SUBJECTS


def audit(kit: Path, modules: Sequence[str] = ()) -> list[Finding]:
    """One :class:`Finding` per exercise of ``modules`` (all when empty)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as a grading run computes: tiny tensors, no thread pool to wake
    try:
        return _audit(kit, modules)
    finally:
        torch.set_num_threads(threads)


def _audit(kit: Path, modules: Sequence[str]) -> list[Finding]:
    catalogue.load(kit / "graders" / "catalogue")
    declared = declared_chaffs(kit)
    public = public_subjects(kit)
    reference = FolderImplementation(kit / "solutions", "reference")
    general = problems(declared)
    found = []
    for written in EXERCISES.values():
        if modules and written.module not in modules:
            continue
        finding = Finding(written.id, problems=[p for p in general if p.startswith(written.id)])
        suite = kit / "solutions" / written.file
        if not suite.is_file():
            finding.problems.append(f"no reference suite solutions/{written.file}")
        else:
            hidden = subjects(written, reference, declared.get(written.id, []))
            _check(finding, written, suite, hidden, "")
            finding.problems += _public_problems(written, suite, public.get(written.id, []))
        found.append(finding)
    return found


def _check(finding, written: WrittenTests, suite: Path, group: list[Subject], what: str) -> None:
    judged = judge(written, suite.read_text(), suite.name, group)
    if judged.error:
        finding.problems.append(f"the reference suite cannot run: {judged.error}")
        return
    finding.problems += [
        f"reference suite: {c} does not count: {w}" for c, w in judged.refused.items()
    ]
    finding.problems += [f"reference suite: {c} is not written" for c in judged.not_written]
    for subject in group:
        failing = judged.failing(subject.id)
        if subject.kind == WHEAT:
            finding.wheats += 1
            if failing:
                finding.problems.append(
                    f"{what}wheat {subject.id} fails the reference suite: {', '.join(failing)}"
                )
        else:
            finding.chaffs += 1
            finding.caught += bool(failing)
            if not failing:
                finding.problems.append(f"{what}chaff {subject.id} is caught by no reference test")


def _public_problems(written: WrittenTests, suite: Path, group: list[Subject]) -> list[str]:
    found = Finding(written.id)
    _check(found, written, suite, group, "public ")
    kinds = {s.kind for s in group}
    if WHEAT not in kinds or CHAFF not in kinds:
        found.problems.append("the public set needs a wheat and a chaff at least")
    return [p for p in found.problems if p.startswith(("public", "the public"))]


def lines(found: list[Finding]) -> list[str]:
    """The report: one line per exercise, then each problem."""
    out = []
    for f in found:
        state = "ok" if not f.problems else f"{len(f.problems)} problem(s)"
        out.append(
            f"{f.exercise}: {f.wheats} wheats pass, {f.caught}/{f.chaffs} chaffs caught by the "
            f"reference suite; {state}"
        )
        out += [f"  - {p}" for p in f.problems]
    return out
