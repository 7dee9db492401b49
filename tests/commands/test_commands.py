"""The ``descent`` command line itself (``descent.commands``): one verb per module, listed in
``VERBS``; an error a library raises for the user is one line naming the verb, exit 2, with the
user's text shown as text."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import subprocess
import sys

import pytest

from descent import commands
from descent.commands import main

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast

# Modules of the package that are no verb: helpers and the entry points of batch processes.
NOT_VERBS = {"shared", "child", "warm", "reference"}  # reference: the commands page's writer


def _verbs(parser: argparse.ArgumentParser) -> list[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def test_every_verb_module_is_listed_and_registers_its_own_name():
    modules = {m.name for m in pkgutil.iter_modules(commands.__path__)} - NOT_VERBS
    assert {v.replace("-", "_") for v in commands.VERBS} == modules
    assert all(m == f"descent.commands.{v.replace('-', '_')}" for v, m in commands.VERBS.items())
    assert _verbs(commands.parser()) == list(commands.VERBS)  # the order `descent --help` uses
    for verb in commands.VERBS:
        assert _verbs(commands.parser(verb)) == [verb]


def test_a_command_line_that_names_its_verb_loads_that_verb_only():
    code = (
        "import sys\n"
        "from descent.commands import main\n"
        "try:\n    main(['report', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('descent.commands.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "['descent.commands.report']"


def test_a_user_error_is_one_line_naming_the_verb_and_exit_2(tmp_path, capsys):
    missing = tmp_path / "[bold]results[/bold].json"
    assert main(["report", str(missing)]) == 2
    out = capsys.readouterr().out
    assert out.startswith("descent report: ") and "[bold]results[/bold].json" in out
    assert "Traceback" not in out and len(out.strip().splitlines()) <= 2


def test_an_error_that_is_not_the_users_is_not_hidden(monkeypatch):
    def broken(args):
        raise RuntimeError("a bug of the kit")

    docs = importlib.import_module("descent.commands.docs")  # verbs load when named
    monkeypatch.setattr(docs, "cmd_docs", broken)
    monkeypatch.setattr(
        docs, "register",
        lambda sub: sub.add_parser("docs").set_defaults(func=broken),
    )  # fmt: skip
    with pytest.raises(RuntimeError, match="a bug of the kit"):
        main(["docs"])


def test_an_unknown_verb_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["regrade-everything"])
    assert stopped.value.code == 2 and "invalid choice" in capsys.readouterr().err


# A process that runs run() for VERB with main() stubbed to print and return 3: whether its exit
# handler ran and whether it unwound (Python's own exit raises SystemExit; os._exit does not)
# show which exit it took.
_EXIT_PROBE = """
import atexit, sys, threading, time
from descent import commands
commands.main = lambda argv: print("graded", flush=False) or 3
atexit.register(lambda: print("exit handler"))
if sys.argv[2] == "thread":
    threading.Thread(target=time.sleep, args=(0.2,)).start()
if sys.argv[2] == "profiled":
    sys.setprofile(lambda frame, event, arg: None)
sys.argv = ["descent", sys.argv[1]]
try:
    commands.run()
finally:
    print("unwound")
"""


def _exit_probe(verb: str, thread: str = "-") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", _EXIT_PROBE, verb, thread], capture_output=True, text=True
    )


def test_grade_leaves_without_the_interpreters_finalization_after_its_exit_handlers():
    quick = _exit_probe("grade")  # flushed, its exit handler run, nothing unwound
    assert quick.returncode == 3 and quick.stderr == ""
    assert quick.stdout.splitlines() == ["graded", "exit handler"]
    usual = _exit_probe("report")  # other verbs: Python's own exit
    assert usual.returncode == 3
    assert usual.stdout.splitlines() == ["graded", "unwound", "exit handler"]


def test_grade_takes_pythons_own_exit_while_another_thread_runs_or_a_profiler_watches():
    for case in ("thread", "profiled"):
        usual = _exit_probe("grade", case)
        assert usual.returncode == 3
        assert usual.stdout.splitlines() == ["graded", "unwound", "exit handler"], case
