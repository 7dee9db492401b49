"""Grading a whole course: ``descent batch`` and what it writes.

    submissions.py   the entries of a submissions folder: one student each, content hashes,
                     the newest of two submissions of one student
    version.py       the grader version (hash of graders/, solutions/ and the kit's version)
    runner.py        grade one submission through ``descent grade`` in its own process group
    gradebook.py     the class gradebook (SQLite): students, submissions, per-exercise and
                     per-test results; assignbook.py adds the assignment grades
    executors.py     where gradings run: local processes (``--jobs``) or a Dask cluster
    batch.py         the batch itself: skip what is graded, dispatch, record, progress, summary
    html_report.py  the per-student HTML report (self-contained, no network)
    analytics.py     the class report (``descent report --class``) and its charts
    handback.py      exports from the gradebook: the CSV and the per-student feedback folder
    gradescope.py    the Gradescope autograder archive
    merge.py         nbgrader's exported grades joined with the code results (one row each)
    plan.py, lateness.py, assigned.py, coursegrade.py, lms.py, release.py, nbsync.py
                     the term: the course plan, submission times and late work, assignment and
                     course grades, LMS files, releasing an assignment, nbgrader's due dates
    clock.py         elapsed time, the years a term's dates lie in, clock times in a zone
    roster.py        who is in the course: the roster, one person per id
    nbrecords.py     when a lab or quiz was submitted, from what nbgrader recorded at submit
    termhand.py      the instructor's hand on a term: times set by hand, entries dropped
    demo.py, termdemo.py  the sample class and term of ``descent demo``
    similarity/      which submissions share rare code (reports; changes no grade)

The commands themselves (``descent batch``, ``grades``, ...) are in :mod:`descent.commands`.

Every submission is graded by the same command as one student's (``descent grade``), in its own
process: a submission can only ever affect its own grading.
"""
