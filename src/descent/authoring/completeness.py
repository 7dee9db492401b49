"""What the catalogue must hold before grading can say anything: the rules ``descent audit`` and
the kit's tests share, so that the audit reports what the suite would fail.

* every exercise has its docstring's formula typed literally, an alternative declared with
  ``literal=True`` (``graders/catalogue/literal.py``): a student who follows the docstring must
  keep full marks, and only such a variant shows that one does;
* every exercise has hollow answers (code that computes nothing), which must score 0;
* every kind of generic diagnosis (``diagnoses/order.py``, ``KINDS``) labels at least one bug of
  the catalogue or of the student-style corpus (``bug(..., generic=...)``): the audit measures a
  diagnosis by the bugs labelled with its kind, so a kind no bug carries is never measured (a
  diagnosis that names it wrongly, or never, passes unseen).

The rules read the variants loaded (:func:`load` loads the kit's catalogue and corpus).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from .. import catalogue, registry
from ..diagnoses import order

FOLDERS = (Path("graders") / "catalogue", Path("graders") / "corpus")


def load(kit: Path) -> None:
    """Load the kit's catalogue and corpus (a folder loaded already is left as it is)."""
    for folder in FOLDERS:
        if (kit / folder).is_dir():
            catalogue.load(kit / folder)


def exercises(kit: Path, modules: Sequence[str] = ()) -> list[registry.Exercise]:
    """The exercises with a reference in ``solutions/``, of ``modules`` only when given."""
    return [
        ex
        for ex in registry.EXERCISES.values()
        if (kit / "solutions" / f"{ex.module}.py").is_file()
        and (not modules or ex.module in modules)
    ]


def without_literal(chosen: Iterable[registry.Exercise]) -> list[str]:
    """The ids of the ``chosen`` exercises no ``literal=True`` alternative covers."""
    covered = {v.exercise for v in catalogue.variants(catalogue.ALTERNATIVE) if v.literal}
    return [ex.id for ex in chosen if ex.id not in covered]


def without_hollow(chosen: Iterable[registry.Exercise]) -> list[str]:
    """The ids of the ``chosen`` exercises without a hollow answer."""
    covered = {v.exercise for v in catalogue.variants(catalogue.HOLLOW)}
    return [ex.id for ex in chosen if ex.id not in covered]


def unmeasured_kinds() -> list[str]:
    """The kinds of :data:`~descent.diagnoses.order.KINDS` that no bug of the catalogue or the
    corpus is labelled with."""
    labelled = {kind for k in catalogue.BUGGY for v in catalogue.variants(k) for kind in v.generic}
    return [kind for kind in order.KINDS if kind not in labelled]


def problems(kit: Path, modules: Sequence[str] = ()) -> list[str]:
    """Each rule broken, as a sentence saying what to add (the exercises of ``modules`` only,
    when given; the kinds are the whole catalogue's)."""
    load(kit)
    chosen = exercises(kit, modules)
    found = [
        f"{ex}: no alternative with literal=True, its docstring's formula typed as written "
        f"(add one to graders/catalogue/literal.py)"
        for ex in without_literal(chosen)
    ]
    found += [
        f"{ex}: no hollow answer (graders/catalogue/hollow.py derives them for tensors and "
        f"numbers; write them otherwise)"
        for ex in without_hollow(chosen)
    ]
    found += [
        f"diagnosis kind {kind!r}: no bug of the catalogue or the corpus is labelled with it "
        f"(bug(..., generic=...)), so the audit never measures it"
        for kind in unmeasured_kinds()
    ]
    return found
