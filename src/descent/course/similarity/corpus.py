"""What is compared: each student's exercise modules as text, and the template they started from.

A submission is read exactly as grading reads it (:func:`descent.isolation.intake.take`): the
exercise modules at the top of a folder or a ``.zip``, a single ``.py``, or a notebook's code
cells tagged ``descent:<module>`` (so a notebook is compared like modules). Files that intake
refuses (not UTF-8, NUL bytes, over the size limits, a corrupt archive) are left out and listed
with intake's reason, and so are the students a batch would hold (two entries for one student,
a link, a name that is not UTF-8: :mod:`descent.course.submissions`). The template of a module
is the kit's ``starter/<module>.py``: the stubs, docstrings and helpers every student received.
A student's module outside the selection that a chosen one imports is read too (:func:`linked`),
and so is a write-the-tests file of the selection (``test_mse.py``, read as its exercise reads it:
:mod:`descent.testwriting.sources`), compared as a module of its name with the kit's
``starter/test_mse.py`` as its template.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

from ... import registry
from ...errors import DescentError
from ...isolation import intake
from ...testwriting import declared
from ...testwriting import sources as test_sources
from .. import submissions
from .indirection import imported_names, parsed


class CorpusError(DescentError, ValueError):
    """Nothing to compare: no folder, no submissions, or fewer than two readable ones."""


@dataclass
class Corpus:
    modules: dict[str, dict[str, str]]  # student -> module -> source text
    template: dict[str, str]  # module -> the starter's text
    problems: dict[str, list[str]] = field(default_factory=dict)  # student -> what was left out
    unrecognised: list[str] = field(default_factory=list)
    exercises: frozenset[str] | None = None  # compare only these (None: every exercise)

    @property
    def students(self) -> list[str]:
        return sorted(self.modules)


@dataclass(frozen=True)
class Selection:
    """What ``--assignment`` asks to compare: these modules, and within them only these
    exercises (None: all of them; the student's own helpers are always compared)."""

    modules: tuple[str, ...]
    exercises: frozenset[str] | None = None


def selection(assignment: str | None, kit: Path, plan: str | None = None) -> Selection:
    """What an ``--assignment`` names: an assignment of the course plan (its exercises), or
    comma-separated module names and exercise ids (``losses``, ``losses.mse,activations``);
    everything when empty."""
    if not assignment:
        return Selection(registry.MODULES)
    parts = [p.strip() for p in assignment.split(",") if p.strip()]
    if all(p.split(".", 1)[0] in registry.MODULES for p in parts):
        return _by_name(parts)
    item = _plan_assignment(assignment, kit, plan)
    if item is None:
        raise CorpusError(
            f"--assignment {assignment!r}: no assignment of the course plan, "
            f"module or exercise has this name (modules: "
            f"{', '.join(registry.MODULES)})"
        )
    return Selection(
        tuple(dict.fromkeys(e.split(".", 1)[0] for e in item.exercises)), frozenset(item.exercises)
    )


def _by_name(parts: list[str]) -> Selection:
    chosen, whole, picked = [], set(), set()
    for part in parts:
        module = part.split(".", 1)[0]
        if "." in part:
            try:
                picked.add(registry.get(part).id)
            except KeyError as exc:
                raise CorpusError(f"--assignment {part!r}: {exc.args[0]}") from None
        else:
            whole.add(module)
        chosen.append(module)
    if not picked:
        return Selection(tuple(dict.fromkeys(chosen)))
    picked |= {e.id for e in registry.EXERCISES.values() if e.module in whole}
    return Selection(tuple(dict.fromkeys(chosen)), frozenset(picked))


def _plan_assignment(ident: str, kit: Path, plan: str | None):
    """The code assignment ``ident`` of the course plan, or None when there is no plan (or no
    plan support in this kit); a broken plan is an error."""
    try:
        plans = importlib.import_module("descent.course.plan")
    except ModuleNotFoundError as exc:
        if exc.name != "descent.course.plan":
            raise
        return None
    path = plans.find(plan, kit)
    if not path.is_file():
        return None
    try:
        return plans.load(path).code_assignment(ident)
    except plans.PlanError as exc:
        raise CorpusError("; ".join(exc.problems)) from None


def read(folder: str | Path, kit: Path, chosen: Selection | tuple[str, ...]) -> Corpus:
    """The submissions of ``folder`` restricted to ``chosen`` (a :class:`Selection`, or module
    names); raises :class:`CorpusError` when fewer than two students have something to
    compare."""
    if not isinstance(chosen, Selection):
        chosen = Selection(tuple(chosen))
    modules = chosen.modules
    try:
        listing = submissions.discover(folder)
    except submissions.SubmissionsError as exc:
        raise CorpusError(str(exc)) from None
    template = {m: _starter(kit, m) for m in modules}
    corpus = Corpus(
        {}, template, unrecognised=list(listing.unrecognised), exercises=chosen.exercises
    )
    corpus.problems.update({student: list(why) for student, why in listing.held.items()})
    for entry in listing.entries:
        try:
            taken = intake.take(entry.path)
        except (OSError, ValueError, RecursionError, MemoryError) as exc:  # one entry, not all
            corpus.problems[entry.student] = [f"cannot be read ({type(exc).__name__}: {exc})"]
            continue
        try:
            sources = {m: text for m, text in taken.sources.items() if m in modules}
            sources.update(linked(sources, taken.sources))
        finally:
            taken.cleanup()
        left_out = [f"{r['path']}: {r['reason']}" for r in taken.refused]
        sources.update(_test_files(entry.path, chosen, left_out))
        for module in set(sources) - set(template):
            template[module] = _starter(kit, module)
        if left_out:
            corpus.problems[entry.student] = left_out
        if sources:
            corpus.modules[entry.student] = sources
        elif not left_out:
            took = f" (found only {', '.join(taken.taken)})" if taken.taken else ""
            corpus.problems[entry.student] = [f"no exercise module of this assignment{took}"]
    if len(corpus.modules) < 2:
        found = ", ".join(corpus.modules) or "none"
        raise CorpusError(
            f"{folder}: similarity needs at least two submissions with exercise "
            f"modules to compare, found {len(corpus.modules)} ({found})" + _why(corpus)
        )
    return corpus


def _test_files(where: Path, chosen: Selection, problems: list[str]) -> dict[str, str]:
    """The write-the-tests files of ``chosen`` handed in as ``where``, by their module-like name
    (``test_mse``); one that is there but refused (a link, too large, not UTF-8) is named in
    ``problems``."""
    found = {}
    for written in declared.EXERCISES.values():
        if written.module not in chosen.modules:
            continue
        if chosen.exercises is not None and written.id not in chosen.exercises:
            continue
        try:
            found[Path(written.file).stem] = test_sources.read_from(where, written.file).text
        except test_sources.NotHandedIn:
            continue  # most students hand in no test file for most exercises
        except test_sources.Missing as exc:
            if str(exc) not in problems:  # a broken archive says so once, not per file
                problems.append(str(exc))
    return found


def linked(chosen: dict[str, str], available: dict[str, str]) -> dict[str, str]:
    """The student's other modules that ``chosen`` imports (and what those import in turn):
    the code of an exercise moved into a module outside the selection and imported from
    there is compared with it."""
    found: dict[str, str] = {}
    todo = list(chosen.values())
    while todo:
        tree = parsed(todo.pop())
        if tree is None:
            continue
        for module in imported_names(tree, set(available) - set(chosen) - set(found)):
            found[module] = available[module]
            todo.append(available[module])
    return found


def _starter(kit: Path, module: str) -> str:
    path = kit / "starter" / f"{module}.py"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _why(corpus: Corpus) -> str:
    lines = [f"{student}: {'; '.join(reasons)}" for student, reasons in corpus.problems.items()]
    return ("; left out: " + " | ".join(lines[:5])) if lines else ""
