"""What is compared: each student's exercise modules as text, and the template they started from.

A submission is read exactly as grading reads it (:func:`descent.isolation.intake.take`): the
exercise modules at the top of a folder or a ``.zip``, a single ``.py``, or a notebook's code
cells tagged ``descent:<module>`` (so a notebook is compared like modules). Files that intake
refuses (not UTF-8, NUL bytes, over the size limits, a corrupt archive) are left out and listed
with intake's reason. The template of a module is the kit's ``starter/<module>.py``: the stubs,
docstrings and helpers every student received.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ... import exercises
from ...isolation import intake
from .. import submissions


class CorpusError(ValueError):
    """Nothing to compare: no folder, no submissions, or fewer than two readable ones."""


@dataclass
class Corpus:
    modules: dict[str, dict[str, str]]          # student -> module -> source text
    template: dict[str, str]                    # module -> the starter's text
    problems: dict[str, list[str]] = field(default_factory=dict)   # student -> what was left out
    unrecognised: list[str] = field(default_factory=list)

    @property
    def students(self) -> list[str]:
        return sorted(self.modules)


def selection(assignment: str | None) -> tuple[str, ...]:
    """The modules an ``--assignment`` names: comma-separated module names or exercise ids, an
    exercise standing for its module (``losses``, ``losses.mse``, ``regression,activations``);
    every module when empty."""
    if not assignment:
        return exercises.MODULES
    chosen = []
    for part in (p.strip() for p in assignment.split(",")):
        module = part.split(".", 1)[0]
        if module not in exercises.MODULES:
            raise CorpusError(f"--assignment {part!r}: no such module or exercise (modules: "
                              f"{', '.join(exercises.MODULES)})")
        if "." in part:
            exercises.get(part)   # a typo in the exercise name fails here, with the valid ids
        chosen.append(module)
    return tuple(dict.fromkeys(chosen))


def read(folder: str | Path, kit: Path, modules: tuple[str, ...]) -> Corpus:
    """The submissions of ``folder`` restricted to ``modules``; raises :class:`CorpusError`
    when fewer than two students have something to compare."""
    try:
        listing = submissions.discover(folder)
    except submissions.SubmissionsError as exc:
        raise CorpusError(str(exc)) from None
    template = {m: _starter(kit, m) for m in modules}
    corpus = Corpus({}, template, unrecognised=list(listing.unrecognised))
    for entry in listing.entries:
        taken = intake.take(entry.path)
        try:
            sources = {m: text for m, text in taken.sources.items() if m in template}
        finally:
            taken.cleanup()
        left_out = [f"{r['path']}: {r['reason']}" for r in taken.refused]
        if left_out:
            corpus.problems[entry.student] = left_out
        if sources:
            corpus.modules[entry.student] = sources
        elif not left_out:
            took = f" (found only {', '.join(taken.taken)})" if taken.taken else ""
            corpus.problems[entry.student] = [f"no exercise module of this assignment{took}"]
    if len(corpus.modules) < 2:
        found = ", ".join(corpus.modules) or "none"
        raise CorpusError(f"{folder}: similarity needs at least two submissions with exercise "
                          f"modules to compare, found {len(corpus.modules)} ({found})"
                          + _why(corpus))
    return corpus


def _starter(kit: Path, module: str) -> str:
    path = kit / "starter" / f"{module}.py"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _why(corpus: Corpus) -> str:
    lines = [f"{student}: {'; '.join(reasons)}" for student, reasons in corpus.problems.items()]
    return ("; left out: " + " | ".join(lines[:5])) if lines else ""
