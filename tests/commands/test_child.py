"""The entry point of one grading process of a batch (``python -m descent.commands.child``), run
as the batch runs it: it refuses to start once its parent is gone, pins itself to the CPU it is
given (or runs anywhere), and then is the ``descent`` command line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.fast  # the fast lane: ./dev test --fast


def _python(*args: str, code: str | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def test_a_child_whose_parent_is_gone_does_not_start():
    # the parent named is not this process's parent: it died before the child asked
    done = _python("descent.commands.child", "--parent", "1", "--cpu", "-", "--", "report", "x")
    assert done.returncode == 3 and done.stdout == ""


def test_a_child_runs_the_command_line_it_was_given(tmp_path):
    missing = tmp_path / "missing.json"
    done = _python(
        "descent.commands.child", "--parent", str(os.getpid()), "--cpu", "-", "--", "report",
        str(missing),
    )  # fmt: skip
    assert done.returncode == 2 and "descent report:" in done.stdout


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity here")
def test_the_child_runs_on_the_cpu_it_was_given_or_anywhere():
    allowed = sorted(os.sched_getaffinity(0))
    code = (
        "import os, sys\n"
        "import descent.commands as cli\n"
        "from descent.commands import child\n"
        "cli.main = lambda argv: print(sorted(os.sched_getaffinity(0)), argv) or 0\n"
        "child.main(['--parent', str(os.getppid()), '--cpu', sys.argv[1], '--', 'report', 'x'])\n"
    )

    def cpus_of_a_child(where: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code, where], capture_output=True, text=True, timeout=120
        )
        return done.stdout.strip()

    assert cpus_of_a_child(str(allowed[-1])) == f"[{allowed[-1]}] ['report', 'x']"
    assert cpus_of_a_child("-") == f"{allowed} ['report', 'x']"
    # a CPU that went away is no reason not to grade: the child runs where it may
    assert cpus_of_a_child("99999") == f"{allowed} ['report', 'x']"
