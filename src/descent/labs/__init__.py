"""Grading the course notebooks (nbgrader labs and quizzes) without trusting them.

Modules, one job each (see ``docs/explanation/labs-grading.md``):

* :mod:`.kernel`   the student's notebook in a confined worker (``descent.isolation``), seen from
                   the trusted side: run a cell, read a value, call a function; data only.
* :mod:`.reply`    a cell's reply from the worker, rebuilt field by field within caps.
* :mod:`.hidden_checks`  the trusted checks: answer keys, the course's graders
                   (``labs/graders/``), the scoring of one test cell.
* :mod:`.execute`  ``ConfinedExecute``, the nbgrader preprocessor that replaces nbgrader's
                   ``Execute`` in ``nbgrader autograde``, and ``EscapeMarkdown``.
* :mod:`.caps`     how much output a notebook keeps, and how much its feedback page shows.
* :mod:`.findings` what the tampering report reads back from an autograded notebook.
* :mod:`.submissions` and :mod:`.cellmeta`  checks of a submitted notebook before grading.
* :mod:`.exchange` the exchange as ``nbgrader collect`` sees it: which copy it takes, and who
                   wrote each copy.
* :mod:`.collect`  the course's ``nbgrader collect`` (nbgrader's plugin): each student's copies
                   checked first, none copied through a link, a record of each kept.
* :mod:`.collected` that copy and that record: when each copy taken was last written.
* :mod:`.private`  the keys, hidden checks, grades and students' work private to the instructor.
* :mod:`.instructor`  the ``descent labs`` commands' work: preflight, autograde, the report.

Nothing here is imported by the isolation package; student notebooks import only
``descent.student_notebook`` (released ones by its first name, ``descent.labs_grading``), which
holds no key and no check.
"""
