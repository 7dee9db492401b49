"""Similarity across a class: which submissions share code that is rare in the class, with
evidence an instructor can read before talking to a student. It reports; it changes no grade.

    corpus.py    what is compared: each student's modules, read as grading reads them, and the
                 template (``starter/``)
    bound.py     the cost bound of one file: how much of a module is compared
    facts.py     what one statement reads, binds and does, for normalize.py
    indirection.py  indirection written out first: getattr with a constant name, the text
                 given to exec/eval compiled where it is known (code built at run time named),
                 the names a module takes from the student's other modules
    unwrap.py    what does not compute, taken out first: wrappers that do nothing (a try that
                 only raises again, a with of nullcontext), names only ever written, helpers
                 inlined where a statement calls them
    normalize.py the canonical code of a module: dead and no-op code dropped, independent
                 statements in one order (what an automated obfuscator changes, undone)
    fingerprints.py  copydetect's tokenizer and winnowing on the canonical code, minus the
                 template: one Doc per student and module, each fingerprint owned by an
                 exercise or a helper
    groups.py    groups of students who share code (a ring), counted as one source
    across.py    a student's whole submission compared across modules (code moved into another)
    engine.py    the exercises too short to judge left out, rarity weights, pair scores and
                 the shared fragments
    pages.py     the class report and one HTML page per flagged pair
    run.py       the whole comparison, for ``descent similarity`` and ``descent batch
                 --similarity``
"""
