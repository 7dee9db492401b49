"""Descent: grading tools for the neural-network training exercises.

The package holds only trusted tooling; reference solutions live in ``solutions/`` and hidden
tests in ``graders/``, and neither ships with the student bundle. Where things are (the layers,
the trust boundary, where to start reading for each kind of change: ``docs/architecture.md``):

    commands/        the command line: one module per verb, the only place that parses
                     arguments and picks exit codes (``descent grade`` is commands/grade.py)
    registry.py      the exercises: ids, functions, points, forbidden library calls
    plugin.py        the pytest plugin that grades: fixtures, scoring, the results document;
                     plugin_workers.py decides what runs in a confined worker
    checker.py, compare.py, diagnoses.py, gradcheck.py, callables.py, tape.py, inputs.py
                     what graders and public tests use to check a result and explain a failure;
                     composite.py charges a mistake in a part once, to that part
    catalogue.py     the catalogued variants (bugs, alternatives, hollow answers); audit.py
                     proves the graders against them, audit_public.py the public tests
    results.py       the results schema; terminal_report.py and progress.py print it
    isolation/       the trust boundary: student code runs in a confined worker
    course/          a whole class: batch grading, the class gradebook, exports, the term plan
    labs/            the nbgrader notebooks, graded without trusting them (instructor side);
                     student_notebook.py is what the notebooks themselves import
    stubgen.py, bundle.py, exercise_table.py, scaffold.py
                     what is made from solutions/: stubs, the student bundle, the docs
                     tables, a new exercise's files
    errors.py        DescentError, the one error a library raises for the user to fix
"""

__version__ = "0.1.0"
