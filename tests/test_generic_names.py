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


def test_every_label_is_confirmed_by_a_recorded_name():
    """A catalogued bug's ``generic`` label claims that the generic diagnoses name it; a label
    none of its recorded names confirms passed unnoticed (issue 83: 32 of them). ``descent
    audit`` fails such a bug too (``audit.label_problem``); here, against the record, at no
    grading cost. (A corpus entry's label is the truth its names are measured against: the
    audit's figures count those it misses.)"""
    record = generic_names.load(KIT / generic_names.RECORD)
    names = {key: set(kinds) for entries in record.names.values() for key, kinds in entries.items()}
    unconfirmed = [
        f"{kind}:{v.id} labelled {v.generic}, recorded {sorted(names[f'{kind}:{v.id}'])}"
        for kind in (catalogue.BUG,)
        for v in catalogue.variants(kind)
        if v.generic
        and f"{kind}:{v.id}" in names
        and not names[f"{kind}:{v.id}"] & set(v.generic)
        and f"{kind}:{v.id}" not in record.cut_short
    ]
    assert not unconfirmed, "\n".join(unconfirmed)
