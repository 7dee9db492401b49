"""Descent: grading tools for the neural-network training exercises.

The package holds only trusted tooling (the pytest plugin, comparison and gradient-check helpers,
the results schema, reports, stub generation and the command line). Reference solutions live in
``solutions/`` and hidden tests in ``graders/``; neither ships with the student bundle.
"""

__version__ = "0.1.0"
