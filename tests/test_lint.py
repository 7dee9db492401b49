"""The static checks, run as part of the suite: ruff's lint and formatter, and mypy on src/descent
(their settings, and why, are in pyproject.toml; the level is stated in
docs/explanation/architecture.md).

The tools come with the ``ci`` extra (``./dev test`` installs it); where one is missing its test
skips and says so.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[ci]')")
    return found


def _run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=KIT, capture_output=True, text=True)


def test_ruff_finds_nothing():
    run = _run(_tool("ruff"), "check", "--output-format", "concise", ".")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


def test_the_code_is_formatted():
    run = _run(_tool("ruff"), "format", "--check", ".")
    assert run.returncode == 0, "run `ruff format .`:\n" + run.stdout[-4000:] + run.stderr[-2000:]


def test_mypy_finds_nothing_in_src_descent():
    run = _run(_tool("mypy"))  # files and level: [tool.mypy] in pyproject.toml
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
