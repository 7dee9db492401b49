"""Similarity across a class: which submissions share code that is rare in the class, with
evidence an instructor can read before talking to a student. It reports; it changes no grade.

    corpus.py    what is compared: each student's modules, read as grading reads them, and the
                 template (``starter/``)
    engine.py    copydetect's fingerprints, minus the template and the exercises too short to
                 judge, weighed by rarity; pair scores and the shared fragments
    report.py    the class report and one HTML page per flagged pair
    command.py   ``descent similarity`` and the ``descent batch --similarity`` step
"""
