"""Shared by the scaffold's tests: a copy of the kit (module-scoped), and the command line run
in it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("kit")
    for folder in ("src", "solutions", "starter", "exercises", "graders", "docs"):
        shutil.copytree(
            KIT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
    shutil.copy(KIT / "pyproject.toml", root)  # the formatter's settings
    return root


def descent(root: Path, *argv: str) -> subprocess.CompletedProcess:
    # The copy's own package, so that the registry it edits is the one it imports.
    env = dict(os.environ, PYTHONPATH=str(root / "src"), COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "descent", *argv],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
