"""Ctrl-C before the first test (``descent.grading.interrupt``): one line and pytest's status for
an interrupted run, never a traceback of the start-up, and no results file of an earlier run left
to look current; a Ctrl-C once the tests run is left to pytest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from types import SimpleNamespace

import pytest

from descent.grading import interrupt

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


# What the suite may find on entry: Python's own Ctrl-C handler (a run in a terminal), or
# SIGINT ignored (a background job of a shell without job control, nohup, some CI runners).
FOUND = {"python-s-own": signal.default_int_handler, "ignored": signal.SIG_IGN}


@pytest.fixture(params=list(FOUND))
def sigint(request):
    """Python's own Ctrl-C handler for the test, whatever the run found (each test runs from
    both); the handler found and the module's state put back after it."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers are set in the main thread only")
    before = signal.signal(signal.SIGINT, FOUND[request.param])
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)
    interrupt.tests_starting()


def test_before_the_session_ctrl_c_is_one_line_and_status_2(sigint, capsys):
    signal.signal(signal.SIGINT, signal.default_int_handler)
    interrupt.install()
    handler = signal.getsignal(signal.SIGINT)
    assert handler is not signal.default_int_handler
    with pytest.raises(SystemExit) as stopped:
        handler(signal.SIGINT, None)
    assert stopped.value.code == interrupt.INTERRUPTED == 2
    assert capsys.readouterr().err == interrupt.MESSAGE + "\n"
    # a second Ctrl-C is Python's own again
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_handler_someone_else_installed_is_left_alone(sigint):
    def theirs(signum, frame):
        pass

    signal.signal(signal.SIGINT, theirs)
    interrupt.install()
    assert signal.getsignal(signal.SIGINT) is theirs


class _Plugins:
    def __init__(self):
        self.reporter, self.dropped = object(), []

    def get_plugin(self, name):
        return self.reporter if name == "terminalreporter" else None

    def unregister(self, plugin):
        self.dropped.append(plugin)


def test_during_collection_the_report_is_one_line_and_the_old_results_go(sigint, tmp_path, capsys):
    results = tmp_path / "results.json"
    results.write_text("{}")  # an earlier run's
    plugins = _Plugins()
    interrupt.install()
    interrupt.session_started(SimpleNamespace(pluginmanager=plugins), results)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # pytest's to catch
    interrupt.interrupted()
    assert not results.exists() and plugins.dropped == [plugins.reporter]
    assert capsys.readouterr().err == interrupt.MESSAGE + "\n"


def test_once_the_tests_run_an_interrupt_is_pytests_to_report(sigint, tmp_path, capsys):
    results = tmp_path / "results.json"
    results.write_text("{}")
    plugins = _Plugins()
    interrupt.session_started(SimpleNamespace(pluginmanager=plugins), results)
    interrupt.tests_starting()
    interrupt.interrupted()
    assert results.exists() and plugins.dropped == [] and capsys.readouterr().err == ""


# A Ctrl-C at the moment the grading plugin starts importing the rest of the kit (its first
# heavy module), delivered as the terminal delivers it: to the process, between two bytecodes.
CTRL_C_WHILE_LOADING = """
import importlib.abc, os, signal, sys

class CtrlC(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "descent.grading.plugin_workers":
            os.kill(os.getpid(), signal.SIGINT)
        return None

# a foreground process's Ctrl-C: a suite started in the background inherits SIGINT ignored
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.meta_path.insert(0, CtrlC())
import descent.grading.plugin
"""


def test_ctrl_c_while_the_plugin_loads_is_one_line():
    """Ctrl-C during pytest's start-up printed a 51-line traceback (issue 55): the handler came
    only after the plugin had imported the rest of the kit."""
    run = subprocess.run(
        [sys.executable, "-c", CTRL_C_WHILE_LOADING], capture_output=True, text=True, timeout=300
    )
    assert (run.returncode, run.stderr.strip()) == (interrupt.INTERRUPTED, interrupt.MESSAGE)


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
def test_a_session_without_the_grading_plugin_leaves_ctrl_c_to_pytest(tmp_path):
    """The handler is in every pytest process of a student's environment (the bundle's .pth);
    where the plugin is left out, none puts Python's back when the session begins, and a Ctrl-C
    in a test was a SystemExit the test failed with."""
    (tmp_path / "test_stop.py").write_text(
        "import os, signal\n\n\ndef test_stop():\n    os.kill(os.getpid(), signal.SIGINT)\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "descent.grading.interrupt", "-p", "no:descent",
         "-p", "no:cacheprovider", "test_stop.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # a terminal's Ctrl-C
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
    )  # fmt: skip
    assert run.returncode == interrupt.INTERRUPTED, run.stdout + run.stderr
    assert "KeyboardInterrupt" in run.stdout and interrupt.MESSAGE not in run.stdout + run.stderr
