"""The one error type a library of Descent raises for a problem the user can fix.

A :class:`DescentError` carries a message written for the person at the command line (what is
wrong, and what to do). The libraries raise it and never end the process; the command line
(:mod:`descent.commands`) prints it as ``descent VERB: message`` and exits with status 2. The
kit's other named errors (``BundleError``, ``StubError``, ``PlanError``, ``GradebookError``, ...)
are kinds of it.
"""

from __future__ import annotations


class DescentError(Exception):
    """A problem with the user's input or files, stated so that they can fix it."""


# What a command reports as a message rather than a traceback: the kit's own error, and the
# standard errors its libraries let through for bad input (ValueError, a missing file).
USER_ERRORS: tuple[type[BaseException], ...] = (DescentError, FileNotFoundError, ValueError)
