"""Ctrl-C before the first test: one line, not the traceback of wherever the start-up was.

A run spends its first seconds importing torch and collecting the tests. Python's own handling
of Ctrl-C before pytest's session begins prints a traceback dozens of lines long (through pytest,
pluggy and the import machinery), and pytest's, during collection, a banner, the line it was on
and a summary. Both become :data:`MESSAGE`, with pytest's status for an interrupted run (2). A
test interrupted later is pytest's to report, and the grading plugin records it as such.

Importing this module installs the handler (:func:`install`): the student bundle's settings load
it before any plugin (``-p descent.grading.interrupt``), and the grading plugin imports it before
any other module of the kit, so that only pytest's own first imports come before it.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any

MESSAGE = "interrupted (Ctrl-C) before any test ran: nothing was graded"
INTERRUPTED = 2  # pytest.ExitCode.INTERRUPTED

_collecting: tuple[Any, Path] | None = None  # (pytest config, results file) while collecting


def install() -> None:
    """Until pytest's session begins, answer Ctrl-C with :data:`MESSAGE` (main thread only)."""
    if _main_thread() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _before_session)


def session_started(config: Any, results: Path) -> None:
    """pytest handles Ctrl-C from here; until :func:`tests_starting`, :func:`interrupted` makes its
    report one line and removes ``results`` (a previous run's file must not look current)."""
    global _collecting
    _collecting = (config, results)
    if _main_thread() and signal.getsignal(signal.SIGINT) is _before_session:
        signal.signal(signal.SIGINT, signal.default_int_handler)


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
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C: Python's own
    sys.stderr.write(MESSAGE + "\n")
    raise SystemExit(INTERRUPTED)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


install()  # on import: the plugin's first import, before the rest of its start-up
