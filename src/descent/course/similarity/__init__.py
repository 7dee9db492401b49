"""Similarity across a class: which submissions share code that is rare in the class, with
evidence an instructor can read before talking to a student. It reports; it changes no grade.

    corpus.py    what is compared: each student's modules, read as grading reads them, and the
                 template (``starter/``)
    fingerprints.py  copydetect's tokenizer and winnowing, minus the template: one Doc per
                 student and module, each fingerprint owned by an exercise or a helper
    engine.py    the exercises too short to judge left out, rarity weights, pair scores and
                 the shared fragments
    pages.py     the class report and one HTML page per flagged pair
    run.py       the whole comparison, for ``descent similarity`` and ``descent batch
                 --similarity``
"""
