"""Grading a whole course: ``descent batch`` and what it writes.

    submissions.py   the entries of a submissions folder: one student each, content hashes,
                     the newest of two submissions of one student
    version.py       the grader version (hash of graders/, solutions/ and the kit's version)
    runner.py        grade one submission through ``descent grade`` in its own process group
    classbook.py     the SQLite gradebook: students, submissions, per-exercise and per-test results
    executors.py     where gradings run: local processes (``--jobs``) or a Dask cluster
    batch.py         the batch itself: skip what is graded, dispatch, record, progress, summary
    html.py          the per-student HTML report (self-contained, no network)
    analytics.py     the class report (``descent report --class``) and its charts
    handback.py      exports from the gradebook: the CSV and the per-student feedback folder
    gradescope.py    the Gradescope autograder archive
    commands.py      the subcommands wired into ``descent``

Every submission is graded by the same command as one student's (``descent grade``), in its own
process: a submission can only ever affect its own grading.
"""
