"""Descent: grading tools for the neural-network training exercises.

The package holds only trusted tooling; reference solutions live in ``solutions/`` and hidden
tests in ``graders/``, and neither ships with the student bundle. The tree, from the command line
down (the layers, the trust boundary, where to start reading for each kind of change:
``docs/explanation/architecture.md``):

    commands/        the command line: one module per verb, the only place that parses
                     arguments and picks exit codes (``descent grade`` is commands/grade.py)
    course/          a whole class: batch grading, the class gradebook, exports, the term plan
    labs/            the nbgrader notebooks, graded without trusting them (instructor side)
    authoring/       what an author runs on the kit's content: the audit, the work budget,
                     the scaffold of a new exercise, the stubs, the docs tables, the bundle
    reports/         results documents read out: the terminal, Gradescope, CSV, loss curves
    grading/         the pytest plugin that grades, and what graders and public tests call
                     (the ``check`` fixture, the comparison, gradient checks, inputs)
    testwriting/     write-the-tests exercises: a student's test file run, confined, against
                     correct versions and catalogued mistakes it reaches as opaque callables
    diagnoses/       generic diagnoses: what a failed check names when no catalogued bug fits
    isolation/       the trust boundary: student code runs in a confined worker
    calls/           how graders reach the code under test (``Implementation``), in this
                     process or a worker, with its time limits

Beneath them, at the top:

    catalogue.py     how graders declare variants (bugs, alternatives, hollow answers)
    variants.py      the catalogued variants: what one is, where they are kept, how found
    comparison.py    the one comparison of a result with the expected one, and its tolerance
    registry.py      the exercises: ids, functions, points, forbidden library calls
    results.py       the results schema, one JSON document per grading run
    options.py       the grading options, declared once for argparse and pytest
    platforms.py     what this system can run: the student's run anywhere, workers on Linux
    kit.py           where the kit is; running one of its test folders with pytest
    terminal.py      the console every command prints to
    errors.py        DescentError, the one error a library raises for the user to fix
    student_notebook.py  what the course notebooks import (student side)
    exercises.py, labs_grading.py  the first names of registry.py and student_notebook.py,
                     kept for graders and released notebooks (one module object each)
    __main__.py      ``python -m descent``
"""

__version__ = "0.1.0"
