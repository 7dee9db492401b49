"""A real grading run of a few variants on one module's hidden graders, for the tests of a
diagnosis that needs the grader's own checks (several comparisons of one exercise, weighed
together once every test has run). One run in a fresh process takes seconds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from descent.kit import kit_root


def failures(tmp: Path, module: str, impls: list[str], select: str | None = None) -> list[dict]:
    """The failing tests' records of ``impls`` graded by ``graders/test_<module>.py``
    (only the tests ``select`` picks, as ``pytest -k``): each with its ``implementation``,
    ``message`` (with the generic diagnosis in place of the catalogue's name, as
    ``DESCENT_GENERIC_ONLY=1`` shows it), ``misconception`` (the catalogued bug named) and
    ``diagnosis`` (the kind of the verified generic diagnosis)."""
    results = tmp / "results.json"
    command = [sys.executable, "-m", "pytest", f"graders/test_{module}.py", "-q", "-n", "0"]
    command += [f"--results={results}", *[f"--impl={i}" for i in impls]]
    command += ["-k", select] if select else []
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["DESCENT_GENERIC_ONLY"] = "1"
    run = subprocess.run(
        command, cwd=kit_root(), capture_output=True, text=True, env=env, timeout=600
    )
    assert results.exists(), (run.stdout + run.stderr)[-3000:]
    tests = json.loads(results.read_text())["tests"]
    return [t for t in tests if t["outcome"] != "passed"]


def kinds(found: list[dict], impl: str) -> set:
    """The generic kinds the failures of ``impl`` were named with (a failure that names nothing
    adds none)."""
    return {t["diagnosis"] for t in found if t["implementation"] == impl} - {None}
