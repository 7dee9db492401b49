"""Ctrl-C before the first test: one line, not the traceback of wherever the start-up was.

A run spends its first seconds importing torch and collecting the tests. Python's own handling
of Ctrl-C before pytest's session begins prints a traceback dozens of lines long (through pytest,
pluggy and the import machinery), and pytest's, during collection, a banner, the line it was on
and a summary. Both become :data:`MESSAGE`, with pytest's status for an interrupted run (2). A
test interrupted later is pytest's to report, and the grading plugin records it as such.

Importing this module installs the handler (:func:`install`). In a student's installed bundle
that happens while Python starts, before pytest is imported: the bundle's ``.pth`` file runs
:mod:`.early_interrupt` in every pytest process. The bundle's settings also load it before any
plugin (``-p descent.grading.interrupt``) and the grading plugin imports it first, for a run
where no ``.pth`` is read (the kit's own checkout, ``python -S``). It imports only ``_signal``,
``os`` and ``sys``, so that the moments before the handler is in place stay few.
"""

from __future__ import annotations

import _signal  # signal's C half: signal.py imports enum, functools and operator, 5 to 8 ms
import os
import sys

# Neither typing nor pathlib is imported either: each moment of the start-up before install()
# is one where a Ctrl-C is still a fatal start-up error with a traceback.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

MESSAGE = "interrupted (Ctrl-C) before any test ran: nothing was graded"
INTERRUPTED = 2  # pytest.ExitCode.INTERRUPTED

_collecting: tuple[Any, Path] | None = None  # (pytest config, results file) while collecting


def install() -> None:
    """Until pytest's session begins, answer Ctrl-C with :data:`MESSAGE` (main thread only)."""
    _replace(_signal.default_int_handler, _before_session)


def session_started(config: Any, results: Path) -> None:
    """pytest handles Ctrl-C from here; until :func:`tests_starting`, :func:`interrupted` makes its
    report one line and removes ``results`` (a previous run's file must not look current)."""
    global _collecting
    _collecting = (config, results)
    _replace(_before_session, _signal.default_int_handler)


def tests_starting() -> None:
    global _collecting
    _collecting = None


def interrupted() -> None:
    """pytest caught Ctrl-C: if it came during collection, say so in one line instead of
    pytest's report (whose terminal reporter is dropped for the rest of the run)."""
    if _collecting is None:
        return
    config, results = _collecting
    results.unlink(missing_ok=True)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        config.pluginmanager.unregister(reporter)
    sys.stderr.write(MESSAGE + "\n")


def _before_session(signum, frame) -> None:
    _signal.signal(_signal.SIGINT, _signal.default_int_handler)  # a second Ctrl-C: Python's own
    if _running(frame, "site", "addpackage"):
        # Python is still reading .pth files: an exception there is a fatal start-up error with
        # its traceback, and nothing has begun that would need cleaning up.
        sys.stderr.write(MESSAGE + "\n")
        sys.stderr.flush()
        os._exit(INTERRUPTED)
    if "descent.grading.plugin" not in sys.modules and _running(
        frame, "_pytest.main", "wrap_session"
    ):
        # pytest's session began without the grading plugin (-p no:descent), which would have
        # put Python's handler back: the interrupt is pytest's to report, as anywhere else.
        raise KeyboardInterrupt
    sys.stderr.write(MESSAGE + "\n")
    raise SystemExit(INTERRUPTED)


def _running(frame, module: str, function: str) -> bool:
    """Whether ``function`` of ``module`` is on the stack that ``frame`` (a handler's) ends."""
    while frame is not None:
        if frame.f_code.co_name == function and frame.f_globals.get("__name__") == module:
            return True
        frame = frame.f_back
    return False


def _replace(old, new) -> None:
    """SIGINT's handler becomes ``new`` where it is ``old``; in a thread other than the main one,
    where Python sets no handler, nothing changes."""
    try:
        if _signal.getsignal(_signal.SIGINT) is old:
            _signal.signal(_signal.SIGINT, new)
    except ValueError:  # not the main thread
        pass


install()  # on import: in the .pth or the plugin's first import, before the rest of a start-up
