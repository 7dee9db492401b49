"""Catalogued variants of the reference solution: known bugs and alternative correct versions.

A variant is the reference solution with a few functions replaced. Buggy variants are realistic
student mistakes; the graders must fail each on at least one check, and when a student's output
equals a buggy variant's output the failure message names that mistake. Alternative variants are
different correct implementations; the graders must give them full marks. Hollow variants are
answers that compute nothing (zeros of the right shape, the input handed back, random values);
the graders must give them exactly 0 points on their exercise.

Student-style variants (``student``, declared in ``graders/corpus/<module>.py``) are bugs too, but
written the way learners write whole functions (NumPy rewrites, loops, layer objects with a
cache, micrograd-style classes) rather than as one-line edits of the reference. They are a held-out
set: the feedback never names them (only catalogued bugs are matched against a failure), and
``descent audit`` measures how well the generic diagnoses name their causes.

Declaring one (in ``graders/catalogue/<topic>.py``)::

    mse_sum = bug("mse_sum", "losses.mse", "sums the squared errors instead of averaging",
                  hint="The loss is the mean over every element: divide by pred.numel().",
                  wrong_on="ordinary")

    @mse_sum.replaces
    def mse_forward(pred, target): ...

The replaced function is the one named like the decorated function, in the exercise's module.
A hollow variant may instead be *derived*: ``hollow(id, exercise, title, derive=f)`` replaces every
function of the exercise with ``f(base, name)``, where ``base()`` returns the base implementation's
function (so one transform, such as "zeros shaped like the reference's result", covers every
exercise).

What a variant is and where the declared ones are kept is :mod:`descent.variants`, beneath the
generic diagnoses (which write slips into alternatives and bugs too); its names are read here as
well, so a grader or a tool needs this one module.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from . import registry
from .variants import (
    ALTERNATIVE,
    BUG,
    BUGGY,
    EDGE,
    HOLLOW,
    KINDS,
    ORDINARY,
    STUDENT,
    WRONG_ON,
    Derive,
    Variant,
    get,
    keep,
    kept,
    named,
    variants,
)

# What graders and the kit read here: the declarations below, and the store they fill
# (descent.variants), under the names the catalogue has always given them.
__all__ = [
    "ALTERNATIVE",
    "BUG",
    "BUGGY",
    "EDGE",
    "FOLDERS",
    "HOLLOW",
    "KINDS",
    "ORDINARY",
    "STUDENT",
    "WRONG_ON",
    "Derive",
    "Variant",
    "alternative",
    "bug",
    "get",
    "hollow",
    "load",
    "named",
    "student",
    "variants",
]

# The folder of graders/ that declares each kind of variant.
FOLDERS = {BUG: "catalogue", ALTERNATIVE: "catalogue", HOLLOW: "catalogue", STUDENT: "corpus"}


def _declare(
    kind: str, id: str, exercise: str, title: str, hint: str, derive: Derive | None = None
) -> Variant:
    registry.get(exercise)  # fail early on a typo
    return keep(Variant(id, exercise, title, kind, hint, derive=derive))


def bug(
    id: str,
    exercise: str,
    title: str,
    *,
    hint: str,
    classic: bool = False,
    generic: str | tuple[str, ...] = (),
    wrong_on: str = "",
    wrong_on_cuda: str = "",
) -> Variant:
    """Declare a realistic buggy variant; ``hint`` is what a student should do about it.
    ``classic``: a mistake the exercise's docstring warns about, which the public tests in
    ``exercises/`` must catch too (the kit's tests check it), not only the hidden graders.
    ``generic``: the kind(s) of generic diagnosis that describe this mistake truly (a sum where
    the mean belongs is ``"sum-mean"``; see ``descent.diagnoses.order.KINDS``); any other kind a
    failure of this bug is diagnosed with counts as a wrong name in ``descent audit``.
    ``wrong_on``: ``"ordinary"`` or ``"edge"`` (see ``WRONG_ON``), decided from what the bug
    does on everyday inputs; the kit's tests require it of every catalogued bug.
    ``wrong_on_cuda``: the same where the tests run on a GPU, when it differs there (a bug that
    ignores ``device`` is wrong on every GPU input: ``"ordinary"``, though an edge on the CPU)."""
    labels = _generic_labels(id, generic)
    for tag in (wrong_on, wrong_on_cuda):
        if tag:
            _check_wrong_on(id, tag)
    variant = _declare(BUG, id, exercise, title, hint)
    variant.classic, variant.generic, variant.wrong_on = classic, labels, wrong_on
    variant.wrong_on_cuda = wrong_on_cuda
    return variant


def student(
    id: str, exercise: str, title: str, *, generic: str | tuple[str, ...], wrong_on: str
) -> Variant:
    """Declare a student-style bug of the corpus (``graders/corpus/``): a whole function written
    the way a learner writes it, with one genuine mistake. ``title`` states the mistake in plain
    words; ``generic`` the kind(s) of generic diagnosis that name its cause truly (at least one);
    ``wrong_on`` is ``"ordinary"`` when the mistake changes results on the inputs a course uses
    every day, ``"edge"`` when only at a boundary, at extreme values or in a rare mode. Like a
    catalogued bug it must lose points; unlike one, feedback never names it."""
    labels = _generic_labels(id, generic)
    if not labels:
        raise ValueError(f"variant {id}: a student-style bug needs at least one generic label")
    _check_wrong_on(id, wrong_on)
    variant = _declare(STUDENT, id, exercise, title, "")
    variant.generic, variant.wrong_on = labels, wrong_on
    return variant


def _check_wrong_on(id: str, wrong_on: str) -> None:
    if wrong_on not in WRONG_ON:
        raise ValueError(f"variant {id}: wrong_on must be one of {WRONG_ON}, not {wrong_on!r}")


def _generic_labels(id: str, generic: str | tuple[str, ...]) -> tuple[str, ...]:
    # start-up: the plugin imports this module before torch, which diagnoses imports; the
    # catalogue's own modules, which call this, load after the graders have imported torch
    from .diagnoses.order import KINDS

    labels = (generic,) if isinstance(generic, str) else tuple(generic)
    unknown = [k for k in labels if k not in KINDS]
    if unknown:
        known = ", ".join(KINDS)
        raise ValueError(f"variant {id}: unknown generic diagnosis {unknown} (known: {known})")
    return labels


def alternative(id: str, exercise: str, title: str, *, literal: bool = False) -> Variant:
    """Declare a different but correct implementation (must keep full marks, publicly and
    hidden). ``literal``: it types the docstring's formula as written, in the plainest way (no
    in-place tricks, the obvious constants); every exercise has one (the kit's tests check it)."""
    variant = _declare(ALTERNATIVE, id, exercise, title, "")
    variant.literal = literal
    return variant


def hollow(id: str, exercise: str, title: str, *, derive: Derive | None = None) -> Variant:
    """Declare an answer that computes nothing (must score exactly 0 on its exercise): either
    with ``@variant.replaces`` like a bug, or ``derive``d from the base implementation."""
    return _declare(HOLLOW, id, exercise, title, "", derive)


def load(folder: str | Path) -> dict[str, Variant]:
    """Import every ``*.py`` in a folder of variants (``graders/catalogue``, ``graders/corpus``:
    trusted instructor code) and return the registry, which holds the variants of every folder
    loaded so far (an id declared in two of them is an error)."""
    folder = Path(folder)
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        # named by folder too: catalogue/losses.py and corpus/losses.py are two modules
        name = f"_descent_{folder.name}_{path.stem}"
        if name in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return kept()
