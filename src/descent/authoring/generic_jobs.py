"""The pre-emption guard's gradings in processes of their own, side by side: each ``python -m
pytest`` run grades some modules' variants with their graders files (:func:`run`), as
:func:`descent.kit.run_pytest` would in this process. A module's variants are graded alike in
any process (:mod:`descent.authoring.generic_cache` says why), so sharing the modules out
changes only how long the guard takes, on a machine with a CPU for each."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from ..kit import pytest_args
from .generic_cache import CODE

TAIL = 3000  # characters of a failed run's output shown


def run(
    root: Path,
    runs: Sequence[tuple[list[str], list[str], Path]],
    *,
    device: str,
    timeout: float | None = None,
) -> list[int]:
    """Start one pytest process per ``(suites, implementations, results path)`` of ``runs`` in
    the kit at ``root``, all at once, and wait for them; their exit codes, in order (a run that
    did not complete: its output's tail goes to stderr, and the guard stops on its code). Each
    imports the same ``descent`` as this process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(CODE.parent), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    logs, procs = [], []
    try:
        for suites, specs, results in runs:
            log = results.with_suffix(".log")
            results.parent.mkdir(parents=True, exist_ok=True)
            # quiet, as in this process, but with the reason of an error (its log is read)
            args = pytest_args(
                suites, specs, device=device, results=results, root=root, extra=["--tb=short"]
            )
            logs.append(log)
            with open(log, "wb") as out:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "pytest", *args],
                        cwd=root,
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        codes = [proc.wait(timeout=timeout) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:  # interrupted: none of them goes on alone
                proc.kill()
                proc.wait()
    for code, log in zip(codes, logs):
        if code not in (0, 1):
            tail = log.read_text(errors="replace")[-TAIL:]
            print(
                f"descent audit: a grading process ended with code {code}:\n{tail}", file=sys.stderr
            )
    return codes
