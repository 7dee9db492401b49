"""The pre-emption guard over the whole catalogue and corpus: the generic names the suite's own
grading runs give each variant are those recorded in ``graders/generic_names.json``
(``descent.authoring.generic_names``; one module, quicker: ``descent audit --module M
--check-generic``). It reads the session's catalogue and corpus runs, so it adds no grading run of
its own: the default lane's sample of them, compared with the record's entries for the same
variants, or the whole catalogue and corpus in the slow lane."""

from __future__ import annotations

import warnings
from pathlib import Path

from conftest import lane_impls

from descent import catalogue
from descent.authoring import audit, generic_names

KIT = Path(__file__).resolve().parents[1]
catalogue.load(KIT / "graders" / "catalogue")
catalogue.load(KIT / "graders" / "corpus")


def test_no_variant_s_generic_names_moved(catalogue_run, corpus_run, pytestconfig):
    """A new diagnosis, or one moved earlier, must not change the generic name of a catalogued
    bug, an alternative (which must get none), a hollow answer or a corpus entry without the
    record saying so, and a recorded variant must still run. A variant whose diagnosis ran out of
    time (here or when recorded) is left out of the comparison of names, and a variant not
    recorded yet has nothing to compare with: both are named in a warning, as the guard does."""
    rows = audit.summarize(catalogue_run.results) + audit.summarize(corpus_run.results)
    run = generic_names.from_rows(rows, audit.variant_modules())
    graded = set(lane_impls(pytestconfig, ("bug", "alternative", "hollow", "student")))
    recorded = generic_names.load(KIT / generic_names.RECORD).only(graded)  # the lane's variants
    comparison = generic_names.compare(recorded, run)
    if not comparison.fails and (comparison.skipped or comparison.new):
        warnings.warn(generic_names.report(comparison))
    assert not comparison.fails, generic_names.report(comparison)
