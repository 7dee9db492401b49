"""The pre-emption guard's gradings, each module's in a process of its own (:func:`run`): a
``python -m pytest`` of its graders file against its variants, as :func:`descent.kit.run_pytest`
would run it, ``jobs`` of them at a time.

A fresh process per module is what makes a module's grading depend on that module alone: a
catalogued bug that draws from PyTorch's global random state (``generator=None``) gives what
that state holds when its test runs, and in a process that graded another module first, or
other modules' variants before it, that state differs. Each process starts from the same one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ..kit import pytest_args
from .generic_cache import CODE
from .generic_progress import Progress

TAIL = 3000  # characters of a failed run's output shown
POLL_S = 0.2


def run(
    root: Path,
    runs: Sequence[tuple[list[str], list[str], Path]],
    *,
    device: str,
    jobs: int = 1,
    timeout: float | None = None,
    progress: Progress | None = None,
) -> list[int]:
    """One pytest process per ``(suites, implementations, results path)`` of ``runs``, in the kit
    at ``root``, at most ``jobs`` at a time, in the order given (give the longest first); their
    exit codes, in that order. A run that did not complete shows its output's tail on stderr;
    the others go on. Each imports the same ``descent`` as this process; each writes its output
    beside its results (``.log``), and ``progress`` (stderr by default) tells how far each is."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CODE.parent), env.get("PYTHONPATH")]))
    waiting = list(enumerate(runs))
    started: dict[int, subprocess.Popen] = {}
    codes: dict[int, int] = {}
    deadline = None if timeout is None else time.monotonic() + timeout
    progress = progress or Progress()
    try:
        while waiting or started:
            while waiting and len(started) < max(1, jobs):
                n, (suites, specs, results) = waiting.pop(0)
                started[n] = _start(root, suites, specs, results, device, env)
                progress.started(n, suites, specs, results.with_suffix(".log"))
            for n, proc in list(started.items()):
                if proc.poll() is not None:
                    codes[n] = proc.returncode
                    progress.ended(n, codes[n])
                    del started[n]
            progress.poll()
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("descent audit's gradings", timeout or 0)
            if started:
                time.sleep(POLL_S)
    finally:
        for proc in started.values():  # interrupted: none of them goes on alone
            proc.kill()
            proc.wait()
    for n, (_, _, results) in enumerate(runs):
        if codes[n] not in (0, 1):
            tail = results.with_suffix(".log").read_text(errors="replace")[-TAIL:]
            print(f"descent audit: a grading ended with code {codes[n]}:\n{tail}", file=sys.stderr)
    return [codes[n] for n in range(len(runs))]


def _start(
    root: Path, suites: list[str], specs: list[str], results: Path, device: str, env: dict
) -> subprocess.Popen:
    results.parent.mkdir(parents=True, exist_ok=True)
    # quiet, as a run in this process is, but with the reason of an error (its log is read)
    args = pytest_args(
        suites, specs, device=device, results=results, root=root, extra=["--tb=short"]
    )
    with open(results.with_suffix(".log"), "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "pytest", *args],
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
